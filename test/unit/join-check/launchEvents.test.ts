/**
 * Launch events are looked at as soon as they arrive: the static causes of a launch into a broken
 * subnet are checked and alerted at once (preflight), and the launch comes back after its window for
 * its verdict. Failed launches are diagnosed once per nodegroup and cause per alert cooldown.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import type { CheckPorts } from '../../../functions/core/model/check.js';
import { AwsCallError } from '../../../functions/core/model/errors.js';
import { silentLog } from '../../../functions/core/model/ports.js';
import { DEFAULT_REMEDIATION } from '../../../functions/core/model/settings.js';
import {
  type IncomingEvent,
  type ProcessSettings,
  processEvents,
} from '../../../functions/join-check/processEvents.js';
import {
  JOIN_WINDOW_SECONDS,
  recordingTopic,
  SEED_ASG,
  SEED_TABLE,
  seedAccount,
  unjoinedInstance,
} from '../../support/seedCheck.js';

const sample = (name: string) =>
  JSON.parse(readFileSync(new URL(`../../../events/${name}`, import.meta.url), 'utf8'));
const LAUNCH = sample('asg-launch-successful.json');
const FAILED = sample('asg-launch-unsuccessful.json');
const WINDOW = JOIN_WINDOW_SECONDS;

/** The seed account at 10:00 with one instance launched `secondsAgo` into the subnet without egress. */
function world(secondsAgo = 10, policy: { remediate?: boolean } = {}) {
  const fresh = new Date(Date.parse('2026-11-26T10:00:00Z') - secondsAgo * 1000).toISOString();
  const seed = seedAccount({ instances: [unjoinedInstance({ instanceId: 'i-0fresh', launchedAt: fresh })] });
  const { account, state } = seed;
  const topic = recordingTopic();
  const ports: CheckPorts = {
    account,
    membership: account,
    writer: account,
    state,
    clock: account.clock,
    alerts: topic.publisher,
    log: silentLog,
  };
  const describeNodegroup = vi.spyOn(account, 'describeNodegroup');
  const settings = (extra: Partial<ProcessSettings> = {}): ProcessSettings => ({
    defaultPolicy: policy.remediate ? 'remediate' : 'notify',
    joinWindowSeconds: WINDOW,
    now: account.clock.now(),
    remediation: DEFAULT_REMEDIATION,
    ...extra,
  });
  return { account, state, ports, topic, describeNodegroup, settings, launchedAt: fresh };
}

/** A launch of the seed group at `time`, as the queue delivers it (`requeues` times back already). */
function launch(id: string, time: string, requeues = 0): IncomingEvent {
  const event = structuredClone(LAUNCH);
  event.id = id;
  event.time = time;
  event.detail.AutoScalingGroupName = SEED_ASG;
  event.detail.EC2InstanceId = 'i-0fresh';
  return { id, body: JSON.stringify(event), requeues };
}

/** A failed launch of the seed group at `time`, with Auto Scaling's message. */
function failed(id: string, time: string, statusMessage = FAILED.detail.StatusMessage): IncomingEvent {
  const event = structuredClone(FAILED);
  event.id = id;
  event.time = time;
  event.detail.AutoScalingGroupName = SEED_ASG;
  event.detail.StatusMessage = statusMessage;
  return { id, body: JSON.stringify(event), requeues: 0 };
}

