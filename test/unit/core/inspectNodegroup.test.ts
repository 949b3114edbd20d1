/**
 * One nodegroup's inspection: what is read (and what is spared), which subnets are judged, the route
 * tables and egress shown, the findings merged per cause and resource, and the nodegroup's policy.
 */
import { describe, expect, it, vi } from 'vitest';
import {
  emptyReport,
  inspectNodegroup,
  mergeFindings,
  nodegroupPolicy,
} from '../../../functions/core/check/inspectNodegroup.js';
import { POLICY_TAG } from '../../../functions/core/check/resolvePolicy.js';
import type { AccountReader, MembershipReader } from '../../../functions/core/model/ports.js';
import type { Finding, Instance, Membership } from '../../../functions/core/model/types.js';
import {
  cluster,
  instance,
  NEW_SUBNET,
  NEW_TABLE,
  nodegroup,
  PRIVATE_SUBNET,
  seedNetwork,
} from '../../support/factories.js';
import { recordingLog } from '../../support/recordingLog.js';

const NOW = new Date('2026-11-26T10:00:00Z');
const LONG_AGO = '2026-11-26T09:00:00.000Z';
const JOINED = 'i-0joined00000000001';

function account(instances: Instance[]) {
  return {
    describeCluster: vi.fn(async () => cluster()),
    listNodegroups: vi.fn(async () => ['new_nodegroup_2']),
    describeNodegroup: vi.fn(async () => nodegroup()),
    describeGroupTags: vi.fn(async () => new Map()),
    describeGroupInstances: vi.fn(async () => instances),
    readNetwork: vi.fn(async () => seedNetwork()),
  } satisfies AccountReader;
}

function membership(joinedIds: string[] = []) {
  return {
    listNodes: vi.fn(
      async (): Promise<Membership> => ({
        kind: 'known',
        nodes: joinedIds.map((instanceId) => ({ name: `node-${instanceId}`, instanceId, ready: true })),
      }),
    ),
  } satisfies MembershipReader;
}

async function inspect(
  instances: Instance[],
  {
    joinedIds = [],
    preflight = false,
    subnetIds = [NEW_SUBNET],
    policy = 'notify' as const,
  }: { joinedIds?: string[]; preflight?: boolean; subnetIds?: string[]; policy?: 'notify' | 'off' } = {},
) {
  const ports = { account: account(instances), membership: membership(joinedIds), log: recordingLog() };
  const inspection = await inspectNodegroup(
    cluster(),
    nodegroup({ subnetIds }),
    policy,
    { joinWindowSeconds: 300, ...(preflight && { preflight }) },
    ports,
    NOW,
  );
  return { inspection, ...ports };
}

const unjoined = instance({ launchedAt: LONG_AGO });
const INSTANCE = unjoined.instanceId;
const joinedPrivate = instance({ instanceId: JOINED, subnetId: PRIVATE_SUBNET, launchedAt: LONG_AGO });

