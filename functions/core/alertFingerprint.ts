import { createHash } from 'node:crypto';
import type { AlertKind, Finding } from './types.js';

/**
 * Identifies "the same problem" for alert de-duplication: the kind and each finding's code and
 * resource, not the instances, so a new stranded instance of a known problem does not alert again
 * within the cooldown.
 */
export function alertFingerprint(kind: AlertKind, findings: Finding[]): string {
  const parts = findings.map((f) => `${f.code}:${f.resourceId}`).sort();
  return createHash('sha256')
    .update([kind, ...parts].join('|'))
    .digest('hex')
    .slice(0, 32);
}
