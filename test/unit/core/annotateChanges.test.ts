import { describe, expect, it } from 'vitest';
import { annotateChanges, CHANGE_LOOKUP_BUDGET } from '../../../functions/core/check/annotateChanges.js';
import { runCheck } from '../../../functions/core/check/runCheck.js';
import { AwsCallError } from '../../../functions/core/model/errors.js';
import type { ChangeEvent, ChangeHistory } from '../../../functions/core/model/ports.js';
import { silentLog } from '../../../functions/core/model/ports.js';
import type { Finding } from '../../../functions/core/model/types.js';
import { NEW_TABLE, VPC } from '../../support/factories.js';
import { recordingLog } from '../../support/recordingLog.js';
import { namedError } from '../../support/sdkErrors.js';
import { JOIN_WINDOW_SECONDS, SEED_CLUSTER, SEED_NODEGROUP, seedAccount } from '../../support/seedCheck.js';

const NOW = new Date('2026-11-26T10:05:00.000Z');
const ROLE = 'arn:aws:sts::123456789012:assumed-role/platform-admin/jdoe';

/** A CloudTrail history in memory: events by resource name; a resource mapped to an Error fails. */
function fakeHistory(byResource: Record<string, ChangeEvent[] | Error> = {}) {
  const calls: { resourceName: string; since: Date }[] = [];
  const history: ChangeHistory = {
    async lookupEvents(resourceName, since) {
      calls.push({ resourceName, since });
      const answer = byResource[resourceName] ?? [];
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
  return { history, calls, looked: () => calls.map((c) => c.resourceName) };
}

function finding(overrides: Partial<Finding> & Pick<Finding, 'code' | 'resourceId'>): Finding {
  return {
    severity: 'critical',
    message: `${overrides.code} on ${overrides.resourceId}`,
    fix: '',
    ...overrides,
  };
}

const noRoute = (routeTableId = NEW_TABLE) =>
  finding({ code: 'NO_DEFAULT_ROUTE', resourceId: routeTableId, routeTableId });

const deleteRoute: ChangeEvent = {
  eventName: 'DeleteRoute',
  eventTime: '2026-11-26T10:02:00.000Z',
  eventSource: 'ec2.amazonaws.com',
  principalArn: ROLE,
  userName: 'jdoe',
  eventId: '6f1a5a0e-3c1b-4c3e-9c43-0b9f0c6b2d11',
  readOnly: false,
};

describe('annotateChanges', () => {
  it('adds the most recent change to a routing finding: the call, the time, the caller', async () => {
    const { history, calls } = fakeHistory({ [NEW_TABLE]: [deleteRoute] });
    const [annotated] = await annotateChanges([noRoute()], { changes: history, log: silentLog }, NOW);
    expect(annotated?.lastChange).toEqual({
      found: true,
      eventName: 'DeleteRoute',
      eventTime: '2026-11-26T10:02:00.000Z',
      principalArn: ROLE,
      userName: 'jdoe',
      eventId: '6f1a5a0e-3c1b-4c3e-9c43-0b9f0c6b2d11',
    });
    // CloudTrail keeps 90 days of management events: the lookup asks for all of them.
    expect(calls[0]?.since.toISOString()).toBe('2026-08-28T10:05:00.000Z');
  });

  it('leaves findings that are not about a resource change alone, and looks nothing up for them', async () => {
    const { history, calls } = fakeHistory();
    const notJoined = finding({
      code: 'NODES_NOT_JOINED',
      resourceId: 'arn:aws:eks:us-west-2:1:nodegroup/x',
    });
    const result = await annotateChanges([notJoined], { changes: history, log: silentLog }, NOW);
    expect(result).toEqual([notJoined]);
    expect(result[0]).not.toHaveProperty('lastChange');
    expect(calls).toEqual([]);
  });

  it('without the port, returns the findings as they are', async () => {
    const findings = [noRoute()];
    expect(await annotateChanges(findings, { log: silentLog }, NOW)).toBe(findings);
  });

  it('looks a resource up once per check: findings sharing a route table share its lookup', async () => {
    const { history, looked } = fakeHistory({ [NEW_TABLE]: [deleteRoute] });
    const noIp = (subnetId: string) =>
      finding({ code: 'NO_PUBLIC_IP', resourceId: subnetId, subnetId, routeTableId: NEW_TABLE });
    const result = await annotateChanges(
      [noIp('subnet-0aaa'), noIp('subnet-0bbb'), noRoute()],
      { changes: history, log: silentLog },
      NOW,
    );
    expect(looked()).toEqual([NEW_TABLE]);
    expect(result.map((f) => f.lastChange?.found)).toEqual([true, true, true]);
  });

  it(`looks up at most ${CHANGE_LOOKUP_BUDGET} resources, critical findings first; the rest say NOT_LOOKED_UP`, async () => {
    const { history, looked } = fakeHistory();
    const warning = finding({ code: 'VPC_DNS_DISABLED', resourceId: VPC, severity: 'warning' });
    const tables = ['rtb-01', 'rtb-02', 'rtb-03', 'rtb-04', 'rtb-05'].map((id) => noRoute(id));
    const result = await annotateChanges([warning, ...tables], { changes: history, log: silentLog }, NOW);
    expect(looked()).toEqual(['rtb-01', 'rtb-02', 'rtb-03', 'rtb-04']);
    expect(result.map((f) => (f.lastChange?.found === false ? f.lastChange.why : 'found'))).toEqual([
      'NOT_LOOKED_UP',
      'NONE_FOUND',
      'NONE_FOUND',
      'NONE_FOUND',
      'NONE_FOUND',
      'NOT_LOOKED_UP',
    ]);
    expect(result[0]?.lastChange).toMatchObject({ detail: expect.stringContaining('at most 4 resources') });
  });

  it('says NONE_FOUND when 90 days hold no relevant write (only reads and unrelated calls)', async () => {
    const { history } = fakeHistory({
      [NEW_TABLE]: [
        { ...deleteRoute, eventName: 'DescribeRouteTables', readOnly: true },
        { ...deleteRoute, eventName: 'CreateTags' },
      ],
    });
    const [annotated] = await annotateChanges([noRoute()], { changes: history, log: silentLog }, NOW);
    expect(annotated?.lastChange).toEqual({
      found: false,
      why: 'NONE_FOUND',
      detail: expect.stringMatching(/no change of rtb-0f1e2d3c4b5a69788 .* in the last 90 days/),
    });
  });

  it('says ACCESS_DENIED and names the permission to grant when the role may not call LookupEvents; the check goes on', async () => {
    const denied = new AwsCallError(
      'cloudtrail:LookupEvents',
      namedError(
        'AccessDeniedException',
        'User: arn:aws:sts::123456789012:assumed-role/x/y is not authorized',
      ),
    );
    const log = recordingLog();
    const { history } = fakeHistory({ [NEW_TABLE]: denied });
    const [annotated] = await annotateChanges([noRoute()], { changes: history, log }, NOW);
    expect(annotated?.lastChange).toEqual({
      found: false,
      why: 'ACCESS_DENIED',
      detail: expect.stringContaining('grant cloudtrail:LookupEvents'),
    });
    expect(log.entries).toContainEqual(
      expect.objectContaining({ level: 'warn', message: 'CloudTrail lookup failed' }),
    );
  });

  it('says UNAVAILABLE with the error for any other failure, including a port that throws at once', async () => {
    const throttled = new AwsCallError(
      'cloudtrail:LookupEvents',
      namedError('ThrottlingException', 'Rate exceeded'),
    );
    const broken: ChangeHistory = {
      lookupEvents(resourceName) {
        if (resourceName === 'rtb-0sync') throw new Error('not a promise\n  a hint for developers');
        return Promise.reject(throttled);
      },
    };
    const result = await annotateChanges(
      [noRoute(), noRoute('rtb-0sync')],
      { changes: broken, log: silentLog },
      NOW,
    );
    expect(result[0]?.lastChange).toMatchObject({
      found: false,
      why: 'UNAVAILABLE',
      detail: expect.stringContaining('ThrottlingException: Rate exceeded'),
    });
    expect(result[1]?.lastChange).toMatchObject({
      why: 'UNAVAILABLE',
      detail: expect.stringMatching(/could not be read: not a promise$/),
    });
  });

  it('a blackhole route: the dead NAT gateway’s deletion, newer than any route change, is the change shown', async () => {
    const deadNat = 'nat-0dead000000000000';
    const { history, looked } = fakeHistory({
      [NEW_TABLE]: [{ ...deleteRoute, eventName: 'CreateRoute', eventTime: '2026-08-30T08:00:00.000Z' }],
      [deadNat]: [{ ...deleteRoute, eventName: 'DeleteNatGateway', eventTime: '2026-11-26T09:12:00.000Z' }],
    });
    const blackhole = finding({
      code: 'BLACKHOLE_DEFAULT_ROUTE',
      resourceId: NEW_TABLE,
      routeTableId: NEW_TABLE,
      natGatewayId: 'nat-0123456789abcdef0',
      deadNatGatewayId: deadNat,
      // The lookup reads the field, never the sentence.
      message: `Route table ${NEW_TABLE} sends 0.0.0.0/0 nowhere.`,
    });
    const [annotated] = await annotateChanges([blackhole], { changes: history, log: silentLog }, NOW);
    expect(looked()).toEqual([NEW_TABLE, deadNat]);
    expect(annotated?.lastChange).toMatchObject({ found: true, eventName: 'DeleteNatGateway' });
  });

  it('a finding keeps what one of its lookups found even when its other lookup failed', async () => {
    const deadNat = 'nat-0dead000000000000';
    const { history } = fakeHistory({
      [NEW_TABLE]: [deleteRoute],
      [deadNat]: new Error('socket hang up'),
    });
    const blackhole = finding({
      code: 'BLACKHOLE_DEFAULT_ROUTE',
      resourceId: NEW_TABLE,
      routeTableId: NEW_TABLE,
      deadNatGatewayId: deadNat,
      message: 'its NAT gateway does not exist any more',
    });
    const [annotated] = await annotateChanges([blackhole], { changes: history, log: silentLog }, NOW);
    expect(annotated?.lastChange).toMatchObject({ found: true, eventName: 'DeleteRoute' });
  });
});

describe('a check with the change history port', () => {
  it('reports the seed’s NO_DEFAULT_ROUTE with who deleted the route; NODES_NOT_JOINED carries nothing', async () => {
    const { account, state } = seedAccount();
    const { history } = fakeHistory({ [NEW_TABLE]: [deleteRoute] });
    const { report } = await runCheck(
      {
        clusterName: SEED_CLUSTER,
        nodegroupNames: [SEED_NODEGROUP],
        policyOverride: 'notify',
        defaultPolicy: 'notify',
        joinWindowSeconds: JOIN_WINDOW_SECONDS,
      },
      { account, membership: account, state, changes: history, clock: account.clock, log: silentLog },
    );
    const findings = report.nodegroups[0]?.findings ?? [];
    expect(findings.find((f) => f.code === 'NO_DEFAULT_ROUTE')?.lastChange).toMatchObject({
      found: true,
      eventName: 'DeleteRoute',
      principalArn: ROLE,
    });
    expect(findings.find((f) => f.code === 'NODES_NOT_JOINED')).not.toHaveProperty('lastChange');
  });
});