describe('inspectNodegroup: what is read', () => {
  it('reads nothing under policy off, and says so', async () => {
    const {
      inspection,
      account: reader,
      membership: nodes,
      log,
    } = await inspect([unjoined], { policy: 'off' });
    expect(inspection).toMatchObject({ instances: [], verdicts: [], networks: [] });
    expect(inspection.report).toEqual(emptyReport(nodegroup(), 'off'));
    expect(reader.describeGroupInstances).not.toHaveBeenCalled();
    expect(nodes.listNodes).not.toHaveBeenCalled();
    expect(log.entries).toEqual([
      {
        level: 'info',
        message: expect.stringMatching(/off/),
        extra: { cluster: 'eks-workshop', nodegroup: 'new_nodegroup_2' },
      },
    ]);
  });

  it('spares the Kubernetes API when the group has no instance', async () => {
    const { inspection, membership: nodes } = await inspect([]);
    expect(nodes.listNodes).not.toHaveBeenCalled();
    expect(inspection.verdicts).toEqual([]);
    expect(inspection.report.findings).toEqual([]);
  });

  it('reads no network while every instance joined', async () => {
    const { inspection, account: reader } = await inspect([joinedPrivate], { joinedIds: [JOINED] });
    expect(reader.readNetwork).not.toHaveBeenCalled();
    expect(inspection.networks).toEqual([]);
    expect(inspection.report.routeTables).toBeUndefined();
    expect(inspection.report.egress).toBeUndefined();
    expect(inspection.report.findings).toEqual([]);
  });

  it('judges the subnets of the unjoined instances only, not those of joined ones', async () => {
    const { inspection } = await inspect([unjoined, joinedPrivate], { joinedIds: [JOINED] });
    expect(inspection.report.routeTables?.map((t) => t.routeTableId)).toEqual([NEW_TABLE]);
    expect(Object.keys(inspection.report.egress ?? {})).toEqual([NEW_TABLE]);
    expect(inspection.report.egress?.[NEW_TABLE]).toMatchObject({ kind: 'none' });
    expect(inspection.report.findings.map((f) => f.code)).toEqual(
      expect.arrayContaining(['NO_DEFAULT_ROUTE', 'NODES_NOT_JOINED']),
    );
    expect(inspection.report.findings.find((f) => f.code === 'NODES_NOT_JOINED')?.instanceIds).toEqual([
      INSTANCE,
    ]);
  });

  it('judges an instance whose VPC is not given in the cluster VPC', async () => {
    const { vpcId: _, ...noVpc } = unjoined;
    const { inspection, account: reader } = await inspect([noVpc]);
    expect(reader.readNetwork).toHaveBeenCalledWith(cluster().vpcId);
    expect(inspection.report.findings.map((f) => f.code)).toContain('NO_DEFAULT_ROUTE');
  });

  it('judges an unjoined subnet without a table association by the VPC main table', async () => {
    const { inspection } = await inspect([
      instance({ subnetId: 'subnet-0unassoc000000001', launchedAt: LONG_AGO }),
    ]);
    expect(inspection.report.routeTables?.map((t) => t.routeTableId)).toEqual(['rtb-0main000000000000']);
    expect(inspection.report.findings.map((f) => f.code)).toContain('NODES_NOT_JOINED');
  });

  it('logs what it found: instances, pending, unjoined and finding codes', async () => {
    const booting = instance({ instanceId: 'i-0booting000000001', launchedAt: '2026-11-26T09:58:00.000Z' });
    const { log } = await inspect([unjoined, booting, joinedPrivate], { joinedIds: [JOINED] });
    const checked = log.entries.at(-1);
    expect(checked?.message).not.toBe('');
    expect(checked?.extra).toMatchObject({
      cluster: 'eks-workshop',
      nodegroup: 'new_nodegroup_2',
      policy: 'notify',
      instances: 3,
      pending: 1,
      unjoined: 1,
      findings: expect.arrayContaining(['NO_DEFAULT_ROUTE', 'NODES_NOT_JOINED']),
    });
  });
});

describe('inspectNodegroup: preflight', () => {
  it('judges the nodegroup subnets before any instance, and only those the network knows', async () => {
    const { inspection } = await inspect([], {
      preflight: true,
      subnetIds: [NEW_SUBNET, 'subnet-0gone0000000001'],
    });
    expect(inspection.report.routeTables?.map((t) => t.routeTableId)).toEqual([NEW_TABLE]);
    const route = inspection.report.findings.filter((f) => f.code === 'NO_DEFAULT_ROUTE');
    expect(route).toHaveLength(1);
    expect(route[0]?.subnetId).toBe(NEW_SUBNET);
    expect(inspection.report.findings.map((f) => f.code)).not.toContain('NODES_NOT_JOINED');
  });

  it('shows no route table at preflight when no nodegroup subnet is in the network read', async () => {
    const { inspection, account: reader } = await inspect([], {
      preflight: true,
      subnetIds: ['subnet-0gone0000000001'],
    });
    expect(reader.readNetwork).toHaveBeenCalledTimes(1);
    expect(inspection.report.routeTables).toBeUndefined();
    expect(inspection.report.egress).toBeUndefined();
    expect(inspection.report.findings).toEqual([]);
  });

  it('judges a subnet of both an unjoined instance and the nodegroup once, with the instance', async () => {
    const { inspection } = await inspect([unjoined], { preflight: true });
    const route = inspection.report.findings.filter((f) => f.code === 'NO_DEFAULT_ROUTE');
    expect(route).toHaveLength(1);
    expect(route[0]?.instanceIds).toEqual([INSTANCE]);
  });
});

