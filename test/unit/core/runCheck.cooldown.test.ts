/**
 * The alert cooldown of runCheck: the same problem, the same loop-guard escalation and the same
 * failing write alert once per cooldown; what was done and how a remediation ended always alert.
 * Through the real check on the in-memory account and state store.
 */
import { describe, expect, it } from 'vitest';
import {
  actionsOf,
  addSeedDefaultRoute,
  checkSeed,
  deleteSeedDefaultRoute,
  passJoinWindow,
  putEarlierRemediation,
  recordingTopic,
  recordsOf,
  replacementsOf,
  type Seed,
  seedAccount,
  unjoinedInstance,
} from '../../support/seedCheck.js';

const HOUR = 3_600_000;
const notifyOf = (actions: { type: string }[]) => actions.find((a) => a.type === 'notify');

/** Earlier (failed) remediations of the nodegroup in the loop-guard window: the guard stops the next one. */
async function guardReached(seed: Seed): Promise<void> {
  for (const minutesAgo of [30, 20]) await putEarlierRemediation(seed, minutesAgo);
}

/** An open remediation made `minutesAgo`, whose replacement is the instance launched a minute ago. */
async function openRemediation(seed: Seed, minutesAgo: number): Promise<void> {
  await putEarlierRemediation(seed, minutesAgo, {
    status: 'open',
    replacedInstanceIds: ['i-0old0000000000001'],
  });
}

/**
 * Two open remediations followed up within the cooldown: the first made `minutesAgo[0]` before a
 * check, the second `minutesAgo[1]` before another check a minute later. The alert kind of each.
 */
async function followUpTwice(seed: Seed, minutesAgo: [number, number]) {
  const topic = recordingTopic();
  await openRemediation(seed, minutesAgo[0]);
  const first = await checkSeed(seed, { alerts: topic.publisher });
  await openRemediation(seed, minutesAgo[1]);
  seed.account.clock.advance(60_000);
  const second = await checkSeed(seed, { alerts: topic.publisher });
  return { first: first.nodegroup, second: second.nodegroup, kinds: topic.kinds() };
}