describe('processEvents: a launch inside its window', () => {
  it('is checked for static causes at once and alerted, and sent back for its verdict', async () => {
    const { ports, topic, settings, launchedAt } = world();

    const outcome = await processEvents([launch('fresh', launchedAt)], settings(), () => ports);

    expect(outcome.notDue).toEqual([{ id: 'fresh', delaySeconds: WINDOW - 10, requeues: 1 }]);
    expect(outcome.failed).toEqual([]);
    expect(outcome.checks).toHaveLength(1);
    const report = outcome.checks[0]?.result?.report.nodegroups[0];
    // The cause, not the symptom: the instance is still inside its window.
    expect(report?.findings.map((f) => f.code)).toEqual(['NO_DEFAULT_ROUTE']);
    expect(report?.instances).toEqual([expect.objectContaining({ instanceId: 'i-0fresh', pending: true })]);
    expect(report?.findings[0]?.instanceIds).toEqual(['i-0fresh']);
    expect(topic.sent).toHaveLength(1);
  });

  it('costs one check for a burst of launches of one nodegroup, and none in a later batch of launches it saw', async () => {
    const { account, ports, describeNodegroup, settings, launchedAt } = world();
    const burst = Array.from({ length: 20 }, (_, n) => launch(`l${n}`, launchedAt));

    const first = await processEvents(burst, settings(), () => ports);
    expect(first.checks).toHaveLength(1);
    expect(first.notDue).toHaveLength(20);
    expect(describeNodegroup).toHaveBeenCalledTimes(1);

    // A late batch of launches from before that check: the check already looked at the subnets.
    account.clock.advance(20_000);
    const late = await processEvents(
      Array.from({ length: 5 }, (_, n) => launch(`m${n}`, launchedAt)),
      settings({ now: account.clock.now() }),
      () => ports,
    );
    expect(late.checks).toEqual([]);
    expect(late.notDue).toHaveLength(5);
    expect(describeNodegroup).toHaveBeenCalledTimes(1);

    // A launch after that check: its subnets are looked at again.
    const newer = await processEvents(
      [launch('n', account.clock.now().toISOString())],
      settings({ now: account.clock.now() }),
      () => ports,
    );
    expect(newer.checks).toHaveLength(1);
    expect(describeNodegroup).toHaveBeenCalledTimes(2);
  });

  it('invoked directly (no queue to wait in), checks a fresh launch at once with its static causes', async () => {
    const { ports, topic, settings, launchedAt } = world();
    const { now: _now, ...direct } = settings({ receivedAt: new Date('2026-11-26T10:00:00Z') });

    const outcome = await processEvents([launch('fresh', launchedAt)], direct, () => ports);

    expect(outcome.notDue).toEqual([]);
    expect(outcome.checks).toHaveLength(1);
    const report = outcome.checks[0]?.result?.report.nodegroups[0];
    expect(report?.findings.map((f) => f.code)).toEqual(['NO_DEFAULT_ROUTE']);
    expect(report?.findings[0]?.instanceIds).toEqual(['i-0fresh']);
    expect(topic.sent).toHaveLength(1);
  });

  it('does not check a launch again when it comes back still inside its window', async () => {
    const { ports, describeNodegroup, settings, launchedAt } = world();

    const outcome = await processEvents([launch('back', launchedAt, 1)], settings(), () => ports);

    expect(outcome.checks).toEqual([]);
    expect(outcome.notDue).toEqual([{ id: 'back', delaySeconds: WINDOW - 10, requeues: 2 }]);
    expect(describeNodegroup).not.toHaveBeenCalled();
  });

  it('never fails the record when its preflight fails: the launch is judged at its window anyway', async () => {
    const { account, ports, settings, launchedAt } = world();
    vi.spyOn(account, 'describeNodegroup').mockRejectedValue(
      new AwsCallError('eks:DescribeNodegroup', { name: 'ThrottlingException', message: 'Rate exceeded' }),
    );

    const outcome = await processEvents([launch('fresh', launchedAt)], settings(), () => ports);

    expect(outcome.failed).toEqual([]);
    expect(outcome.notDue.map((n) => n.id)).toEqual(['fresh']);
    expect(outcome.checks[0]?.error).toContain('Rate exceeded');
  });

  it('under PREFLIGHT_POLICY=notify plans the fix without writing; under remediate writes the route at once', async () => {
    const notify = world(10, { remediate: true });
    await processEvents(
      [launch('fresh', notify.launchedAt)],
      notify.settings({ preflightPolicy: 'notify' }),
      () => notify.ports,
    );
    expect(notify.account.writes).toEqual([]);
    const planned = notify.topic.sent[0]?.nodegroup.actions.find((a) => a.type === 'create-route');
    expect(planned).toMatchObject({ status: 'planned', routeTableId: SEED_TABLE });

    const fix = world(10, { remediate: true });
    await processEvents(
      [launch('fresh', fix.launchedAt)],
      fix.settings({ preflightPolicy: 'remediate' }),
      () => fix.ports,
    );
    expect(fix.account.writes.map((w) => w.op)).toEqual(['createRoute']);
    // Nothing is recycled at launch: the instance is still inside its window.
    expect(fix.topic.sent[0]?.nodegroup.actions.filter((a) => a.type === 'replace-instances')).toEqual([]);
  });

  it('after a fix at launch, recycles at the window only the instances still unjoined', async () => {
    const { account, ports, settings, launchedAt } = world(10, { remediate: true });
    await processEvents(
      [launch('fresh', launchedAt)],
      settings({ preflightPolicy: 'remediate' }),
      () => ports,
    );
    expect(account.writes.map((w) => w.op)).toEqual(['createRoute']);

    // The window passes and the instance never registered (its kubelet gave up before the fix).
    account.clock.advance(WINDOW * 1000);
    const due = await processEvents(
      [launch('fresh', launchedAt, 1)],
      settings({ preflightPolicy: 'remediate', now: account.clock.now() }),
      () => ports,
    );

    expect(due.notDue).toEqual([]);
    expect(account.writes.map((w) => w.op)).toEqual(['createRoute', 'terminateInstance']);
    const actions = due.checks[0]?.result?.report.nodegroups[0]?.actions ?? [];
    expect(actions.find((a) => a.type === 'replace-instances')).toMatchObject({
      status: 'done',
      instanceIds: ['i-0fresh'],
      routeTableId: SEED_TABLE,
    });
  });
});

