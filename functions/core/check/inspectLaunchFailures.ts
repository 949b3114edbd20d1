import {
  classifyLaunchFailure,
  diagnoseLaunchFailures,
  isAwsManagedEbsKey,
  type KeyRead,
} from '../diagnose/diagnoseLaunchFailures.js';
import { NotFoundError } from '../model/errors.js';
import type { AccountReader, LaunchReader, LaunchVolume, Log } from '../model/ports.js';
import type { Cluster, Finding, LaunchFailure, NetworkSnapshot, Nodegroup } from '../model/types.js';

/**
 * Failed launches of a nodegroup, confirmed against the account: EBS_KMS_KEY_UNUSABLE,
 * SUBNET_ADDRESSES_EXHAUSTED or LAUNCH_FAILURES. Reads only what the messages call for (the launch
 * template's volumes and their keys; the VPC's subnets), and never fails the check: what cannot be
 * read leaves the failure unconfirmed, reported with Auto Scaling's own message. Alert only.
 */
export async function inspectLaunchFailures(
  cluster: Cluster,
  nodegroup: Nodegroup,
  failures: LaunchFailure[],
  ports: { account: AccountReader; launches?: LaunchReader; log: Log },
): Promise<{ findings: Finding[]; networks: NetworkSnapshot[] }> {
  if (failures.length === 0) return { findings: [], networks: [] };
  const keys = { cluster: cluster.name, nodegroup: nodegroup.name };
  const kinds = new Set(failures.map((f) => classifyLaunchFailure(f).kind));
  const keyReads = new Map<string, KeyRead>();
  let volumes: LaunchVolume[] | undefined;
  let volumesUnread: string | undefined;
  const networks: NetworkSnapshot[] = [];

  if (kinds.has('kms')) {
    if (!ports.launches) {
      volumesUnread = 'no launch reader configured';
    } else {
      try {
        volumes = await ports.launches.readLaunchVolumes(nodegroup);
        if (!volumes) volumesUnread = 'the Auto Scaling group and launch template could not be read';
      } catch (error) {
        volumesUnread = messageOf(error);
        ports.log.warn('launch template volumes not read: the KMS cause stays unconfirmed', {
          ...keys,
          error: volumesUnread,
        });
      }
      const keyIds = new Set(
        (volumes ?? [])
          .filter((v) => v.encrypted && v.kmsKeyId && !isAwsManagedEbsKey(v.kmsKeyId))
          .map((v) => v.kmsKeyId as string),
      );
      for (const keyId of keyIds) keyReads.set(keyId, await readKey(ports.launches, keyId, ports.log, keys));
    }
  }

  if (kinds.has('addresses')) {
    if (cluster.vpcId) {
      try {
        networks.push(await ports.account.readNetwork(cluster.vpcId));
      } catch (error) {
        ports.log.warn('subnets not read: the address cause stays unconfirmed', {
          ...keys,
          error: messageOf(error),
        });
      }
    }
  }

  const findings = diagnoseLaunchFailures({
    cluster,
    nodegroup,
    failures,
    ...(volumes && { volumes }),
    ...(volumesUnread && { volumesUnread }),
    keys: keyReads,
    networks,
  });
  ports.log.info('launch failures diagnosed', {
    ...keys,
    failures: failures.length,
    findings: findings.map((f) => `${f.code}:${f.resourceId}`),
  });
  return { findings, networks };
}

async function readKey(
  launches: LaunchReader,
  keyId: string,
  log: Log,
  keys: Record<string, unknown>,
): Promise<KeyRead> {
  try {
    return { kind: 'read', facts: await launches.readKmsKey(keyId) };
  } catch (error) {
    if (error instanceof NotFoundError) return { kind: 'not-found' };
    const why = messageOf(error);
    log.warn('KMS key not read: the KMS cause stays unconfirmed', { ...keys, keyId, error: why });
    return { kind: 'unread', why };
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