describe('nodegroupPolicy', () => {
  const request = { defaultPolicy: 'notify' as const };

  it('warns about a policy tag that is not a policy, naming where and what, and falls back', () => {
    const log = recordingLog();
    const tagged = nodegroup({ tags: { [POLICY_TAG]: 'fix-it' } });
    expect(nodegroupPolicy(cluster(), tagged, request, log)).toBe('notify');
    expect(log.entries).toEqual([
      {
        level: 'warn',
        message: expect.any(String),
        extra: { cluster: 'eks-workshop', nodegroup: 'new_nodegroup_2', on: 'nodegroup', value: 'fix-it' },
      },
    ]);
    expect(log.entries[0]?.message).not.toBe('');
  });

  it('warns about nothing when the tags are policies', () => {
    const log = recordingLog();
    const tagged = nodegroup({ tags: { [POLICY_TAG]: 'dry-run' } });
    expect(nodegroupPolicy(cluster(), tagged, request, log)).toBe('dry-run');
    expect(log.entries).toEqual([]);
  });
});

describe('emptyReport', () => {
  it('names the nodegroup, its ARN when known, and nothing found or done', () => {
    const ng = nodegroup();
    expect(emptyReport(ng, 'notify')).toEqual({
      name: 'new_nodegroup_2',
      arn: ng.arn,
      policy: 'notify',
      status: 'ACTIVE',
      autoScalingGroups: ng.autoScalingGroupNames,
      instances: [],
      findings: [],
      actions: [],
    });
    const { arn: _, ...withoutArn } = ng;
    expect(emptyReport(withoutArn, 'notify')).not.toHaveProperty('arn');
  });
});

describe('mergeFindings', () => {
  const base = { severity: 'critical', message: 'm', fix: 'f' } as const;
  const route = (resourceId: string, instanceIds?: string[]): Finding => ({
    ...base,
    code: 'NO_DEFAULT_ROUTE',
    resourceId,
    ...(instanceIds && { instanceIds }),
  });

  it('keeps one finding per cause and resource, with every instance once, in first-seen order', () => {
    const merged = mergeFindings([
      route('rtb-1', ['i-a', 'i-b']),
      route('rtb-2', ['i-c']),
      route('rtb-1', ['i-b', 'i-d']),
    ]);
    expect(merged).toEqual([route('rtb-1', ['i-a', 'i-b', 'i-d']), route('rtb-2', ['i-c'])]);
  });

  it('adds instances to a first finding that had none, and keeps it when later ones have none', () => {
    expect(mergeFindings([route('rtb-1'), route('rtb-1', ['i-a'])])).toEqual([route('rtb-1', ['i-a'])]);
    expect(mergeFindings([route('rtb-1', ['i-a']), route('rtb-1')])).toEqual([route('rtb-1', ['i-a'])]);
  });

  it('keeps findings of different causes on the same resource apart', () => {
    const blackhole: Finding = { ...route('rtb-1'), code: 'BLACKHOLE_DEFAULT_ROUTE' };
    expect(mergeFindings([route('rtb-1'), blackhole])).toHaveLength(2);
  });

  it('keeps each health issue of a nodegroup, and merges only a repeated one', () => {
    const issue = (message: string): Finding => ({
      ...base,
      code: 'NODEGROUP_HEALTH_ISSUE',
      resourceId: 'new_nodegroup_2',
      message,
    });
    const merged = mergeFindings([
      issue('Ec2SubnetInvalidConfiguration'),
      issue('AccessDenied'),
      issue('AccessDenied'),
    ]);
    expect(merged.map((f) => f.message)).toEqual(['Ec2SubnetInvalidConfiguration', 'AccessDenied']);
    // Other causes merge whatever their message says.
    expect(mergeFindings([route('rtb-1'), { ...route('rtb-1'), message: 'other words' }])).toHaveLength(1);
  });

  it('does not change the findings it is given', () => {
    const first = route('rtb-1', ['i-a']);
    mergeFindings([first, route('rtb-1', ['i-b'])]);
    expect(first.instanceIds).toEqual(['i-a']);
  });
});
