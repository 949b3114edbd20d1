/**
 * Nothing lost, nothing twice: the intent record written before the first write, a retry that
 * resumes it, the alert about what changed delivered even when publishing failed once, failed writes
 * counted by the loop guard and alerted once per cooldown. Through the real check, on the in-memory
 * account.
 */
import { describe, expect, it } from 'vitest';
import { runCheck } from '../../../functions/core/check/runCheck.js';
import { type AlertPublisher, silentLog } from '../../../functions/core/model/ports.js';
import type { NodegroupReport, RemediationRecord } from '../../../functions/core/model/types.js';
import { MemoryStateStore } from '../../../functions/state/MemoryStateStore.js';
import { NAT, NEW_SUBNET, PRIVATE_SUBNET, PUBLIC_SUBNET, seedNetwork } from '../../support/factories.js';
import { FakeAccount, type FakeAccountSpec } from '../../support/fakeAccount.js';
import { fakeClock } from '../../support/stateStoreContract.js';

const RTB = 'rtb-0f1e2d3c4b5a69788';
const NOW = '2026-11-26T10:00:00.000Z';

function seed(): { account: FakeAccount; state: MemoryStateStore } {
  const clock = fakeClock(NOW);
  const spec: FakeAccountSpec = {
    clusterName: 'eks-workshop',
    clusterSubnetIds: [PUBLIC_SUBNET, PRIVATE_SUBNET, NEW_SUBNET],
    nodegroup: {
      name: 'new_nodegroup_2',
      subnetIds: [NEW_SUBNET],
      minSize: 0,
      maxSize: 2,
      desiredSize: 1,
      asg: 'eks-ng-asg',
    },
    otherNodegroups: [],
    network: seedNetwork(),
    instances: [
      {
        instanceId: 'i-0a1b2c3d4e5f60718',
        subnetId: NEW_SUBNET,
        availabilityZone: 'us-west-2a',
        launchedAt: '2026-11-26T09:00:00.000Z',
        state: 'running',
        lifecycleState: 'InService',
        joined: false,
      },
    ],
  };
  return { account: new FakeAccount(spec, clock), state: new MemoryStateStore({ clock }) };
}

/** A topic that records what it is sent, and fails the publishes it is told to. */
function topic(failures = 0) {
  const sent: NodegroupReport[] = [];
  let failing = failures;
  const publisher: AlertPublisher = {
    async publish(_report, nodegroup) {
      if (failing > 0) {
        failing -= 1;
        throw new Error('sns:Publish failed: InternalError');
      }
      sent.push(structuredClone(nodegroup));
      return `message-${sent.length}`;
    },
  };
  return { sent, publisher };
}

async function remediate(account: FakeAccount, state: MemoryStateStore, alerts?: AlertPublisher) {
  const result = await runCheck(
    {
      clusterName: 'eks-workshop',
      nodegroupNames: ['new_nodegroup_2'],
      policyOverride: 'remediate',
      defaultPolicy: 'notify',
      joinWindowSeconds: 300,
      deadline: new Date(account.clock.now().getTime() + 600_000),
    },
    {
      account,
      membership: account,
      writer: account,
      state,
      ...(alerts && { alerts }),
      clock: account.clock,
      sleep: async (ms) => account.clock.advance(ms),
      log: silentLog,
    },
  );
  return { result, nodegroup: result.report.nodegroups[0] as NodegroupReport };
}

const writes = (account: FakeAccount) => account.writes.map((w) => `${w.op}:${w.outcome}`);

