import { describe, expect, it, vi } from 'vitest';
import { exitCodeFor } from '../../../functions/core/check/outcome.js';
import { POLICY_TAG } from '../../../functions/core/check/resolvePolicy.js';
import { runCheck } from '../../../functions/core/check/runCheck.js';
import type { CheckRequest } from '../../../functions/core/model/check.js';
import { AwsCallError, NotFoundError } from '../../../functions/core/model/errors.js';
import type { AccountReader, AlertPublisher, MembershipReader } from '../../../functions/core/model/ports.js';
import { silentLog } from '../../../functions/core/model/ports.js';
import type { Instance, Membership, Nodegroup } from '../../../functions/core/model/types.js';
import { MemoryStateStore } from '../../../functions/state/MemoryStateStore.js';
import { cluster, instance, nodegroup, PRIVATE_SUBNET, seedNetwork } from '../../support/factories.js';

const now = new Date('2026-11-26T10:00:00Z');
const longAgo = '2026-11-26T09:00:00.000Z';

/** The seed: `default` joined behind the NAT, `new_nodegroup_2` unjoined in the local-only subnet. */
function seedAccount(overrides: { nodegroups?: Nodegroup[]; instances?: Record<string, Instance[]> } = {}) {
  const nodegroups = overrides.nodegroups ?? [
    nodegroup({ name: 'default', subnetIds: [PRIVATE_SUBNET] }),
    nodegroup({ name: 'new_nodegroup_2' }),
  ];
  const instances = overrides.instances ?? {
    default: [
      instance({ instanceId: 'i-0default00000000000', subnetId: PRIVATE_SUBNET, launchedAt: longAgo }),
    ],
    new_nodegroup_2: [instance({ launchedAt: longAgo })],
  };
  const account: AccountReader = {
    describeCluster: vi.fn(async () => cluster()),
    listNodegroups: vi.fn(async () => nodegroups.map((n) => n.name)),
    describeNodegroup: vi.fn(async (_c: string, name: string) => {
      const found = nodegroups.find((n) => n.name === name);
      if (!found) throw new NotFoundError(`nodegroup ${name} not found`);
      return found;
    }),
    describeGroupTags: vi.fn(async () => new Map()),
    describeGroupInstances: vi.fn(async (groups: string[]) => {
      const owner = nodegroups.find((n) => n.autoScalingGroupNames[0] === groups[0]);
      return owner ? (instances[owner.name] ?? []) : [];
    }),
    readNetwork: vi.fn(async () => seedNetwork()),
  };
  return account;
}

const joinedDefault: MembershipReader = {
  listNodes: vi.fn(
    async (_c, name): Promise<Membership> => ({
      kind: 'known',
      nodes:
        name === 'default'
          ? [
              {
                name: 'ip-10-42-100-1.us-west-2.compute.internal',
                instanceId: 'i-0default00000000000',
                ready: true,
              },
            ]
          : [],
    }),
  ),
};

const request: CheckRequest = {
  clusterName: 'eks-workshop',
  defaultPolicy: 'notify',
  joinWindowSeconds: 300,
};

function publisher(): AlertPublisher & { publish: ReturnType<typeof vi.fn> } {
  return { publish: vi.fn(async () => 'msg-1') };
}

const ports = (account: AccountReader, alerts?: AlertPublisher, membership = joinedDefault) => ({
  account,
  membership,
  ...(alerts && { alerts }),
  state: new MemoryStateStore({ clock: { now: () => now } }),
  clock: { now: () => now },
  log: silentLog,
});

