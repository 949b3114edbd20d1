import type { InstanceVerdict, WaitingCost } from '../model/types.js';

/** How long the given (unjoined or not-ready) instances have run and their on-demand price per hour. STUB: helper D. */
export function waitingCost(_verdicts: InstanceVerdict[], _now: Date): WaitingCost | undefined {
  return undefined;
}