describe('remediation records: nothing lost, nothing twice', () => {
  it('records the intent (planned actions, the state before) before the first write', async () => {
    const { account, state } = seed();
    const intents: RemediationRecord[] = [];
    const put = state.putRemediation.bind(state);
    state.putRemediation = async (record) => {
      intents.push(structuredClone(record));
      return put(record);
    };
    const create = account.createRoute.bind(account);
    account.createRoute = async (...args) => {
      expect(intents[0]).toMatchObject({ progress: 'writing', alerted: false });
      expect(intents[0]?.actions.map((a) => a.status)).toEqual(['planned', 'planned']);
      return create(...args);
    };
    await remediate(account, state);
    expect(intents[0]?.before).toEqual({ routes: [{ routeTableId: RTB }], desiredSize: 1 });
    expect(intents.at(-1)).toMatchObject({ progress: 'written', status: 'open' });
    expect(intents.at(-1)?.actions.map((a) => a.status)).toEqual(['done', 'done']);
  });

  it('finishes an interrupted remediation on the next run, without redoing what was done', async () => {
    const { account, state } = seed();
    // A first run wrote the route, recorded it, and was stopped before recycling.
    const first = await remediate(account, seed().state);
    const [route, replace] = first.nodegroup.actions;
    account.instances = structuredClone(seed().account.instances);
    account.writes.length = 0;
    await state.putRemediation({
      cluster: 'eks-workshop',
      nodegroup: 'new_nodegroup_2',
      at: '2026-11-26T09:59:00.000Z',
      status: 'open',
      progress: 'writing',
      alerted: false,
      actions: [route as never, { ...replace, status: 'planned' } as never],
      replacedInstanceIds: [],
    });
    const { nodegroup } = await remediate(account, state, topic().publisher);
    expect(writes(account)).toEqual(['terminateInstance:applied']);
    expect(nodegroup.actions.filter((a) => a.type !== 'notify').map((a) => [a.type, a.status])).toEqual([
      ['create-route', 'done'],
      ['replace-instances', 'done'],
    ]);
    expect(nodegroup.alertKind).toBe('remediated');
    const [record] = await state.listRemediations('eks-workshop', 'new_nodegroup_2', new Date(0));
    expect(record).toMatchObject({
      progress: 'written',
      alerted: true,
      replacedInstanceIds: ['i-0a1b2c3d4e5f60718'],
    });
  });

  it('resumes a route write that was interrupted before it was made, reading the network the re-plan needs', async () => {
    const { account, state } = seed();
    const [route] = (await remediate(seed().account, seed().state)).nodegroup.actions;
    // Nothing is unjoined any more (the node joined), so the check itself reads no network.
    (account.instances[0] as { joined: boolean }).joined = true;
    await state.putRemediation({
      cluster: 'eks-workshop',
      nodegroup: 'new_nodegroup_2',
      at: '2026-11-26T09:59:00.000Z',
      status: 'open',
      progress: 'writing',
      alerted: false,
      actions: [{ ...route, status: 'planned' } as never],
      replacedInstanceIds: [],
    });
    const { nodegroup } = await remediate(account, state, topic().publisher);
    expect(writes(account)).toEqual(['createRoute:applied']);
    expect(nodegroup.actions.map((a) => [a.type, a.status])).toEqual([
      ['create-route', 'done'],
      ['notify', 'done'],
    ]);
  });

  it('delivers the alert about what changed on the retry when publishing failed, and writes nothing again', async () => {
    const { account, state } = seed();
    const { sent, publisher } = topic(1);
    const first = await remediate(account, state, publisher);
    expect(first.result.errors.map((e) => e.message)).toEqual(['Error: sns:Publish failed: InternalError']);
    expect(sent).toEqual([]);
    const written = writes(account);

    const retry = await remediate(account, state, publisher);
    expect(retry.result.errors).toEqual([]);
    expect(writes(account)).toEqual(written);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.alertKind).toBe('remediated');
    const done = sent[0]?.actions.find((a) => a.type === 'create-route');
    expect(done).toMatchObject({ status: 'done', natGatewayId: NAT });
    expect(done?.undo).toBe(
      `aws ec2 delete-route --route-table-id ${RTB} --destination-cidr-block 0.0.0.0/0 --region us-west-2`,
    );

    // Delivered: a third run neither resumes nor alerts about it again.
    await remediate(account, state, publisher);
    expect(sent).toHaveLength(1);
  });

  it('without a topic, has no alert to deliver: the next run follows up instead of resuming', async () => {
    const { account, state } = seed();
    await remediate(account, state);
    const [record] = await state.listRemediations('eks-workshop', 'new_nodegroup_2', new Date(0));
    expect(record).toMatchObject({ progress: 'written', alerted: true, status: 'open' });
    // The replacement joins: the follow-up closes the remediation.
    for (const instance of account.instances) instance.joined = true;
    account.clock.advance(600_000);
    const { nodegroup } = await remediate(account, state);
    expect(nodegroup.alertKind).toBe('resolved');
  });

  it('counts failed writes toward the loop guard and alerts once per cooldown, not once per event', async () => {
    const { account, state } = seed();
    const denied = { kind: 'error', name: 'UnauthorizedOperation' } as const;
    account.inject('createRoute', denied, denied, denied, denied);
    const { sent, publisher } = topic();
    const runs = [];
    for (let n = 0; n < 3; n++) {
      runs.push(await remediate(account, state, publisher));
      account.clock.advance(60_000);
    }
    expect(writes(account)).toEqual(['createRoute:failed', 'createRoute:failed']);
    expect(
      runs.map((r) => r.nodegroup.actions.map((a) => `${a.type}:${a.status}:${a.reasonCode ?? ''}`)),
    ).toEqual([
      ['create-route:failed:ACCESS_DENIED', 'replace-instances:skipped:ROUTE_NOT_FIXED', 'notify:done:'],
      [
        'create-route:failed:ACCESS_DENIED',
        'replace-instances:skipped:ROUTE_NOT_FIXED',
        'notify:skipped:ALERT_COOLDOWN',
      ],
      ['create-route:skipped:LOOP_GUARD', 'replace-instances:skipped:LOOP_GUARD', 'notify:done:'],
    ]);
    expect(sent.map((a) => a.alertKind)).toEqual(['remediated', 'escalation']);
    const records = await state.listRemediations('eks-workshop', 'new_nodegroup_2', new Date(0));
    expect(records.map((r) => r.status)).toEqual(['failed', 'failed']);
  });
});
