import type { AccountReader, LaunchReader, Log } from '../model/ports.js';
import type { Cluster, Finding, LaunchFailure, NetworkSnapshot, Nodegroup } from '../model/types.js';

/**
 * Failed launches of a nodegroup, confirmed against the account: EBS_KMS_KEY_UNUSABLE,
 * SUBNET_ADDRESSES_EXHAUSTED or LAUNCH_FAILURES. Alert only. STUB: helper A.
 */
export async function inspectLaunchFailures(
  _cluster: Cluster,
  _nodegroup: Nodegroup,
  _failures: LaunchFailure[],
  _ports: { account: AccountReader; launches?: LaunchReader; log: Log },
): Promise<{ findings: Finding[]; networks: NetworkSnapshot[] }> {
  return { findings: [], networks: [] };
}
