import type { LoopGuardSettings } from '../model/settings.js';
import type { RemediationRecord } from '../model/types.js';

/** The loop guard's verdict, decided from the state table before planning. */
export type LoopGuard =
  | { allowed: true }
  | { allowed: false; remediations: number; limit: number; windowSeconds: number };

/**
 * Past the limit, a fix that keeps being needed is a person's problem: only an escalation is sent.
 * Every remediation counts, the ones whose writes failed too: a write that keeps failing is not
 * tried on every event.
 */
export function evaluateLoopGuard(recent: RemediationRecord[], settings: LoopGuardSettings): LoopGuard {
  if (recent.length < settings.maxRemediations) return { allowed: true };
  return {
    allowed: false,
    remediations: recent.length,
    limit: settings.maxRemediations,
    windowSeconds: settings.windowSeconds,
  };
}
