import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import type { CheckPorts } from '../../../functions/core/model/check.js';
import { silentLog } from '../../../functions/core/model/ports.js';
import {
  type IncomingEvent,
  type ProcessSettings,
  processEvents,
  requeueCap,
} from '../../../functions/join-check/processEvents.js';

const LAUNCH = JSON.parse(
  readFileSync(new URL('../../../events/asg-launch-successful.json', import.meta.url), 'utf8'),
);
const NOW = new Date('2026-11-26T10:00:00Z');

/** A launch event dated `secondsAgo` before NOW, with its account and region changed as asked. */
function launch(secondsAgo: number, change: { account?: string | null; region?: string | null } = {}) {
  const event = structuredClone(LAUNCH);
  event.time = new Date(NOW.getTime() - secondsAgo * 1000).toISOString();
  for (const key of ['account', 'region'] as const) {
    if (change[key] === null) delete event[key];
    else if (change[key] !== undefined) event[key] = change[key];
  }
  return event;
}

function record(id: string, body: unknown, requeues?: number): IncomingEvent {
  return { id, body: JSON.stringify(body), ...(requeues !== undefined && { requeues }) };
}

const settings = (extra: Partial<ProcessSettings> = {}): ProcessSettings => ({
  defaultPolicy: 'notify',
  joinWindowSeconds: 1800,
  now: NOW,
  ...extra,
});

/** Ports whose only read says every group is gone: a launch that reaches them is skipped. */
function portsThatFindNoGroup() {
  const describeGroupTags = vi.fn(async () => new Map<string, Record<string, string>>());
  const portsFor = vi.fn(() => ({ account: { describeGroupTags }, log: silentLog }) as unknown as CheckPorts);
  return { portsFor, describeGroupTags };
}

const noAwsCall = () => {
  throw new Error('no AWS call expected');
};

describe('requeueCap', () => {
  it.each([
    [0, 2],
    [300, 3],
    [900, 3],
    [901, 4],
    [1800, 4],
    [3600, 6],
    [86_400, 98],
  ])('allows a %i s join window %i re-queues: the 900 s delays it needs, plus 2', (window, cap) => {
    expect(requeueCap(window)).toBe(cap);
  });
});

describe('processEvents: launches not yet due', () => {
  it('sends a launch back with its count raised by one', async () => {
    const outcome = await processEvents(
      [record('fresh', launch(600)), record('again', launch(600), 2)],
      settings(),
      noAwsCall,
    );

    expect(outcome.notDue).toEqual([
      { id: 'fresh', delaySeconds: 900, requeues: 1 },
      { id: 'again', delaySeconds: 900, requeues: 3 },
    ]);
    expect(outcome.failed).toEqual([]);
  });

  it('reports a launch still not due at the cap as malformed, naming the count, and never sends it back', async () => {
    const cap = requeueCap(1800);
    const event = launch(600);

    const outcome = await processEvents([record('stuck', event, cap)], settings(), noAwsCall);

    expect(outcome.notDue).toEqual([]);
    expect(outcome.failed).toEqual([
      {
        id: 'stuck',
        reason: `launch at ${event.time} still not due after 4 re-queues (cap 4 for a join window of 1800 s): its time cannot be right`,
        malformed: true,
      },
    ]);
  });

  it('still checks a launch that is due, however often it was sent back', async () => {
    const { portsFor, describeGroupTags } = portsThatFindNoGroup();

    const outcome = await processEvents([record('due', launch(1800), 9)], settings(), portsFor);

    expect(describeGroupTags).toHaveBeenCalledTimes(1);
    expect(outcome.failed).toEqual([]);
    expect(outcome.skipped).toEqual([{ id: 'due', reason: expect.stringContaining('no longer exists') }]);
  });

  it('reports a launch dated beyond the join window plus 5 minutes as malformed instead of sending it back', async () => {
    const outcome = await processEvents([record('future', launch(-(1800 + 301)))], settings(), noAwsCall);

    expect(outcome.notDue).toEqual([]);
    expect(outcome.failed).toEqual([
      { id: 'future', reason: expect.stringContaining('2101 s in the future'), malformed: true },
    ]);
  });

  it('reports a record whose envelope was already found bad as malformed, without parsing it', async () => {
    const outcome = await processEvents(
      [{ id: 'odd', body: JSON.stringify(launch(600)), malformed: 'record odd is not an SQS message' }],
      settings(),
      noAwsCall,
    );

    expect(outcome.failed).toEqual([
      { id: 'odd', reason: 'record odd is not an SQS message', malformed: true },
    ]);
    expect(outcome.notDue).toEqual([]);
  });
});

