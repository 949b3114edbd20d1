import { describe, expect, it } from 'vitest';
import { runCheck } from '../../../functions/core/check/runCheck.js';
import { silentLog } from '../../../functions/core/model/ports.js';
import type {
  BootEvidence,
  ClusterNode,
  Finding,
  FindingCode,
  Instance,
  InstanceVerdict,
  NodegroupReport,
  Policy,
  Report,
  ResourceChange,
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

/**
 * The evidence of issue 11 in the CLI's report, in the alert's words (functions/alerts/evidenceWords):
 * each element once here, its wording in the alert tests.
 */
describe('formatText shows the evidence', () => {
  const unjoined: InstanceVerdict = {
    instanceId: 'i-1',
    subnetId: 'subnet-1',
    availabilityZone: 'us-west-2a',
    launchedAt: '2026-11-26T09:00:00.000Z',
    joined: false,
    pending: false,
    state: 'running',
  };
  const route: Finding = {
    code: 'NO_DEFAULT_ROUTE',
    severity: 'critical',
    resourceId: 'rtb-1',
    subnetId: 'subnet-1',
    message: 'Route table rtb-1 has no 0.0.0.0/0 route.',
    fix: 'aws ec2 create-route --route-table-id rtb-1',
  };

  it('who last changed the resource, under the finding and before its fix', () => {
    const change: ResourceChange = {
      found: true,
      eventName: 'DeleteRoute',
      eventTime: '2026-11-26T10:02:31Z',
      principalArn: 'arn:aws:sts::123456789012:assumed-role/admin/jane',
    };
    const text = textOf('notify', { instances: [unjoined], findings: [{ ...route, lastChange: change }] });
    expect(text).toContain(
      '    [NO_DEFAULT_ROUTE] rtb-1: Route table rtb-1 has no 0.0.0.0/0 route.\n      Last change: DeleteRoute by arn:aws:sts::123456789012:assumed-role/admin/jane at 2026-11-26 10:02 UTC\n      Fix:',
    );
    const denied = textOf('notify', {
      instances: [unjoined],
      findings: [{ ...route, lastChange: { found: false, why: 'ACCESS_DENIED' } }],
    });
    expect(denied).toContain('      Last change: not known — cloudtrail:LookupEvents is not allowed');
  });

  it('the nodes that are not Ready, with their condition and the likely cause (NODES_NOT_READY)', () => {
    const text = textOf('notify', {
      findings: [
        {
          code: 'NODES_NOT_READY',
          severity: 'critical',
          resourceId: 'ng-arn',
          message: '1 node is not Ready.',
          fix: 'aws eks create-addon --addon-name vpc-cni',
          notReadyNodes: [
            {
              nodeName: 'ip-1',
              instanceId: 'i-1',
              reason: 'KubeletNotReady',
              message: 'cni plugin not initialized',
            },
          ],
          notReadyCauses: ['CNI_POLICY_MISSING'],
        },
      ],
    });
    expect(text).toContain('Verdict: CRITICAL — NODES_NOT_READY');
    expect(text).toContain('      Not Ready: ip-1 (i-1): KubeletNotReady — cni plugin not initialized\n');
    expect(text).toContain(
      '      Likely cause: aws-node runs with the node role, which lacks AmazonEKS_CNI_Policy',
    );
  });

  it.each([
    [
      'EBS_KMS_KEY_UNUSABLE',
      { kmsKey: { keyId: 'k-1', state: 'PendingDeletion', missing: ['KEY_PENDING_DELETION'] } },
      ['KMS key: k-1 (state PendingDeletion)', 'What is wrong: the key is pending deletion'],
    ],
    [
      'SUBNET_ADDRESSES_EXHAUSTED',
      {
        subnetId: 'subnet-1',
        availableIpAddresses: 0,
        subnetsWithRoom: [{ subnetId: 'subnet-2', availableIpAddresses: 12 }],
      },
      ['Free IP addresses: 0 in subnet-1', 'Subnets of the nodegroup with room: subnet-2 (12 free)'],
    ],
    ['LAUNCH_FAILURES', {}, []],
  ] as [FindingCode, Partial<Finding>, string[]][])(
    'launches that fail (%s): alert only, Auto Scaling’s message, count, span and the fix',
    (code, fields, expected) => {
      const text = textOf('remediate', {
        findings: [
          {
            code,
            severity: 'critical',
            resourceId: 'asg-1',
            message: 'Launches fail.',
            fix: 'the-fix --now',
            launchFailures: {
              statusMessages: ['Client.InternalError: Client error on launch'],
              count: 3,
              firstAt: '2026-11-26T09:40:00Z',
              lastAt: '2026-11-26T09:58:00Z',
            },
            ...fields,
          },
        ],
      });
      expect(text).toContain(
        '  Instances: 0 (0 joined, 0 pending, 0 not joined)\n  Launches fail: Auto Scaling cannot start',
      );
      expect(text).toContain('Alert only: this tool does not remediate failing launches');
      expect(text).toContain(
        '      Failed launches: 3 launches failed from 2026-11-26 09:40 UTC to 2026-11-26 09:58 UTC',
      );
      expect(text).toContain('      Auto Scaling says: Client.InternalError: Client error on launch');
      for (const line of expected) expect(text).toContain(`      ${line}\n`);
      expect(text).toContain('      Fix:\n        the-fix --now');
    },
  );

  it('the boot logs of unjoined instances, their lines as an indented block', () => {
    const evidence: BootEvidence[] = [
      {
        instanceId: 'i-1',
        lines: ['dial tcp 10.0.0.1:443: i/o timeout'],
        signatures: ['API_TIMEOUT'],
        verdict: 'corroborates',
      },
      {
        instanceId: 'i-2',
        lines: [],
        signatures: [],
        verdict: 'inconclusive',
        unavailable: 'no console output yet',
      },
    ];
    const text = textOf('notify', { instances: [unjoined], findings: [route], bootEvidence: evidence });
    expect(text).toContain(
      [
        '  Boot logs (2):',
        '    Boot log of i-1: API_TIMEOUT (timed out reaching the cluster API) — corroborates the diagnosis',
        '        dial tcp 10.0.0.1:443: i/o timeout',
        '    Boot log of i-2: not available — no console output yet',
      ].join('\n'),
    );
  });

  it('what the waiting costs, after the instances', () => {
    const text = textOf('notify', {
      instances: [unjoined],
      findings: [route],
      waitingCost: { instances: 1, longestRunningSeconds: 3600, hourlyUsd: 0.096, unpricedTypes: [] },
    });
    expect(text).toContain(
      'NOT JOINED\n  Cost of waiting: 1 unjoined instance has run up to 1 h: about $0.10 per hour on demand (us-east-1 list prices)\n',
    );
  });

  it('instances just launched into a subnet where they cannot join, and when they are judged again', () => {
    const pending: InstanceVerdict = { ...unjoined, launchedAt: '2026-11-26T09:59:00.000Z', pending: true };
    const elsewhere: InstanceVerdict = { ...pending, instanceId: 'i-2', subnetId: 'subnet-2' };
    const text = textOf('notify', { instances: [pending, elsewhere], findings: [route] });
    expect(text).toContain(
      [
        '  Just launched, will not be able to join (1):',
        '    i-1 in subnet-1 (us-west-2a), running since 2026-11-26T09:59:00.000Z — cannot join while NO_DEFAULT_ROUTE stands',
        '    These instances are still inside their join window: fix the cause below and they can still join; they are judged again at the end of the window (300 s after launch).',
      ].join('\n'),
    );
    expect(text).not.toMatch(/i-2 in subnet-2.*cannot join/);
  });
});
