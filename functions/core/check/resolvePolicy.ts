import { POLICIES, type Policy } from '../model/types.js';

export const POLICY_TAG = 'eks-join-remediator/policy';

export function isPolicy(value: string): value is Policy {
  return (POLICIES as readonly string[]).includes(value);
}

export interface PolicySources {
  /** Given on the command line: wins over everything. */
  explicit?: Policy;
  nodegroupTags: Record<string, string>;
  clusterTags: Record<string, string>;
  /** The account default (`POLICY`, else notify). */
  accountDefault: Policy;
}

export interface ResolvedPolicy {
  policy: Policy;
  source: 'command line' | 'nodegroup tag' | 'cluster tag' | 'default';
  /** A tag value that is not a policy: ignored, and worth telling the owner. */
  invalidTag?: { on: 'nodegroup' | 'cluster'; value: string };
}

/** The nodegroup tag wins over the cluster tag, which wins over the account default; the CLI flag over all. */
export function resolvePolicy({
  explicit,
  nodegroupTags,
  clusterTags,
  accountDefault,
}: PolicySources): ResolvedPolicy {
  if (explicit) return { policy: explicit, source: 'command line' };
  let invalidTag: ResolvedPolicy['invalidTag'];
  for (const [on, tags] of [
    ['nodegroup', nodegroupTags],
    ['cluster', clusterTags],
  ] as const) {
    const value = tags[POLICY_TAG]?.trim();
    if (value === undefined) continue;
    if (isPolicy(value)) return { policy: value, source: `${on} tag`, ...(invalidTag && { invalidTag }) };
    invalidTag ??= { on, value };
  }
  return { policy: accountDefault, source: 'default', ...(invalidTag && { invalidTag }) };
}
