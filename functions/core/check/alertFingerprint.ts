import { createHash } from 'node:crypto';
import type { Action, AlertKind, Finding } from '../model/types.js';

/**
 * Identifies "the same problem" for alert de-duplication: the kind and each finding's code and
 * resource, not the instances, so a new unjoined instance of a known problem does not alert again
 * within the cooldown.
 */
export function alertFingerprint(kind: AlertKind, findings: Finding[]): string {
  return fingerprint(
    kind,
    findings.map((f) => `${f.code}:${f.resourceId}`),
  );
}

/**
 * Identifies "the same failure" of a remediation: which writes failed, on what, and why (their reason
 * codes), so the same failing write alerts once per cooldown however many events retry it.
 */
export function failureFingerprint(actions: Action[]): string {
  return fingerprint(
    'remediated',
    actions
      .filter((a) => a.status === 'failed')
      .map((a) => `${a.type}:${a.resourceId}:${a.reasonCode ?? ''}`),
  );
}

function fingerprint(kind: AlertKind, parts: string[]): string {
  return createHash('sha256')
    .update([kind, ...[...parts].sort()].join('|'))
    .digest('hex')
    .slice(0, 32);
}
