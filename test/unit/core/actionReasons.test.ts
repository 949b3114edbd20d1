/**
 * The `reason` of an action, rendered from its data by explain(): each one names what a person needs
 * to act on (the table, the subnets, the instances, the NAT gateways and why they were rejected, the
 * numbers of a limit, the error), and distinguishes the cases. Not the exact wording.
 */
import { describe, expect, it } from 'vitest';
import type {
  NotifyAction,
  ReasonCode,
  ReplaceInstancesAction,
  RouteAction,
  ScaleCycleAction,
} from '../../../functions/core/model/types.js';
import { explain, withReason } from '../../../functions/core/remediate/reasons.js';

const TABLE = 'rtb-0f1e2d3c4b5a69788';
const NAT = 'nat-0123456789abcdef0';
const DEAD_NAT = 'nat-0dead00000000000d';

function route(overrides: Partial<RouteAction> = {}): RouteAction {
  return {
    type: 'create-route',
    resourceId: TABLE,
    routeTableId: TABLE,
    destination: '0.0.0.0/0',
    subnetIds: ['subnet-0aaa', 'subnet-0bbb'],
    natGatewayId: NAT,
    before: 'no 0.0.0.0/0 route',
    status: 'planned',
    reason: '',
    ...overrides,
  };
}

function replace(overrides: Partial<ReplaceInstancesAction> = {}): ReplaceInstancesAction {
  return {
    type: 'replace-instances',
    resourceId: 'i-0aaa',
    autoScalingGroupName: 'eks-ng',
    instanceIds: ['i-0aaa'],
    status: 'planned',
    reason: '',
    ...overrides,
  };
}

function cycle(overrides: Partial<ScaleCycleAction> = {}): ScaleCycleAction {
  return {
    type: 'scale-cycle',
    resourceId: 'new_nodegroup_2',
    nodegroup: 'new_nodegroup_2',
    desiredSize: 3,
    instanceIds: ['i-0aaa', 'i-0bbb'],
    routeTableIds: [TABLE],
    status: 'planned',
    reason: '',
    ...overrides,
  };
}

function notify(overrides: Partial<NotifyAction> = {}): NotifyAction {
  return { type: 'notify', resourceId: 'sns', status: 'planned', reason: '', ...overrides };
}

const skipped = { status: 'skipped' } as const;

describe('explain: what is or would be done', () => {
  it('names the NAT gateway, the table and every subnet a route serves', () => {
    const reason = explain(route());
    for (const part of [NAT, TABLE, 'subnet-0aaa', 'subnet-0bbb']) expect(reason).toContain(part);
    expect(reason).not.toContain('another availability zone');
  });

  it('says when the NAT gateway is in another zone', () => {
    expect(explain(route({ crossZone: true }))).toContain('another availability zone');
  });

  it('names the dead route a replacement takes the place of', () => {
    const previous = {
      destination: '0.0.0.0/0',
      target: { kind: 'nat-gateway', id: DEAD_NAT },
      state: 'blackhole',
    } as const;
    const reason = explain(route({ type: 'replace-route', previous }));
    expect(reason).toContain(DEAD_NAT);
    expect(reason).toContain(NAT);
    expect(explain(route({ type: 'replace-route' }))).not.toBe(explain(route()));
  });

  it('names the instances replaced, and what kept scale-cycle from being used', () => {
    expect(explain(replace({ instanceIds: ['i-0aaa', 'i-0bbb'] }))).toMatch(/i-0aaa, i-0bbb/);
    const blocked = explain(replace({ scaleCycleBlockedBy: 'INSTANCES_JOINED', blockers: ['i-0ccc'] }));
    expect(blocked).toContain('i-0ccc');
    expect(blocked).toContain('scale-cycle');
    expect(blocked).not.toBe(
      explain(replace({ scaleCycleBlockedBy: 'MIN_SIZE', blockers: ['minimum size 1'] })),
    );
    expect(explain(replace({ scaleCycleBlockedBy: 'MIN_SIZE' }))).not.toContain(':  ');
  });

  it('names the nodegroup and the size a scale-cycle comes back to', () => {
    const reason = explain(cycle());
    expect(reason).toContain('new_nodegroup_2');
    expect(reason).toContain('3');
  });

  it('names the kind and message of a published alert', () => {
    const reason = explain(notify({ status: 'done', alertKind: 'escalation', messageId: 'm-1' }));
    expect(reason).toContain('escalation');
    expect(reason).toContain('m-1');
  });

  it('adds how a done route came about', () => {
    const already = explain(route({ status: 'done', reasonCode: 'ALREADY_THERE' }));
    const verified = explain(route({ status: 'done', reasonCode: 'VERIFIED_AFTER_ERROR' }));
    const plain = explain(route({ status: 'done' }));
    expect(already).toContain(plain);
    expect(new Set([already, verified, plain]).size).toBe(3);
  });
});

