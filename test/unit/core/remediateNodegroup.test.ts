/**
 * Nothing lost, nothing twice: the intent record written before the first write, a retry that
 * resumes it, the alert about what changed delivered even when publishing failed once, failed writes
 * counted by the loop guard and alerted once per cooldown. Through the real check, on the in-memory
 * account.
 */
import { describe, expect, it } from 'vitest';
import type { RemediationRecord } from '../../../functions/core/model/types.js';
import { NAT } from '../../support/factories.js';
import type { FakeAccount } from '../../support/fakeAccount.js';
import {
  checkSeed,
  putInterruptedRemediation,
  recordingTopic,
  recordsOf,
  SEED_INSTANCE,
  SEED_TABLE,
  seedAccount,
  unjoinedInstance,
} from '../../support/seedCheck.js';

const writes = (account: FakeAccount) => account.writes.map((w) => `${w.op}:${w.outcome}`);

describe('remediation records: nothing lost, nothing twice', () => {
  it('records the intent (planned actions, the state before) before the first write', async () => {
    const seed = seedAccount();
    const { account, state } = seed;
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
    await checkSeed(seed);
    expect(intents[0]?.before).toEqual({ routes: [{ routeTableId: SEED_TABLE }], desiredSize: 1 });
    expect(intents.at(-1)).toMatchObject({ progress: 'written', status: 'open' });
    expect(intents.at(-1)?.actions.map((a) => a.status)).toEqual(['done', 'done']);
  });

  it('finishes an interrupted remediation on the next run, without redoing what was done', async () => {
    const seed = seedAccount();
    const { account } = seed;
    // A first run wrote the route, recorded it, and was stopped before recycling.
    const first = await checkSeed({ account, state: seedAccount().state });
    const [route, replace] = first.nodegroup.actions;
    account.instances = [unjoinedInstance()];
    account.writes.length = 0;
    await putInterruptedRemediation(seed, 1, [route as never, { ...replace, status: 'planned' } as never]);
    const { nodegroup } = await checkSeed(seed, { alerts: recordingTopic().publisher });
    expect(writes(account)).toEqual(['terminateInstance:applied']);
    expect(nodegroup.actions.filter((a) => a.type !== 'notify').map((a) => [a.type, a.status])).toEqual([
      ['create-route', 'done'],
      ['replace-instances', 'done'],
    ]);
    expect(nodegroup.alertKind).toBe('remediated');
    const [record] = await recordsOf(seed);
    expect(record).toMatchObject({
      progress: 'written',
      alerted: true,
      replacedInstanceIds: [SEED_INSTANCE],
    });
  });

  it('resumes a route write that was interrupted before it was made, reading the network the re-plan needs', async () => {
    const seed = seedAccount();
    const { account } = seed;
    const [route] = (await checkSeed(seedAccount())).nodegroup.actions;
    // Nothing is unjoined any more (the node joined), so the check itself reads no network.
    (account.instances[0] as { joined: boolean }).joined = true;
    await putInterruptedRemediation(seed, 1, [{ ...route, status: 'planned' } as never]);
    const { nodegroup } = await checkSeed(seed, { alerts: recordingTopic().publisher });
    expect(writes(account)).toEqual(['createRoute:applied']);
    expect(nodegroup.actions.map((a) => [a.type, a.status])).toEqual([
      ['create-route', 'done'],
      ['notify', 'done'],
    ]);
  });

  it('delivers the alert about what changed on the retry when publishing failed, and writes nothing again', async () => {
    const seed = seedAccount();
    const { account } = seed;
    const { sent, publisher } = recordingTopic(1);
    const first = await checkSeed(seed, { alerts: publisher });
    expect(first.result.errors.map((e) => e.message)).toEqual(['Error: sns:Publish failed: InternalError']);
    expect(sent).toEqual([]);
    const written = writes(account);

    const retry = await checkSeed(seed, { alerts: publisher });
    expect(retry.result.errors).toEqual([]);
    expect(writes(account)).toEqual(written);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.nodegroup.alertKind).toBe('remediated');
    const done = sent[0]?.nodegroup.actions.find((a) => a.type === 'create-route');
    expect(done).toMatchObject({ status: 'done', natGatewayId: NAT });
    expect(done?.undo).toBe(
      `aws ec2 delete-route --route-table-id ${SEED_TABLE} --destination-cidr-block 0.0.0.0/0 --region us-west-2`,
    );

    // Delivered: a third run neither resumes nor alerts about it again.
    await checkSeed(seed, { alerts: publisher });
    expect(sent).toHaveLength(1);
  });

  it('without a topic, has no alert to deliver: the next run follows up instead of resuming', async () => {
    const seed = seedAccount();
    await checkSeed(seed);
    const [record] = await recordsOf(seed);
    expect(record).toMatchObject({ progress: 'written', alerted: true, status: 'open' });
    // The replacement joins: the follow-up closes the remediation.
    for (const instance of seed.account.instances) instance.joined = true;
    seed.account.clock.advance(600_000);
    const { nodegroup } = await checkSeed(seed);
    expect(nodegroup.alertKind).toBe('resolved');
  });

  it('counts failed writes toward the loop guard and alerts once per cooldown, not once per event', async () => {
    const seed = seedAccount();
    const { account } = seed;
    const denied = { kind: 'error', name: 'UnauthorizedOperation' } as const;
    account.inject('createRoute', denied, denied, denied, denied);
    const topic = recordingTopic();
    const runs = [];
    for (let n = 0; n < 3; n++) {
      runs.push(await checkSeed(seed, { alerts: topic.publisher }));
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
    expect(topic.kinds()).toEqual(['remediated', 'escalation']);
    expect((await recordsOf(seed)).map((r) => r.status)).toEqual(['failed', 'failed']);
  });
});
