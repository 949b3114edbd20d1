import type { ConsoleReader, Log } from '../model/ports.js';
import type { BootEvidence, Finding, InstanceVerdict } from '../model/types.js';

/**
 * The console output of (a bounded number of) unjoined instances, scrubbed of secrets, with the
 * signatures it shows and how they bear on the findings. Never throws. STUB: helper D.
 */
export async function readBootEvidence(
  _unjoined: InstanceVerdict[],
  _findings: Finding[],
  _ports: { consoles?: ConsoleReader; log: Log },
): Promise<BootEvidence[] | undefined> {
  return undefined;
}