describe('explain: why not', () => {
  it('gives every refusal of a route its own sentence, naming the table and how it looks now', () => {
    const codes: ReasonCode[] = [
      'EGRESS_PRESENT',
      'IPV6_ONLY',
      'ROUTE_NOT_NAT',
      'ROUTE_NOT_DEAD',
      'SPLIT_ROUTE',
      'ROUTE_CHANGED',
    ];
    const reasons = codes.map((reasonCode) =>
      explain(route({ ...skipped, reasonCode, before: '0.0.0.0/0 → tgw-0aaa (active)' })),
    );
    for (const reason of reasons) {
      expect(reason).toContain(TABLE);
      expect(reason).toContain('tgw-0aaa');
    }
    expect(new Set(reasons).size).toBe(codes.length);
  });

  it('names the prefix list whose entries could not be read', () => {
    expect(explain(route({ ...skipped, reasonCode: 'EGRESS_UNKNOWN', prefixListId: 'pl-0abc' }))).toContain(
      'pl-0abc',
    );
  });

  it('names the subnets a main table serves, and how to allow it', () => {
    const reason = explain(route({ ...skipped, reasonCode: 'MAIN_ROUTE_TABLE' }));
    expect(reason).toContain('subnet-0aaa, subnet-0bbb');
    expect(reason).toContain('ALLOW_MAIN_ROUTE_TABLE');
  });

  it('names the subnets outside the cluster a shared table serves, and how to allow it', () => {
    const one = explain(
      route({ ...skipped, reasonCode: 'SHARED_ROUTE_TABLE', outsideSubnetIds: ['subnet-0out'] }),
    );
    const two = explain(
      route({
        ...skipped,
        reasonCode: 'SHARED_ROUTE_TABLE',
        outsideSubnetIds: ['subnet-0out', 'subnet-0ext'],
      }),
    );
    expect(one).toContain('subnet-0out');
    expect(two).toContain('subnet-0out, subnet-0ext');
    expect(one).toContain('ALLOW_SHARED_ROUTE_TABLE');
    expect(one).toContain('eks-join-remediator/managed=true');
    expect(one).not.toBe(two.replace('subnet-0out, subnet-0ext', 'subnet-0out'));
  });

  it('names each NAT gateway rejected and why, each reason its own words', () => {
    const whys = [
      'OTHER_VPC',
      'NOT_AVAILABLE',
      'PRIVATE_CONNECTIVITY',
      'IN_PATCHED_TABLE',
      'NO_INTERNET_ROUTE',
      'INTERNET_GATEWAY_NOT_ATTACHED',
      'INTERNET_GATEWAYS_UNKNOWN',
    ] as const;
    const rejectedNatGateways = whys.map((why, i) => ({ natGatewayId: `nat-0${i}`, why }));
    const reason = explain(route({ ...skipped, reasonCode: 'NO_USABLE_NAT', rejectedNatGateways }));
    const parts = reason.split('; ');
    expect(parts).toHaveLength(whys.length);
    whys.forEach((_, i) => {
      expect(parts[i]).toContain(`nat-0${i} `);
    });
    const words = parts.map((p, i) => p.slice(p.indexOf(`nat-0${i}`) + 6).split('. ')[0] ?? '');
    expect(new Set(words).size).toBe(whys.length);
    expect(words.every((w) => w.trim().length > 5)).toBe(true);
    expect(explain(route({ ...skipped, reasonCode: 'NO_USABLE_NAT' }))).not.toContain('nat-0');
  });

  it('names the instances not recycled, in the right number', () => {
    const one = replace({ ...skipped, instanceIds: ['i-0aaa'] });
    const two = replace({ ...skipped, instanceIds: ['i-0aaa', 'i-0bbb'] });
    for (const reasonCode of [
      'ROUTE_NOT_FIXED',
      'INSTANCES_JOINED',
      'INSTANCES_PENDING',
      'ALREADY_GONE',
    ] as const) {
      expect(explain({ ...two, reasonCode })).toContain('i-0aaa, i-0bbb');
      expect(explain({ ...one, reasonCode })).toContain('i-0aaa');
    }
    expect(explain({ ...one, reasonCode: 'NO_ROUTE_FIX' })).toContain('1 unjoined instance ');
    expect(explain({ ...two, reasonCode: 'NO_ROUTE_FIX' })).toContain('2 unjoined instances');
    for (const reasonCode of [
      'ROUTE_NOT_FIXED',
      'INSTANCES_PENDING',
      'ALREADY_GONE',
      'NO_ROUTE_FIX',
    ] as const) {
      expect(explain({ ...one, reasonCode })).not.toBe(
        explain({ ...two, reasonCode })
          .replaceAll('i-0aaa, i-0bbb', 'i-0aaa')
          .replace('2 unjoined instances', '1 unjoined instance'),
      );
    }
  });

  it('gives the seconds needed and left when a scale-cycle has no time', () => {
    const reason = explain(
      cycle({ ...skipped, reasonCode: 'NOT_ENOUGH_TIME', secondsNeeded: 300, secondsLeft: 42 }),
    );
    expect(reason).toContain('300');
    expect(reason).toContain('42');
  });

  it('gives the loop guard numbers: remediations, window in hours and limit, and what was planned', () => {
    const reason = explain(
      route({
        ...skipped,
        reasonCode: 'LOOP_GUARD',
        loopGuard: { remediations: 3, limit: 2, windowSeconds: 5400 },
      }),
    );
    expect(reason).toMatch(/\b3\b/);
    expect(reason).toMatch(/1\.5 h/);
    expect(reason).toMatch(/\b2\b/);
    expect(reason).toContain(NAT);
  });

  it('gives the cooldown of a suppressed alert', () => {
    expect(explain(notify({ ...skipped, reasonCode: 'ALERT_COOLDOWN', cooldownSeconds: 3600 }))).toContain(
      '3600',
    );
  });

  it('names the write and the error of a failure, and says when its outcome is unknown', () => {
    for (const reasonCode of ['ACCESS_DENIED', 'THROTTLED', 'CALL_FAILED'] as const) {
      const reason = explain(route({ status: 'failed', reasonCode, error: 'UnauthorizedOperation' }));
      expect(reason).toContain('UnauthorizedOperation');
      expect(reason).toContain(TABLE);
      expect(reason).toContain(NAT);
    }
    const unknown = explain(
      route({ status: 'failed', reasonCode: 'OUTCOME_UNKNOWN', error: 'socket hang up' }),
    );
    expect(unknown).toContain('socket hang up');
    expect(unknown).not.toBe(
      explain(route({ status: 'failed', reasonCode: 'CALL_FAILED', error: 'socket hang up' })),
    );
    expect(explain(replace({ status: 'failed', reasonCode: 'CALL_FAILED', error: 'e' }))).toContain('i-0aaa');
    expect(explain(cycle({ status: 'failed', reasonCode: 'CALL_FAILED', error: 'e' }))).toContain(
      'new_nodegroup_2',
    );
  });

  it('tells a person to undo a scale-cycle left at 0, with the size it should have and the error', () => {
    for (const reasonCode of ['NOT_ACTIVE_IN_TIME', 'SCALE_BACK_FAILED'] as const) {
      const reason = explain(cycle({ status: 'failed', reasonCode, error: 'ResourceInUseException' }));
      expect(reason).toContain('new_nodegroup_2');
      expect(reason).toContain('3');
      expect(reason).toContain('ResourceInUseException');
    }
    expect(explain(cycle({ status: 'failed', reasonCode: 'SCALE_BACK_FAILED' }))).not.toContain('(');
  });

  it('gives the remaining refusals each their own sentence', () => {
    const codes = ['MEMBERSHIP_UNKNOWN', 'MIN_SIZE', 'NO_WRITER', 'LOCKED'] as const;
    const reasons = codes.map((reasonCode) => explain(cycle({ ...skipped, reasonCode })));
    expect(new Set(reasons).size).toBe(codes.length);
    for (const reason of reasons) expect(reason.length).toBeGreaterThan(20);
  });

  it('sets the reason on a copy, leaving the action it is given as it was', () => {
    const action = route({ ...skipped, reasonCode: 'LOCKED' });
    const explained = withReason(action);
    expect(explained.reason).toBe(explain(action));
    expect(action.reason).toBe('');
  });
});
