/**
 * Checks are deduplicated across batches: a launch whose nodegroup was checked, to the end, after the
 * launch was due is not checked again; a launch due later, or a nodegroup API call, always is.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import type { CheckPorts } from '../../../functions/core/model/check.js';
import { silentLog } from '../../../functions/core/model/ports.js';
import {
  type IncomingEvent,
  type ProcessSettings,
  processEvents,
} from '../../../functions/join-check/processEvents.js';
import { SEED_ASG, seedAccount, unjoinedInstance } from '../../support/seedCheck.js';
import type { FakeClock } from '../../support/stateStoreContract.js';

const LAUNCH = JSON.parse(
  readFileSync(new URL('../../../events/asg-launch-successful.json', import.meta.url), 'utf8'),
);
const NODEGROUP_CALL = JSON.parse(
  readFileSync(new URL('../../../events/eks-update-nodegroup-config.json', import.meta.url), 'utf8'),
);
const WINDOW = 300;

/** The seed nodegroup at 10:00, its one instance (launched at 09:00) joined. */
function world() {
  const { account, state } = seedAccount({
    instances: [unjoinedInstance({ instanceId: 'i-0joined', joined: true })],
  });
  const clock = account.clock;
  const describeNodegroup = vi.spyOn(account, 'describeNodegroup');
  const describeGroupTags = vi.spyOn(account, 'describeGroupTags');
  const ports: CheckPorts = { account, membership: account, writer: account, state, clock, log: silentLog };
  return { clock, account, state, ports, describeNodegroup, describeGroupTags };
}

/** A launch of the fake's group, `secondsAgo` before the clock's now. */
function launch(id: string, clock: FakeClock, secondsAgo: number): IncomingEvent {
  const event = structuredClone(LAUNCH);
  event.id = id;
  event.detail.AutoScalingGroupName = SEED_ASG;
  event.time = new Date(clock.now().getTime() - secondsAgo * 1000).toISOString();
  return { id, body: JSON.stringify(event) };
}

function settings(clock: FakeClock, extra: Partial<ProcessSettings> = {}): ProcessSettings {
  return { defaultPolicy: 'notify', joinWindowSeconds: WINDOW, now: clock.now(), ...extra };
}

describe('processEvents: checks deduplicated across batches', () => {
  it('does not check a launch again when its nodegroup was checked after it was due', async () => {
    const { clock, ports, describeNodegroup } = world();
    const first = await processEvents([launch('a', clock, 600)], settings(clock), () => ports);
    expect(first.checks).toHaveLength(1);

    clock.advance(30_000);
    // Due 5 minutes after a launch 10 minutes ago: long before the first check.
    const again = await processEvents(
      [launch('b', clock, 660), launch('c', clock, 640)],
      settings(clock),
      () => ports,
    );
    expect(again.checks).toEqual([]);
    expect(again.skipped.map((s) => s.id)).toEqual(['b', 'c']);
    expect(again.skipped[0]?.reason).toMatch(
      /was checked at 2026-11-26T10:00:00.000Z, after this launch was due/,
    );
    expect(describeNodegroup).toHaveBeenCalledTimes(1);
  });

  it('always checks a launch due after the last check', async () => {
    const { clock, ports, describeNodegroup } = world();
    await processEvents([launch('a', clock, 600)], settings(clock), () => ports);
    clock.advance(400_000);
    // Launched 10 s after the first check: due after it.
    const later = await processEvents([launch('b', clock, 390)], settings(clock), () => ports);
    expect(later.checks.map((c) => c.eventIds)).toEqual([['b']]);
    expect(describeNodegroup).toHaveBeenCalledTimes(2);
  });

  it('always runs a nodegroup API call (preflight), checked or not', async () => {
    const { clock, ports } = world();
    await processEvents([launch('a', clock, 600)], settings(clock), () => ports);
    const call = structuredClone(NODEGROUP_CALL);
    const outcome = await processEvents(
      [{ id: 'ng', body: JSON.stringify(call) }],
      settings(clock),
      () => ports,
    );
    expect(outcome.checks.map((c) => c.eventIds)).toEqual([['ng']]);
  });

  it('records only a check that ran to the end: an unpublished alert keeps the launch due', async () => {
    const { clock, ports, account, state } = world();
    account.instances[0] = { ...(account.instances[0] as (typeof account.instances)[0]), joined: false };
    const failing: CheckPorts = {
      ...ports,
      alerts: {
        publish: async () => {
          throw new Error('sns:Publish failed');
        },
      },
    };
    const outcome = await processEvents([launch('a', clock, 600)], settings(clock), () => failing);
    expect(outcome.failed.map((f) => f.id)).toEqual(['a']);
    expect(await state.lastChecks([{ cluster: 'eks-workshop', nodegroup: 'new_nodegroup_2' }])).toEqual(
      new Map(),
    );
  });

  it('retries the launches of a nodegroup another run holds, and records no check for them', async () => {
    const { clock, ports, state } = world();
    await state.acquireLock('eks-workshop', 'new_nodegroup_2', 'another-run', 600);
    const outcome = await processEvents(
      [launch('a', clock, 600)],
      settings(clock, { defaultPolicy: 'remediate' }),
      () => ({ ...ports, runId: 'this-run' }),
    );
    expect(outcome.failed).toEqual([
      { id: 'a', reason: 'another run is checking eks-workshop/new_nodegroup_2: the events are retried' },
    ]);
    expect(await state.lastChecks([{ cluster: 'eks-workshop', nodegroup: 'new_nodegroup_2' }])).toEqual(
      new Map(),
    );
  });

  it('looks up a group once per container: a known group costs no tag lookup', async () => {
    const { clock, ports, describeGroupTags } = world();
    const groupOwners = new Map<string, { cluster: string; nodegroup: string }>();
    await processEvents([launch('a', clock, 600)], settings(clock, { groupOwners }), () => ports);
    clock.advance(400_000);
    await processEvents([launch('b', clock, 390)], settings(clock, { groupOwners }), () => ports);
    expect(describeGroupTags).toHaveBeenCalledTimes(1);
    expect([...groupOwners.values()]).toEqual([{ cluster: 'eks-workshop', nodegroup: 'new_nodegroup_2' }]);
  });
});
