import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import type { CheckPorts } from '../../../functions/core/model/check.js';
import { NotFoundError } from '../../../functions/core/model/errors.js';
import { silentLog } from '../../../functions/core/model/ports.js';
import { DEFAULT_REMEDIATION } from '../../../functions/core/model/settings.js';
import {
  type IncomingEvent,
  type ProcessSettings,
  processEvents,
  requeueCap,
} from '../../../functions/join-check/processEvents.js';
import { recordingTopic, SEED_NOW, seedAccount } from '../../support/seedCheck.js';

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
    // Both were delivered before: the static checks ran at their first delivery, so no AWS call now.
    const outcome = await processEvents(
      [record('back', launch(600), 1), record('again', launch(600), 2)],
      settings(),
      noAwsCall,
    );

    expect(outcome.notDue).toEqual([
      { id: 'back', delaySeconds: 900, requeues: 2 },
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

// --- one check per nodegroup, on the in-memory account --------------------------------------------

const CREATE_NODEGROUP = JSON.parse(
  readFileSync(new URL('../../../events/eks-create-nodegroup.json', import.meta.url), 'utf8'),
);

/** The seed's unjoined nodegroup, its Auto Scaling group named as in the launch event. */
function seedWorld() {
  const seed = seedAccount();
  const group = LAUNCH.detail.AutoScalingGroupName as string;
  (seed.account.spec.nodegroup as { asg: string }).asg = group;
  const topic = recordingTopic();
  const ports: CheckPorts = {
    account: seed.account,
    membership: seed.account,
    writer: seed.account,
    state: seed.state,
    alerts: topic.publisher,
    clock: seed.account.clock,
    sleep: async (ms) => seed.account.clock.advance(ms),
    log: silentLog,
  };
  const portsFor = vi.fn(() => ports);
  /** processEvents on these records (by default one launch, `a`, of the group), with a 300 s join window. */
  const run = (records = [launchOf('a', group)], extra: Partial<ProcessSettings> = {}) =>
    processEvents(records, settings({ joinWindowSeconds: 300, ...extra }), portsFor);
  return { seed, group, topic, ports, portsFor, run };
}

/** A launch of `group`, due long ago, with its own event id. */
function launchOf(id: string, group: string) {
  const event = launch(1800);
  event.id = id;
  event.detail.AutoScalingGroupName = group;
  return record(id, event);
}

describe('processEvents: checks', () => {
  it('checks a burst of launches of one nodegroup once, naming every event, and says what it found', async () => {
    const { group, topic, run } = seedWorld();
    const outcome = await run([launchOf('a', group), launchOf('b', group), launchOf('c', group)]);
    expect(outcome.checks).toHaveLength(1);
    expect(outcome.checks[0]).toMatchObject({
      region: 'us-west-2',
      cluster: 'eks-workshop',
      nodegroup: 'new_nodegroup_2',
      eventIds: ['a', 'b', 'c'],
      findings: ['NO_DEFAULT_ROUTE', 'NODES_NOT_JOINED'],
      alerted: true,
    });
    expect(outcome.checks[0]?.error).toBeUndefined();
    expect(outcome.failed).toEqual([]);
    expect(outcome.skipped).toEqual([]);
    expect(topic.sent).toHaveLength(1);
  });

  it('passes the policy, the remediation settings and the deadline on to the check', async () => {
    const { seed, group, run } = seedWorld();
    const deadline = new Date(Date.parse(SEED_NOW) + 600_000);
    const outcome = await run([launchOf('a', group)], {
      defaultPolicy: 'remediate',
      remediation: { ...DEFAULT_REMEDIATION, recycleStrategy: 'scale-cycle' },
      deadline,
    });
    const actions = outcome.checks[0]?.result?.report.nodegroups[0]?.actions.map(
      (a) => `${a.type}:${a.status}`,
    );
    expect(actions).toEqual(['create-route:done', 'scale-cycle:done', 'notify:done']);
    expect(seed.account.writes.map((w) => w.op)).toContain('setDesiredSize');
  });

  it('records the check it ran to the end, at its snapshot time', async () => {
    const { seed, run } = seedWorld();
    await run();
    const checks = await seed.state.lastChecks([{ cluster: 'eks-workshop', nodegroup: 'new_nodegroup_2' }]);
    expect(checks.get('eks-workshop/new_nodegroup_2')).toEqual(new Date(SEED_NOW));
  });

  it('still reports a check whose record could not be saved', async () => {
    const { seed, run } = seedWorld();
    seed.state.recordCheck = async () => {
      throw new Error('dynamodb:PutItem failed: ProvisionedThroughputExceededException');
    };
    const outcome = await run();
    expect(outcome.failed).toEqual([]);
    expect(outcome.checks[0]?.alerted).toBe(true);
  });

  it('checks every nodegroup when the last checks cannot be read, rather than skip one wrongly', async () => {
    const { seed, run } = seedWorld();
    await seed.state.recordCheck('eks-workshop', 'new_nodegroup_2', new Date(SEED_NOW));
    seed.state.lastChecks = async () => {
      throw new Error('dynamodb:BatchGetItem failed: InternalServerError');
    };
    const outcome = await run();
    expect(outcome.checks).toHaveLength(1);
    expect(outcome.skipped).toEqual([]);
  });

  it('checks the subnets at once on a nodegroup API call, with the preflight policy', async () => {
    const { seed, portsFor } = seedWorld();
    seed.account.instances.length = 0;
    const event = structuredClone(CREATE_NODEGROUP);
    event.time = SEED_NOW;
    const outcome = await processEvents(
      [record('create', event)],
      settings({ defaultPolicy: 'remediate', preflightPolicy: 'notify' }),
      portsFor,
    );
    expect(outcome.checks[0]).toMatchObject({ eventIds: ['create'], findings: ['NO_DEFAULT_ROUTE'] });
    const report = outcome.checks[0]?.result?.report.nodegroups[0];
    expect(report?.policy).toBe('dry-run');
    expect(report?.actions.map((a) => `${a.type}:${a.status}`)).toEqual([
      'create-route:planned',
      'notify:done',
    ]);
    expect(seed.account.writes).toEqual([]);
  });

  it('skips events of clusters that are not watched, naming the cluster and CLUSTERS', async () => {
    const { group, run } = seedWorld();
    const outcome = await run([launchOf('a', group)], { clusters: ['production'] });
    expect(outcome.checks).toEqual([]);
    expect(outcome.skipped).toEqual([
      { id: 'a', reason: 'cluster eks-workshop of us-west-2 is not watched (CLUSTERS)' },
    ]);
  });

  it('watches a REGION/NAME cluster in that region only (a deployment over several regions)', async () => {
    const elsewhere = seedWorld();
    const skipped = await elsewhere.run([launchOf('a', elsewhere.group)], {
      clusters: ['eu-west-1/eks-workshop'],
    });
    expect(skipped.checks).toEqual([]);
    expect(skipped.skipped).toEqual([
      { id: 'a', reason: 'cluster eks-workshop of us-west-2 is not watched (CLUSTERS)' },
    ]);
    const here = seedWorld();
    const checked = await here.run([launchOf('a', here.group)], {
      clusters: ['eu-west-1/eks-workshop', 'us-west-2/eks-workshop'],
    });
    expect(checked.skipped).toEqual([]);
    expect(checked.checks.map((c) => c.eventIds)).toEqual([['a']]);
  });

  it('skips a launch of a group that is not a managed nodegroup, and one of a group that is gone', async () => {
    const { seed, group, run } = seedWorld();
    seed.account.describeGroupTags = async () => new Map([['self-managed', { Name: 'workers' }]]);
    const outcome = await run([
      launchOf('plain', 'self-managed'),
      launchOf('gone', 'deleted-group'),
      launchOf('ours', group),
    ]);
    expect(outcome.skipped).toEqual([
      {
        id: 'plain',
        reason:
          'Auto Scaling group self-managed is not an EKS managed nodegroup (no eks:cluster-name / eks:nodegroup-name tags)',
      },
      { id: 'gone', reason: 'Auto Scaling group deleted-group no longer exists' },
      { id: 'ours', reason: `Auto Scaling group ${group} no longer exists` },
    ]);
  });

  it('fails every launch of a region whose group tags cannot be read, so they are retried', async () => {
    const { seed, group, run } = seedWorld();
    seed.account.describeGroupTags = async () => {
      throw new Error('autoscaling:DescribeTags failed: Throttling: Rate exceeded');
    };
    const outcome = await run([launchOf('a', group), launchOf('b', group)]);
    expect(outcome.failed).toEqual([
      { id: 'a', reason: 'autoscaling:DescribeTags failed: Throttling: Rate exceeded' },
      { id: 'b', reason: 'autoscaling:DescribeTags failed: Throttling: Rate exceeded' },
    ]);
    expect(outcome.checks).toEqual([]);
  });

  it('skips the events of a nodegroup that no longer exists, and retries those of a check that failed', async () => {
    const gone = seedWorld();
    gone.seed.account.describeNodegroup = async () => {
      throw new NotFoundError('nodegroup new_nodegroup_2 of cluster eks-workshop does not exist');
    };
    const skipped = await gone.run();
    expect(skipped.skipped).toEqual([
      { id: 'a', reason: 'nodegroup new_nodegroup_2 of cluster eks-workshop does not exist' },
    ]);
    expect(skipped.failed).toEqual([]);
    expect(skipped.checks[0]?.error).toBe('nodegroup new_nodegroup_2 of cluster eks-workshop does not exist');

    const broken = seedWorld();
    broken.seed.account.readNetwork = async () => {
      throw new Error('ec2:DescribeRouteTables failed: InternalError');
    };
    const failed = await broken.run([launchOf('b', broken.group)]);
    expect(failed.failed).toEqual([{ id: 'b', reason: 'ec2:DescribeRouteTables failed: InternalError' }]);
    expect(failed.skipped).toEqual([]);
  });

  it('retries a check whose alert could not be published, naming the error', async () => {
    const { group, ports } = seedWorld();
    const failing = recordingTopic(1);
    const outcome = await processEvents([launchOf('a', group)], settings({ joinWindowSeconds: 300 }), () => ({
      ...ports,
      alerts: failing.publisher,
    }));
    expect(outcome.failed).toEqual([{ id: 'a', reason: 'Error: sns:Publish failed: InternalError' }]);
    expect(outcome.checks[0]).toMatchObject({
      alerted: false,
      error: 'Error: sns:Publish failed: InternalError',
    });
  });

  it('reports a body that is not JSON as malformed', async () => {
    const outcome = await processEvents([{ id: 'x', body: '{"source": ' }], settings(), noAwsCall);
    expect(outcome.failed).toEqual([
      { id: 'x', reason: expect.stringMatching(/^the record body is not JSON: /), malformed: true },
    ]);
  });

  it('parses an event given as an object (a direct invocation)', async () => {
    const { group, run } = seedWorld();
    const event = launch(1800);
    event.detail.AutoScalingGroupName = group;
    const outcome = await run([{ id: 'direct', body: event }]);
    expect(outcome.checks.map((c) => c.eventIds)).toEqual([['direct']]);
  });
});
