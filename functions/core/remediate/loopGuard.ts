import type { LoopGuardSettings } from '../model/settings.js';
import type { RemediationRecord } from '../model/types.js';

/** The loop guard's verdict, decided from the state table before planning. */
export type LoopGuard =
  | { allowed: true }
  | { allowed: false; remediations: number; limit: number; windowSeconds: number };

/**
 * Past the limit, a fix that keeps being needed is a person's problem: only an escalation is sent.
 * Every remediation counts, the ones whose writes failed too: a write that keeps failing is not
 * tried on every event. Recycling at the window behind a route fixed at launch finishes that fix:
 * the two count as one (each instance is recycled that way at most once: its replacement launches
 * after the fix).
 */
export function evaluateLoopGuard(recent: RemediationRecord[], settings: LoopGuardSettings): LoopGuard {
  const remediations = recent.filter((r) => !finishesEarlierFix(r)).length;
  if (remediations < settings.maxRemediations) return { allowed: true };
  return {
    allowed: false,
    remediations,
    limit: settings.maxRemediations,
    windowSeconds: settings.windowSeconds,
  };
}

/** A remediation whose only writes recycled instances behind routes an earlier run fixed. */
function finishesEarlierFix(record: RemediationRecord): boolean {
  const writes = record.actions.filter((a) => a.type !== 'notify');
  return (
    writes.length > 0 &&
    writes.every((a) =>
      a.type === 'replace-instances'
        ? a.routeFixedAt !== undefined
        : a.type === 'scale-cycle' &&
          a.routeTableIds.length > 0 &&
          a.routeTableIds.every((t) => a.routesFixedEarlier?.some((r) => r.routeTableId === t)),
    )
  );
}