describe('processEvents: events that are not for this function', () => {
  it('skips an event of a region that is not watched, naming the region and REGIONS, without any call', async () => {
    const ownAccount = vi.fn(async () => '123456789012');

    const outcome = await processEvents(
      [record('far', launch(1800, { region: 'eu-west-1' }))],
      settings({ regions: ['us-west-2', 'us-east-1'], ownAccount }),
      noAwsCall,
    );

    expect(outcome.skipped).toEqual([
      { id: 'far', reason: 'event of region eu-west-1, which is not watched (REGIONS: us-west-2,us-east-1)' },
    ]);
    expect(ownAccount).not.toHaveBeenCalled();
  });

  it('skips an event of another account, naming both accounts, without any call', async () => {
    const outcome = await processEvents(
      [record('foreign', launch(1800, { account: '210987654321' }))],
      settings({ regions: ['us-west-2'], ownAccount: async () => '123456789012' }),
      noAwsCall,
    );

    expect(outcome.skipped).toEqual([
      {
        id: 'foreign',
        reason:
          "event of account 210987654321, not this function's account 123456789012: skipped without any call (misrouted event bus?)",
      },
    ]);
    expect(outcome.failed).toEqual([]);
  });

  it('asks for its own account once per batch, in the region of the first event that names one', async () => {
    const ownAccount = vi.fn(async () => '123456789012');
    const { portsFor } = portsThatFindNoGroup();

    await processEvents(
      [
        record('a', launch(1800, { region: 'us-east-1' })),
        record('b', launch(1800)),
        record('c', launch(1800, { account: '210987654321' })),
      ],
      settings({ ownAccount }),
      portsFor,
    );

    expect(ownAccount).toHaveBeenCalledTimes(1);
    expect(ownAccount).toHaveBeenCalledWith('us-east-1');
  });

  it('does not ask for its own account when no event to check names one', async () => {
    const ownAccount = vi.fn(async () => '123456789012');
    const skipped = launch(1800);
    skipped['detail-type'] = 'EC2 Instance Terminate Successful';
    const { portsFor } = portsThatFindNoGroup();

    const outcome = await processEvents(
      [record('no-account', launch(1800, { account: null })), record('skip', skipped), record('bad', '{')],
      settings({ ownAccount }),
      portsFor,
    );

    expect(ownAccount).not.toHaveBeenCalled();
    expect(outcome.skipped.map((s) => s.id)).toEqual(['skip', 'no-account']);
  });

  it('fails the records that name an account when the own account cannot be read, so they are retried', async () => {
    const { portsFor } = portsThatFindNoGroup();

    const outcome = await processEvents(
      [record('named', launch(1800)), record('unnamed', launch(1800, { account: null }))],
      settings({
        ownAccount: async () => {
          throw new Error('sts:GetCallerIdentity failed: ExpiredToken: the token expired');
        },
      }),
      portsFor,
    );

    expect(outcome.failed).toEqual([
      {
        id: 'named',
        reason:
          "cannot tell whether account 123456789012 is this function's own (sts:GetCallerIdentity failed: ExpiredToken: the token expired): the record is retried",
      },
    ]);
    // The event without an account is not in doubt: it is handled (here its group is gone).
    expect(outcome.skipped.map((s) => s.id)).toEqual(['unnamed']);
  });

  it('handles an event without a region as one of the default region', async () => {
    const { portsFor, describeGroupTags } = portsThatFindNoGroup();

    await processEvents(
      [record('nowhere', launch(1800, { region: null }))],
      settings({ regions: ['us-west-2'] }),
      portsFor,
    );

    expect(describeGroupTags).toHaveBeenCalledTimes(1);
    expect(portsFor).toHaveBeenCalledWith(undefined);
  });
});
