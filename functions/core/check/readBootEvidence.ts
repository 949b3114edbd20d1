import { bootEvidenceOf } from '../diagnose/bootEvidence.js';
import { AwsCallError, errorName, isAccessDenied, isThrottled } from '../model/errors.js';
import type { ConsoleReader, Log } from '../model/ports.js';
import type { BootEvidence, Finding, InstanceVerdict } from '../model/types.js';

/** Console reads per check: a few instances tell the story; a large group must not cost a call each. */
export const MAX_CONSOLE_READS = 3;

const NO_OUTPUT_YET =
  'no console output yet: EC2 keeps it from a few minutes after boot; the next check reads it';

/**
 * The console output of the oldest unjoined instances (they have had the longest to print why),
 * scrubbed of secrets, with the signatures it shows and how they bear on the findings. An instance
 * whose output cannot be read gets an entry that says why. Undefined without a console reader or
 * unjoined instance. Never throws: evidence is extra, the check goes on without it.
 */
export async function readBootEvidence(
  unjoined: InstanceVerdict[],
  findings: Finding[],
  ports: { consoles?: ConsoleReader; log: Log },
): Promise<BootEvidence[] | undefined> {
  const { consoles, log } = ports;
  if (!consoles || unjoined.length === 0) return undefined;
  const chosen = oldestFirst(unjoined).slice(0, MAX_CONSOLE_READS);
  return Promise.all(
    chosen.map(async ({ instanceId }): Promise<BootEvidence> => {
      try {
        const output = await consoles.readConsoleOutput(instanceId);
        if (!output) return unavailable(instanceId, NO_OUTPUT_YET);
        return bootEvidenceOf(instanceId, output, findings);
      } catch (error) {
        log.warn('could not read the console output of an unjoined instance', {
          instanceId,
          error: error instanceof Error ? error.message : String(error),
        });
        return unavailable(instanceId, whyUnreadable(error));
      }
    }),
  );
}

/** Oldest launch first; an instance without a launch time after those with one, in the given order. */
function oldestFirst(verdicts: InstanceVerdict[]): InstanceVerdict[] {
  const launched = (v: InstanceVerdict) => {
    const at = v.launchedAt ? Date.parse(v.launchedAt) : Number.NaN;
    return Number.isFinite(at) ? at : Number.POSITIVE_INFINITY;
  };
  return [...verdicts].sort((a, b) => {
    const [x, y] = [launched(a), launched(b)];
    return x === y ? 0 : x < y ? -1 : 1;
  });
}

function unavailable(instanceId: string, why: string): BootEvidence {
  return { instanceId, lines: [], signatures: [], verdict: 'inconclusive', unavailable: why };
}

/** Why the output could not be read, in words a person can act on. */
function whyUnreadable(error: unknown): string {
  // The SDK's error name, whether it came wrapped by awsCall or not.
  const named = { name: error instanceof AwsCallError ? error.errorName : errorName(error) };
  if (isAccessDenied(named)) {
    return "ec2:GetConsoleOutput not allowed: grant it to the tool's IAM role to see why nodes fail to boot";
  }
  if (named.name.startsWith('InvalidInstanceID')) return 'the instance no longer exists';
  if (isThrottled(named)) return 'ec2:GetConsoleOutput throttled: the next check reads it';
  const detail = error instanceof Error ? error.message : String(error);
  return `console output could not be read: ${detail}`;
}
