import type { LoopGuard } from './planRemediation.js';
import type { RemediationRecord } from './types.js';

export interface LoopGuardSettings {
  /** Remediations allowed per nodegroup within the window (default 2). */
  maxRemediations: number;
  /** The window, in seconds (default 6 hours). */
  windowSeconds: number;
}

export const DEFAULT_LOOP_GUARD: LoopGuardSettings = { maxRemediations: 2, windowSeconds: 6 * 3600 };

/** Past the limit, a fix that keeps being needed is a person's problem: only an escalation is sent. */
export function evaluateLoopGuard(recent: RemediationRecord[], settings: LoopGuardSettings): LoopGuard {
  if (recent.length < settings.maxRemediations) return { allowed: true };
  const hours = +(settings.windowSeconds / 3600).toFixed(2);
  return {
    allowed: false,
    reason: `loop guard: ${recent.length} remediation(s) of this nodegroup in the last ${hours} h (limit ${settings.maxRemediations}), so nothing more is changed automatically`,
  };
}

export function isLoopGuardSkip(reason: string): boolean {
  return reason.startsWith('loop guard:');
}