describe('alert cooldown: a problem', () => {
  it('is sent once per cooldown, and again once the cooldown is over', async () => {
    const seed = seedAccount();
    const topic = recordingTopic();
    const first = await checkSeed(seed, { policy: 'notify', alerts: topic.publisher });
    expect(notifyOf(first.nodegroup.actions)).toMatchObject({ status: 'done', alertKind: 'problem' });

    seed.account.clock.advance(HOUR - 1000);
    const second = await checkSeed(seed, { policy: 'notify', alerts: topic.publisher });
    expect(second.nodegroup.actions).toEqual([
      {
        type: 'notify',
        resourceId: 'sns',
        status: 'skipped',
        reasonCode: 'ALERT_COOLDOWN',
        cooldownSeconds: 3600,
        reason: 'not sent: the same alert was sent less than 3600 s ago',
      },
    ]);
    expect(second.result.errors).toEqual([]);
    expect(topic.sent).toHaveLength(1);

    seed.account.clock.advance(2000);
    const third = await checkSeed(seed, { policy: 'notify', alerts: topic.publisher });
    expect(notifyOf(third.nodegroup.actions)).toMatchObject({ status: 'done', alertKind: 'problem' });
    expect(topic.sent).toHaveLength(2);
  });

  it('lasts as long as the settings say', async () => {
    const seed = seedAccount();
    const topic = recordingTopic();
    const remediation = { alertCooldownSeconds: 120 };
    await checkSeed(seed, { policy: 'notify', alerts: topic.publisher, remediation });
    seed.account.clock.advance(60_000);
    const inside = await checkSeed(seed, { policy: 'notify', alerts: topic.publisher, remediation });
    expect(notifyOf(inside.nodegroup.actions)).toMatchObject({
      reasonCode: 'ALERT_COOLDOWN',
      cooldownSeconds: 120,
    });
    seed.account.clock.advance(61_000);
    await checkSeed(seed, { policy: 'notify', alerts: topic.publisher, remediation });
    expect(topic.sent).toHaveLength(2);
  });

  it('is not sent again for a new unjoined instance of the same problem', async () => {
    const seed = seedAccount();
    const topic = recordingTopic();
    await checkSeed(seed, { policy: 'notify', alerts: topic.publisher });
    seed.account.instances.push(
      unjoinedInstance({ instanceId: 'i-0b2c3d4e5f6a70819', launchedAt: '2026-11-26T09:30:00.000Z' }),
    );
    seed.account.clock.advance(600_000);
    const second = await checkSeed(seed, { policy: 'notify', alerts: topic.publisher });
    expect(second.nodegroup.findings.find((f) => f.code === 'NODES_NOT_JOINED')?.instanceIds).toHaveLength(2);
    expect(notifyOf(second.nodegroup.actions)).toMatchObject({
      status: 'skipped',
      reasonCode: 'ALERT_COOLDOWN',
    });
    expect(topic.sent).toHaveLength(1);
  });

  it('is sent at once when the problem changes', async () => {
    const seed = seedAccount();
    const topic = recordingTopic();
    await checkSeed(seed, { policy: 'notify', alerts: topic.publisher });
    // Someone adds a default route to a NAT gateway that is then deleted: a blackhole, another cause.
    addSeedDefaultRoute(seed.account, { kind: 'nat-gateway', id: 'nat-0deleted000000001' }, 'blackhole');
    seed.account.clock.advance(600_000);
    const second = await checkSeed(seed, { policy: 'notify', alerts: topic.publisher });
    expect(second.nodegroup.findings.map((f) => f.code)).toContain('BLACKHOLE_DEFAULT_ROUTE');
    expect(notifyOf(second.nodegroup.actions)).toMatchObject({ status: 'done', alertKind: 'problem' });
    expect(topic.sent).toHaveLength(2);
  });

  it('under dry-run too: the plan does not make it a new alert', async () => {
    const seed = seedAccount();
    const topic = recordingTopic();
    await checkSeed(seed, { policy: 'dry-run', alerts: topic.publisher });
    seed.account.clock.advance(600_000);
    const second = await checkSeed(seed, { policy: 'dry-run', alerts: topic.publisher });
    expect(actionsOf(second.nodegroup)).toEqual([
      'create-route:planned',
      'replace-instances:planned',
      'notify:skipped:ALERT_COOLDOWN',
    ]);
    expect(topic.sent).toHaveLength(1);
  });
});

describe('alert cooldown: escalations', () => {
  it('sends a loop-guard escalation once per cooldown', async () => {
    const seed = seedAccount();
    await guardReached(seed);
    const topic = recordingTopic();
    const first = await checkSeed(seed, { alerts: topic.publisher });
    expect(first.nodegroup.alertKind).toBe('escalation');
    expect(actionsOf(first.nodegroup)).toEqual([
      'create-route:skipped:LOOP_GUARD',
      'replace-instances:skipped:LOOP_GUARD',
      'notify:done',
    ]);
    seed.account.clock.advance(60_000);
    const second = await checkSeed(seed, { alerts: topic.publisher });
    expect(actionsOf(second.nodegroup).at(-1)).toBe('notify:skipped:ALERT_COOLDOWN');
    expect(topic.kinds()).toEqual(['escalation']);
    expect(seed.account.writes).toEqual([]);
  });

  it('always sends the escalation of a remediation whose replacements did not join', async () => {
    const seed = seedAccount({
      instances: [
        unjoinedInstance({ instanceId: 'i-0new0000000000001', launchedAt: '2026-11-26T09:55:00.000Z' }),
      ],
    });
    // Keep the planner out of it: the route is there, so nothing new is planned.
    addSeedDefaultRoute(seed.account);
    // A second remediation of the same nodegroup fails the same way within the hour: told again.
    const { first, second, kinds } = await followUpTwice(seed, [20, 10]);
    expect(first.alertKind).toBe('escalation');
    expect(second.alertKind).toBe('escalation');
    expect(notifyOf(second.actions)).toMatchObject({ status: 'done', alertKind: 'escalation' });
    expect(kinds).toEqual(['escalation', 'escalation']);
    expect((await recordsOf(seed)).map((r) => r.status)).toEqual(['escalated', 'escalated']);
  });
});