describe('runCheck', () => {
  it('finds the seed: default clean, new_nodegroup_2 with NO_DEFAULT_ROUTE and NODES_NOT_JOINED, one alert', async () => {
    const alerts = publisher();
    const result = await runCheck(request, ports(seedAccount(), alerts));
    const [healthy, broken] = result.report.nodegroups;
    expect(healthy).toMatchObject({ name: 'default', findings: [], actions: [] });
    expect(healthy?.instances[0]).toMatchObject({ joined: true, pending: false });
    expect(broken?.findings.map((f) => f.code)).toEqual(['NO_DEFAULT_ROUTE', 'NODES_NOT_JOINED']);
    expect(broken?.routeTables?.map((t) => t.routeTableId)).toEqual(['rtb-0f1e2d3c4b5a69788']);
    expect(alerts.publish).toHaveBeenCalledTimes(1);
    expect(alerts.publish.mock.calls[0]?.[1]).toMatchObject({ name: 'new_nodegroup_2' });
    expect(broken?.actions).toEqual([
      {
        type: 'notify',
        resourceId: 'sns',
        status: 'done',
        alertKind: 'problem',
        messageId: 'msg-1',
        reason: 'problem alert published (message msg-1)',
      },
    ]);
    expect(result.report).toMatchObject({
      cluster: 'eks-workshop',
      policy: 'notify',
      checkedAt: '2026-11-26T10:00:00Z',
    });
    expect(exitCodeFor(result)).toBe(1);
  });

  it('reads the network only for nodegroups with unjoined instances, once per VPC', async () => {
    const account = seedAccount();
    await runCheck(request, ports(account));
    expect(account.readNetwork).toHaveBeenCalledTimes(1);
  });

  it('raises nothing for instances still inside the join window', async () => {
    const alerts = publisher();
    const account = seedAccount({
      instances: { default: [], new_nodegroup_2: [instance({ launchedAt: '2026-11-26T09:58:00.000Z' })] },
    });
    const result = await runCheck(request, ports(account, alerts));
    expect(result.report.nodegroups[1]?.instances[0]).toMatchObject({ pending: true, joined: false });
    expect(result.report.nodegroups.flatMap((n) => n.findings)).toEqual([]);
    expect(alerts.publish).not.toHaveBeenCalled();
    expect(account.readNetwork).not.toHaveBeenCalled();
    expect(exitCodeFor(result)).toBe(0);
  });

  it('checks only the nodegroups asked for', async () => {
    const account = seedAccount();
    const result = await runCheck({ ...request, nodegroupNames: ['default'] }, ports(account));
    expect(result.report.nodegroups.map((n) => n.name)).toEqual(['default']);
    expect(account.listNodegroups).not.toHaveBeenCalled();
    expect(exitCodeFor(result)).toBe(0);
  });

  it('skips a nodegroup whose tag says off: no reads, no alert', async () => {
    const alerts = publisher();
    const account = seedAccount({
      nodegroups: [nodegroup({ name: 'new_nodegroup_2', tags: { [POLICY_TAG]: 'off' } })],
    });
    const result = await runCheck(request, ports(account, alerts));
    expect(result.report.nodegroups[0]).toMatchObject({ policy: 'off', findings: [], instances: [] });
    expect(account.describeGroupInstances).not.toHaveBeenCalled();
    expect(alerts.publish).not.toHaveBeenCalled();
    expect(exitCodeFor(result)).toBe(0);
  });

  it('reports missing Kubernetes access instead of guessing membership, and exits 3', async () => {
    const forbidden: MembershipReader = {
      listNodes: async () => ({
        kind: 'unknown',
        reason: 'forbidden',
        status: 403,
        detail: 'nodes is forbidden',
        endpoint: 'https://x',
      }),
    };
    const result = await runCheck(request, ports(seedAccount(), undefined, forbidden));
    const codes = result.report.nodegroups.flatMap((n) => n.findings.map((f) => f.code));
    expect(codes).toEqual(['NODE_LIST_FORBIDDEN', 'NODE_LIST_FORBIDDEN']);
    expect(result.report.nodegroups[1]?.instances[0]?.joined).toBeNull();
    expect(exitCodeFor(result)).toBe(3);
  });

  it('keeps the report when an alert cannot be published, records a failed notify action and exits 3', async () => {
    const alerts: AlertPublisher = {
      publish: async () => {
        throw new AwsCallError(
          'sns:Publish',
          Object.assign(new Error('denied'), { name: 'AuthorizationErrorException' }),
        );
      },
    };
    const result = await runCheck(request, ports(seedAccount(), alerts));
    expect(result.report.nodegroups[1]?.actions[0]).toMatchObject({ type: 'notify', status: 'failed' });
    expect(result.errors).toHaveLength(1);
    expect(exitCodeFor(result)).toBe(3);
  });

  it('lets an unknown nodegroup fail the check with NotFoundError', async () => {
    await expect(
      runCheck({ ...request, nodegroupNames: ['nope'] }, ports(seedAccount())),
    ).rejects.toBeInstanceOf(NotFoundError);
  });
});