describe('processEvents: failed launches', () => {
  const at = (secondsAgo: number) =>
    new Date(Date.parse('2026-11-26T10:00:00Z') - secondsAgo * 1000).toISOString();

  it('diagnoses a burst of failed launches in one check that hears of every failure', async () => {
    const { ports, describeNodegroup, settings } = world(3600);

    const outcome = await processEvents(
      [failed('f1', at(120)), failed('f2', at(60)), failed('f3', at(5))],
      settings(),
      () => ports,
    );

    expect(outcome.failed).toEqual([]);
    expect(outcome.notDue).toEqual([]);
    expect(outcome.checks).toHaveLength(1);
    expect(outcome.checks[0]?.eventIds).toEqual(['f1', 'f2', 'f3']);
    expect(describeNodegroup).toHaveBeenCalledTimes(1);
  });

  it('diagnoses one cause once per alert cooldown, and another cause at once', async () => {
    const { account, ports, describeNodegroup, settings } = world(3600);
    await processEvents([failed('f1', at(5))], settings(), () => ports);
    expect(describeNodegroup).toHaveBeenCalledTimes(1);

    // The same message for another instance, a minute later: inside the cooldown, no AWS call.
    account.clock.advance(60_000);
    const again = await processEvents(
      [
        failed(
          'f2',
          account.clock.now().toISOString(),
          FAILED.detail.StatusMessage.replace('i-0c2d', 'i-0d3e'),
        ),
      ],
      settings({ now: account.clock.now() }),
      () => ports,
    );
    expect(again.checks).toEqual([]);
    expect(again.skipped).toEqual([
      { id: 'f2', reason: expect.stringContaining('within the alert cooldown') },
    ]);
    expect(describeNodegroup).toHaveBeenCalledTimes(1);

    // Another cause: diagnosed now.
    const other = await processEvents(
      [
        failed(
          'f3',
          account.clock.now().toISOString(),
          "There are not enough free addresses in subnet 'subnet-0e5e4b6c1d2a3f405' to satisfy the requested number of instances. Launching EC2 instance failed.",
        ),
      ],
      settings({ now: account.clock.now() }),
      () => ports,
    );
    expect(other.checks).toHaveLength(1);

    // After the cooldown, the first cause is diagnosed again.
    account.clock.advance(DEFAULT_REMEDIATION.alertCooldownSeconds * 1000);
    const later = await processEvents(
      [failed('f4', account.clock.now().toISOString())],
      settings({ now: account.clock.now() }),
      () => ports,
    );
    expect(later.checks).toHaveLength(1);
  });
});