describe('alert cooldown: what was done and how it ended', () => {
  it('always sends "resolved", even twice within the cooldown', async () => {
    const joined = unjoinedInstance({
      instanceId: 'i-0new0000000000001',
      launchedAt: '2026-11-26T09:59:00.000Z',
      joined: true,
    });
    const { first, second, kinds } = await followUpTwice(seedAccount({ instances: [joined] }), [30, 5]);
    expect(first.alertKind).toBe('resolved');
    expect(second.alertKind).toBe('resolved');
    expect(kinds).toEqual(['resolved', 'resolved']);
  });

  it('always sends what a remediation changed, even right after another one', async () => {
    const seed = seedAccount();
    const topic = recordingTopic();
    const first = await checkSeed(seed, { alerts: topic.publisher });
    expect(first.nodegroup.alertKind).toBe('remediated');
    // The route is deleted again and the replacement cannot join: the next check escalates the first
    // remediation and makes a second one, within the hour. Both changes must reach people.
    deleteSeedDefaultRoute(seed.account);
    passJoinWindow(seed.account);
    const second = await checkSeed(seed, { alerts: topic.publisher });
    expect(actionsOf(second.nodegroup)).toEqual([
      'create-route:done',
      'replace-instances:done',
      'notify:done',
    ]);
    expect(topic.kinds()).toEqual(['remediated', 'remediated']);
    expect(replacementsOf(seed.account)).toHaveLength(2);
    expect((await recordsOf(seed)).map((r) => r.status)).toEqual(['escalated', 'open']);
  });

  it('sends a failed remediation once per cooldown per failure, and again when it fails for another reason', async () => {
    const seed = seedAccount();
    seed.account.inject(
      'createRoute',
      { kind: 'error', name: 'UnauthorizedOperation' },
      { kind: 'error', name: 'UnauthorizedOperation' },
    );
    const topic = recordingTopic();
    const first = await checkSeed(seed, {
      alerts: topic.publisher,
      remediation: { loopGuard: { maxRemediations: 5, windowSeconds: 6 * 3600 } },
    });
    expect(actionsOf(first.nodegroup)).toEqual([
      'create-route:failed:ACCESS_DENIED',
      'replace-instances:skipped:ROUTE_NOT_FIXED',
      'notify:done',
    ]);
    const loopGuard = { loopGuard: { maxRemediations: 5, windowSeconds: 6 * 3600 } };
    seed.account.clock.advance(60_000);
    const same = await checkSeed(seed, { alerts: topic.publisher, remediation: loopGuard });
    expect(actionsOf(same.nodegroup).at(-1)).toBe('notify:skipped:ALERT_COOLDOWN');
    // Suppressed counts as delivered: the record is not resumed to deliver it.
    expect((await recordsOf(seed)).map((r) => [r.status, r.alerted])).toEqual([
      ['failed', true],
      ['failed', true],
    ]);

    seed.account.inject('createRoute', { kind: 'error', name: 'Throttling' });
    seed.account.clock.advance(60_000);
    const other = await checkSeed(seed, { alerts: topic.publisher, remediation: loopGuard });
    expect(actionsOf(other.nodegroup)[0]).toBe('create-route:failed:THROTTLED');
    expect(actionsOf(other.nodegroup).at(-1)).toBe('notify:done');
    expect(topic.kinds()).toEqual(['remediated', 'remediated']);
  });
});
