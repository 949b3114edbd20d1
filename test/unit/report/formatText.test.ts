import { describe, expect, it } from 'vitest';
import { runCheck } from '../../../functions/core/check/runCheck.js';
import { silentLog } from '../../../functions/core/model/ports.js';
import type {
  ClusterNode,
  Instance,
  NodegroupReport,
  Policy,
  Report,
} from '../../../functions/core/model/types.js';
import { formatText } from '../../../functions/report/formatText.js';
import { MemoryStateStore } from '../../../functions/state/MemoryStateStore.js';
import { cluster, instance, nodegroup, PRIVATE_SUBNET, seedNetwork } from '../../support/factories.js';

/** The seed's two nodegroups: `default`, its one instance joined, and `new_nodegroup_2`, unjoined. */
const GROUPS = [nodegroup({ name: 'default', subnetIds: [PRIVATE_SUBNET] }), nodegroup()];
const INSTANCES: Record<string, Instance[]> = {
  default: [instance({ instanceId: 'i-0default00000000000', subnetId: PRIVATE_SUBNET })],
  new_nodegroup_2: [instance()],
};
const NODES: Record<string, ClusterNode[]> = {
  default: [
    { name: 'ip-10-42-100-1.us-west-2.compute.internal', instanceId: 'i-0default00000000000', ready: true },
  ],
};

async function seedReport(): Promise<Report> {
  const { report } = await runCheck(
    { clusterName: 'eks-workshop', defaultPolicy: 'notify', joinWindowSeconds: 300 },
    {
      account: {
        describeCluster: async () => cluster(),
        listNodegroups: async () => GROUPS.map((g) => g.name),
        describeNodegroup: async (_c, name) => {
          const found = GROUPS.find((g) => g.name === name);
          if (!found) throw new Error(`no nodegroup ${name}`);
          return found;
        },
        describeGroupTags: async () => new Map(),
        describeGroupInstances: async ([asg]) =>
          INSTANCES[GROUPS.find((g) => g.autoScalingGroupNames[0] === asg)?.name ?? ''] ?? [],
        readNetwork: async () => seedNetwork(),
      },
      membership: { listNodes: async (_c, name) => ({ kind: 'known', nodes: NODES[name] ?? [] }) },
      state: new MemoryStateStore(),
      clock: { now: () => new Date('2026-11-26T10:00:00Z') },
      log: silentLog,
    },
  );
  return report;
}

/** The text report of one nodegroup `ng` of cluster `c`, checked under `policy`: nothing in it but what is given. */
function textOf(policy: Policy, nodegroup: Partial<NodegroupReport>): string {
  return formatText({
    cluster: 'c',
    policy,
    checkedAt: 't',
    joinWindowSeconds: 300,
    nodegroups: [{ name: 'ng', policy, instances: [], findings: [], actions: [], ...nodegroup }],
  });
}

describe('formatText', () => {
  it('reads like the manual investigation: nodegroup, instances, route table and routes, verdict, fix', async () => {
    const text = formatText(await seedReport());
    expect(text).toContain('Cluster eks-workshop (us-west-2)');
    expect(text).toContain('Nodegroup default — ACTIVE, policy notify');
    expect(text).toContain('joined as ip-10-42-100-1.us-west-2.compute.internal (Ready)');
    expect(text).toMatch(/Nodegroup default[\s\S]*Verdict: healthy/);
    expect(text).toContain('i-0a1b2c3d4e5f60718  subnet-0e5e4b6c1d2a3f405  us-west-2a');
    expect(text).toContain('NOT JOINED');
    expect(text).toContain(
      'Route table rtb-0f1e2d3c4b5a69788 (explicit association, used by subnet-0e5e4b6c1d2a3f405):',
    );
    expect(text).toContain('    10.42.0.0/16 → local (active)');
    expect(text).toContain('    Egress: none');
    expect(text).toContain('Verdict: CRITICAL — NO_DEFAULT_ROUTE, NODES_NOT_JOINED');
    expect(text).toContain(
      'aws ec2 create-route --route-table-id rtb-0f1e2d3c4b5a69788 --destination-cidr-block 0.0.0.0/0 --nat-gateway-id nat-0123456789abcdef0',
    );
    expect(text).toContain('Summary: 1 of 2 nodegroup(s) with problems.');
  });

  it('says when instances are still inside the join window', () => {
    const text = textOf('notify', {
      instances: [{ instanceId: 'i-1', joined: false, pending: true, state: 'running' }],
    });
    expect(text).toContain('pending (inside the join window)');
    expect(text).toContain('Verdict: waiting');
  });

  it("says when a route table's way out cannot be judged, and that nothing is written over it", () => {
    const text = textOf('remediate', {
      routeTables: [
        {
          routeTableId: 'rtb-1',
          vpcId: 'vpc-1',
          main: false,
          subnetIds: ['subnet-1'],
          routes: [
            { destination: 'pl-0secret', target: { kind: 'transit-gateway', id: 'tgw-1' }, state: 'active' },
          ],
        },
      ],
      egress: {
        'rtb-1': { kind: 'unknown', routes: ['pl-0secret → tgw-1 (active)'], prefixListId: 'pl-0secret' },
      },
    });
    expect(text).toContain(
      '    Egress: of unknown kind — prefix list pl-0secret could not be read, so it may be the way out: nothing is written over it',
    );
  });
});
