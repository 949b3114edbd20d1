/**
 * The exact `reason` sentence of each reason code, rendered from the action's data: which table,
 * subnets, instances, sizes and seconds it names, in the right number (one instance or several),
 * and what it says when a field is missing.
 */
import { describe, expect, it } from 'vitest';
import type {
  Action,
  NotifyAction,
  ReplaceInstancesAction,
  RouteAction,
  ScaleCycleAction,
} from '../../../functions/core/model/types.js';
import { explain } from '../../../functions/core/remediate/reasons.js';

const ONE = ['i-01'];
const TWO = ['i-01', 'i-02'];

const ROUTE: RouteAction = {
  type: 'create-route',
  resourceId: 'res-route',
  routeTableId: 'rtb-1',
  destination: '0.0.0.0/0',
  subnetIds: ['subnet-1', 'subnet-2'],
  natGatewayId: 'nat-1',
  before: 'NOW',
  status: 'skipped',
  reason: '',
};
const REPLACE: ReplaceInstancesAction = {
  type: 'replace-instances',
  resourceId: 'res-replace',
  autoScalingGroupName: 'asg-1',
  instanceIds: ONE,
  status: 'skipped',
  reason: '',
};
const CYCLE: ScaleCycleAction = {
  type: 'scale-cycle',
  resourceId: 'res-cycle',
  nodegroup: 'ng-1',
  desiredSize: 4,
  instanceIds: ONE,
  routeTableIds: ['rtb-1'],
  status: 'skipped',
  reason: '',
};
const NOTIFY: NotifyAction = { type: 'notify', resourceId: 'res-notify', status: 'skipped', reason: '' };

/** A field only an alert has, on a route: the cooldown is still not named. */
const COOLDOWN = { cooldownSeconds: 60 };

const r = (o: Partial<RouteAction>): RouteAction => ({ ...ROUTE, ...o });
const rep = (o: Partial<ReplaceInstancesAction>): ReplaceInstancesAction => ({ ...REPLACE, ...o });
const cyc = (o: Partial<ScaleCycleAction>): ScaleCycleAction => ({ ...CYCLE, ...o });
const note = (o: Partial<NotifyAction>): NotifyAction => ({ ...NOTIFY, ...o });

const CASES: [string, Action, string][] = [
  [
    'planned create-route, no NAT yet, one subnet, across zones',
    r({ status: 'planned', natGatewayId: undefined, subnetIds: ['subnet-1'], crossZone: true }),
    'add 0.0.0.0/0 → <nat-gateway-id> in rtb-1 (serves subnet-1); <nat-gateway-id> is in another availability zone, so traffic crosses zones',
  ],
  [
    'planned create-route in the same zone',
    r({ status: 'planned', crossZone: false }),
    'add 0.0.0.0/0 → nat-1 in rtb-1 (serves subnet-1, subnet-2)',
  ],
  [
    'planned create-route serving no subnet',
    r({ status: 'planned', subnetIds: [] }),
    'add 0.0.0.0/0 → nat-1 in rtb-1 (serves none)',
  ],
  [
    'planned replace-route without the previous route',
    r({ status: 'planned', type: 'replace-route' }),
    'replace the dead 0.0.0.0/0 with 0.0.0.0/0 → nat-1 in rtb-1 (serves subnet-1, subnet-2)',
  ],
  [
    'planned replace-route of a dead route, across zones',
    r({
      status: 'planned',
      type: 'replace-route',
      crossZone: true,
      previous: {
        destination: '0.0.0.0/0',
        target: { kind: 'nat-gateway', id: 'nat-dead' },
        state: 'blackhole',
      },
    }),
    'replace the dead 0.0.0.0/0 → nat-dead (blackhole) with 0.0.0.0/0 → nat-1 in rtb-1 (serves subnet-1, subnet-2); nat-1 is in another availability zone, so traffic crosses zones',
  ],
  [
    'done route already there',
    r({ status: 'done', reasonCode: 'ALREADY_THERE' }),
    'add 0.0.0.0/0 → nat-1 in rtb-1 (serves subnet-1, subnet-2) (the route was already there)',
  ],
  [
    'done route verified after an error',
    r({ status: 'done', reasonCode: 'VERIFIED_AFTER_ERROR' }),
    'add 0.0.0.0/0 → nat-1 in rtb-1 (serves subnet-1, subnet-2) (the answer was lost, and a fresh read shows the change took effect)',
  ],
  [
    'done route with a code that has no note',
    r({ status: 'done', reasonCode: 'LOCKED' }),
    'add 0.0.0.0/0 → nat-1 in rtb-1 (serves subnet-1, subnet-2)',
  ],
  ['skipped route without a code', r({}), 'add 0.0.0.0/0 → nat-1 in rtb-1 (serves subnet-1, subnet-2)'],
  [
    'failed route without a code',
    r({ status: 'failed' }),
    'add 0.0.0.0/0 → nat-1 in rtb-1 (serves subnet-1, subnet-2)',
  ],
  [
    'replace-instances, scale-cycle not blocked',
    rep({ status: 'planned', instanceIds: TWO }),
    'terminate i-01, i-02 without lowering desired capacity: the Auto Scaling group replaces it with an instance that uses the fixed route',
  ],
  [
    'replace-instances blocked by joined nodes',
    rep({ status: 'planned', scaleCycleBlockedBy: 'INSTANCES_JOINED', blockers: ['i-09', 'i-08'] }),
    'terminate i-01 without lowering desired capacity: scale-cycle not used (some nodes of the nodegroup did join and must keep running: i-09, i-08); replacing only the unjoined instances',
  ],
  [
    'replace-instances blocked by pending instances',
    rep({ status: 'planned', scaleCycleBlockedBy: 'INSTANCES_PENDING', blockers: ['i-09'] }),
    'terminate i-01 without lowering desired capacity: scale-cycle not used (some instances are still inside their join window: i-09); replacing only the unjoined instances',
  ],
  [
    'replace-instances blocked by unknown membership',
    rep({ status: 'planned', scaleCycleBlockedBy: 'MEMBERSHIP_UNKNOWN' }),
    'terminate i-01 without lowering desired capacity: scale-cycle not used (the membership of some instances is unknown); replacing only the unjoined instances',
  ],
  [
    'replace-instances blocked by the minimum size, no blockers',
    rep({ status: 'planned', scaleCycleBlockedBy: 'MIN_SIZE', blockers: [] }),
    'terminate i-01 without lowering desired capacity: scale-cycle not used (its minimum size is above 0, so desired size 0 is not allowed); replacing only the unjoined instances',
  ],
  [
    'replace-instances blocked by time',
    rep({ status: 'planned', scaleCycleBlockedBy: 'NOT_ENOUGH_TIME' }),
    'terminate i-01 without lowering desired capacity: scale-cycle not used (not enough time is left in this run to scale down and back up); replacing only the unjoined instances',
  ],
  [
    'replace-instances blocked by unfixed routes',
    rep({ status: 'planned', scaleCycleBlockedBy: 'ROUTE_NOT_FIXED', blockers: ['subnet-7'] }),
    'terminate i-01 without lowering desired capacity: scale-cycle not used (some unjoined instances are in subnets whose route is not fixed: subnet-7); replacing only the unjoined instances',
  ],
  [
    'replace-instances blocked by a code without words',
    rep({ status: 'planned', scaleCycleBlockedBy: 'LOCKED' }),
    'terminate i-01 without lowering desired capacity: scale-cycle not used (LOCKED); replacing only the unjoined instances',
  ],
  [
    'planned scale-cycle',
    cyc({ status: 'planned', instanceIds: TWO }),
    'scale ng-1 to 0, wait for ACTIVE, then back to 4, so every node launches with the fixed route',
  ],
  ['planned alert without a kind', note({ status: 'planned' }), 'the alert'],
  ['planned alert of a kind', note({ status: 'planned', alertKind: 'problem' }), 'problem alert'],
  [
    'published alert without kind nor message id',
    note({ status: 'done' }),
    'the alert published (message ?)',
  ],
  [
    'published alert with kind and message id',
    note({ status: 'done', alertKind: 'resolved', messageId: 'msg-1' }),
    'resolved alert published (message msg-1)',
  ],
  [
    'EGRESS_PRESENT on create-route',
    r({ reasonCode: 'EGRESS_PRESENT' }),
    'rtb-1 has a way out (NOW): nothing is written',
  ],
  [
    'EGRESS_PRESENT on replace-route',
    r({ reasonCode: 'EGRESS_PRESENT', type: 'replace-route' }),
    'rtb-1 has a way out (NOW): nothing is written',
  ],
  [
    'EGRESS_PRESENT on a route without a table id',
    r({ reasonCode: 'EGRESS_PRESENT', routeTableId: '' }),
    'res-route has a way out (NOW): nothing is written',
  ],
  [
    'EGRESS_UNKNOWN with a prefix list',
    r({ reasonCode: 'EGRESS_UNKNOWN', prefixListId: 'pl-1' }),
    'rtb-1 sends traffic to prefix list pl-1, whose entries could not be read: it may be the way out (a firewall or an inspection VPC), so nothing is written over it',
  ],
  [
    'EGRESS_UNKNOWN without a prefix list',
    rep({ reasonCode: 'EGRESS_UNKNOWN' }),
    'res-replace sends traffic to prefix list ?, whose entries could not be read: it may be the way out (a firewall or an inspection VPC), so nothing is written over it',
  ],
  [
    'IPV6_ONLY',
    r({ reasonCode: 'IPV6_ONLY', type: 'replace-route' }),
    'rtb-1 has only IPv6 egress (NOW): whether IPv4 egress belongs here is for a person to decide',
  ],
  [
    'ROUTE_NOT_NAT',
    r({ reasonCode: 'ROUTE_NOT_NAT' }),
    'the default route of rtb-1 (NOW) does not go to a NAT gateway: a route to a firewall, transit gateway, peering connection or endpoint is never replaced automatically',
  ],
  [
    'ROUTE_NOT_DEAD',
    r({ reasonCode: 'ROUTE_NOT_DEAD' }),
    'the default route of rtb-1 (NOW) goes to a NAT gateway that is not gone (still being created?): it is never replaced',
  ],
  [
    'SPLIT_ROUTE',
    r({ reasonCode: 'SPLIT_ROUTE', type: 'replace-route' }),
    'the dead route of rtb-1 (NOW) is not a 0.0.0.0/0 route: only a dead default route is replaced',
  ],
  [
    'ROUTE_CHANGED',
    r({ reasonCode: 'ROUTE_CHANGED', type: 'replace-route' }),
    'rtb-1 changed since it was read (now NOW): it is left as it is',
  ],
  [
    'MAIN_ROUTE_TABLE of a replace-route',
    r({ reasonCode: 'MAIN_ROUTE_TABLE', type: 'replace-route' }),
    'rtb-1 is the VPC main route table, used by every subnet without its own (subnet-1, subnet-2); it is patched only with ALLOW_MAIN_ROUTE_TABLE=true (CLI --allow-main-route-table)',
  ],
  [
    'MAIN_ROUTE_TABLE of instances (no subnets)',
    rep({ reasonCode: 'MAIN_ROUTE_TABLE' }),
    'res-replace is the VPC main route table, used by every subnet without its own (none); it is patched only with ALLOW_MAIN_ROUTE_TABLE=true (CLI --allow-main-route-table)',
  ],
  [
    'SHARED_ROUTE_TABLE with one outside subnet',
    r({ reasonCode: 'SHARED_ROUTE_TABLE', outsideSubnetIds: ['subnet-out'] }),
    'rtb-1 also serves subnet-out, which belongs to no nodegroup of the cluster nor to the cluster: a default route would give them internet egress too. It is patched only when tagged eks-join-remediator/managed=true or with ALLOW_SHARED_ROUTE_TABLE=true (CLI --allow-shared-route-table)',
  ],
  [
    'SHARED_ROUTE_TABLE with two outside subnets',
    r({ reasonCode: 'SHARED_ROUTE_TABLE', outsideSubnetIds: ['subnet-out', 'subnet-ext'] }),
    'rtb-1 also serves subnet-out, subnet-ext, which belong to no nodegroup of the cluster nor to the cluster: a default route would give them internet egress too. It is patched only when tagged eks-join-remediator/managed=true or with ALLOW_SHARED_ROUTE_TABLE=true (CLI --allow-shared-route-table)',
  ],
  [
    'SHARED_ROUTE_TABLE without outside subnets',
    r({ reasonCode: 'SHARED_ROUTE_TABLE', outsideSubnetIds: undefined }),
    'rtb-1 also serves none, which belong to no nodegroup of the cluster nor to the cluster: a default route would give them internet egress too. It is patched only when tagged eks-join-remediator/managed=true or with ALLOW_SHARED_ROUTE_TABLE=true (CLI --allow-shared-route-table)',
  ],
  [
    'SHARED_ROUTE_TABLE on instances',
    rep({ reasonCode: 'SHARED_ROUTE_TABLE' }),
    'res-replace also serves none, which belong to no nodegroup of the cluster nor to the cluster: a default route would give them internet egress too. It is patched only when tagged eks-join-remediator/managed=true or with ALLOW_SHARED_ROUTE_TABLE=true (CLI --allow-shared-route-table)',
  ],
  [
    'NO_USABLE_NAT with one rejection',
    r({
      reasonCode: 'NO_USABLE_NAT',
      rejectedNatGateways: [{ natGatewayId: 'nat-9', why: 'NOT_AVAILABLE' }],
    }),
    'no NAT gateway of the VPC leads out: nat-9 is not available. Create a public NAT gateway in a subnet whose route table sends 0.0.0.0/0 to an attached internet gateway, then route to it',
  ],
  [
    'NO_USABLE_NAT with two rejections',
    r({
      reasonCode: 'NO_USABLE_NAT',
      rejectedNatGateways: [
        { natGatewayId: 'nat-9', why: 'OTHER_VPC' },
        { natGatewayId: 'nat-8', why: 'INTERNET_GATEWAYS_UNKNOWN' },
      ],
    }),
    'no NAT gateway of the VPC leads out: nat-9 is in another VPC; nat-8 cannot be proven to lead out (the internet gateways could not be read). Create a public NAT gateway in a subnet whose route table sends 0.0.0.0/0 to an attached internet gateway, then route to it',
  ],
  [
    'NO_USABLE_NAT without NAT gateways',
    r({ reasonCode: 'NO_USABLE_NAT', rejectedNatGateways: undefined }),
    'no NAT gateway of the VPC leads out (there is none). Create a public NAT gateway in a subnet whose route table sends 0.0.0.0/0 to an attached internet gateway, then route to it',
  ],
  [
    'NO_USABLE_NAT on instances',
    rep({ reasonCode: 'NO_USABLE_NAT' }),
    'no NAT gateway of the VPC leads out (there is none). Create a public NAT gateway in a subnet whose route table sends 0.0.0.0/0 to an attached internet gateway, then route to it',
  ],
  [
    'NO_ROUTE_FIX, one instance',
    rep({ reasonCode: 'NO_ROUTE_FIX' }),
    'no route was fixed for them: 1 unjoined instance is reported, not recycled',
  ],
  [
    'NO_ROUTE_FIX, two instances',
    rep({ reasonCode: 'NO_ROUTE_FIX', instanceIds: TWO }),
    'no route was fixed for them: 2 unjoined instances are reported, not recycled',
  ],
  [
    'NO_ROUTE_FIX on a route (no instances)',
    r({ reasonCode: 'NO_ROUTE_FIX' }),
    'no route was fixed for them: 0 unjoined instances are reported, not recycled',
  ],
  [
    'ROUTE_NOT_FIXED, one instance',
    rep({ reasonCode: 'ROUTE_NOT_FIXED' }),
    'the route they rely on was not fixed, so i-01 is not recycled',
  ],
  [
    'ROUTE_NOT_FIXED, two instances',
    rep({ reasonCode: 'ROUTE_NOT_FIXED', instanceIds: TWO }),
    'the route they rely on was not fixed, so i-01, i-02 are not recycled',
  ],
  [
    'INSTANCES_JOINED, one instance',
    rep({ reasonCode: 'INSTANCES_JOINED' }),
    'i-01 joined since the check (a fresh read of the node list shows it): nothing is terminated',
  ],
  [
    'INSTANCES_JOINED, two instances of a scale-cycle',
    cyc({ reasonCode: 'INSTANCES_JOINED', instanceIds: TWO }),
    'i-01, i-02 joined since the check (a fresh read of the node list shows it): nothing is terminated',
  ],
  [
    'INSTANCES_PENDING, one instance',
    cyc({ reasonCode: 'INSTANCES_PENDING' }),
    'i-01 is still inside the join window (launched since the check): scaling to 0 would take it, so nothing is changed',
  ],
  [
    'INSTANCES_PENDING, two instances',
    cyc({ reasonCode: 'INSTANCES_PENDING', instanceIds: TWO }),
    'i-01, i-02 are still inside the join window (launched since the check): scaling to 0 would take them, so nothing is changed',
  ],
  [
    'MEMBERSHIP_UNKNOWN',
    cyc({ reasonCode: 'MEMBERSHIP_UNKNOWN' }),
    'the node list could not be read again just before recycling, so nothing is terminated',
  ],
  [
    'MIN_SIZE',
    cyc({ reasonCode: 'MIN_SIZE' }),
    'the nodegroup minimum size is above 0, so it cannot be scaled to 0',
  ],
  [
    'NOT_ENOUGH_TIME with the seconds',
    cyc({ reasonCode: 'NOT_ENOUGH_TIME', secondsNeeded: 600, secondsLeft: 90 }),
    'not enough time left in this run to scale down and back up (needs 600 s, 90 s left): nothing is changed',
  ],
  [
    'NOT_ENOUGH_TIME without the seconds',
    cyc({ reasonCode: 'NOT_ENOUGH_TIME' }),
    'not enough time left in this run to scale down and back up (needs ? s, ? s left): nothing is changed',
  ],
  ['ALREADY_GONE, one instance', rep({ reasonCode: 'ALREADY_GONE' }), 'i-01 is already terminating or gone'],
  [
    'ALREADY_GONE, two instances',
    cyc({ reasonCode: 'ALREADY_GONE', instanceIds: TWO }),
    'i-01, i-02 are already terminating or gone',
  ],
  [
    'LOOP_GUARD with its numbers',
    cyc({ reasonCode: 'LOOP_GUARD', loopGuard: { remediations: 4, limit: 3, windowSeconds: 7200 } }),
    'loop guard: 4 remediation(s) of this nodegroup in the last 2 h (limit 3), so nothing more is changed automatically; planned: scale ng-1 to 0, wait for ACTIVE, then back to 4, so every node launches with the fixed route',
  ],
  [
    'LOOP_GUARD with an uneven window',
    rep({ reasonCode: 'LOOP_GUARD', loopGuard: { remediations: 2, limit: 2, windowSeconds: 1000 } }),
    'loop guard: 2 remediation(s) of this nodegroup in the last 0.28 h (limit 2), so nothing more is changed automatically; planned: terminate i-01 without lowering desired capacity: the Auto Scaling group replaces it with an instance that uses the fixed route',
  ],
  [
    'LOOP_GUARD without its numbers',
    r({ reasonCode: 'LOOP_GUARD', status: 'failed' }),
    'loop guard: ? remediation(s) of this nodegroup in the last ? h (limit ?), so nothing more is changed automatically; planned: add 0.0.0.0/0 → nat-1 in rtb-1 (serves subnet-1, subnet-2)',
  ],
  ['NO_WRITER', r({ reasonCode: 'NO_WRITER' }), 'this run cannot write (no remediation writer)'],
  ['LOCKED', note({ reasonCode: 'LOCKED' }), 'another run is checking this nodegroup now and reports it'],
  [
    'ALERT_COOLDOWN with its seconds',
    note({ reasonCode: 'ALERT_COOLDOWN', cooldownSeconds: 900 }),
    'not sent: the same alert was sent less than 900 s ago',
  ],
  [
    'ALERT_COOLDOWN without its seconds',
    note({ reasonCode: 'ALERT_COOLDOWN' }),
    'not sent: the same alert was sent less than ? s ago',
  ],
  [
    'ALERT_COOLDOWN on a route',
    { ...r({ reasonCode: 'ALERT_COOLDOWN' }), ...COOLDOWN },
    'not sent: the same alert was sent less than ? s ago',
  ],
  [
    'ACCESS_DENIED on a route without NAT',
    r({ status: 'failed', reasonCode: 'ACCESS_DENIED', natGatewayId: undefined, error: 'AccessDenied' }),
    'create-route 0.0.0.0/0 → ? in rtb-1 failed: AccessDenied',
  ],
  [
    'THROTTLED on replace-route, no error',
    r({ status: 'failed', type: 'replace-route', reasonCode: 'THROTTLED' }),
    'replace-route 0.0.0.0/0 → nat-1 in rtb-1 failed: unknown error',
  ],
  [
    'CALL_FAILED on instances',
    rep({ status: 'failed', reasonCode: 'CALL_FAILED', instanceIds: TWO, error: 'boom' }),
    'terminate i-01, i-02 failed: boom',
  ],
  [
    'CALL_FAILED on a scale-cycle',
    cyc({ status: 'failed', reasonCode: 'CALL_FAILED', error: 'boom' }),
    'scale-cycle of ng-1 failed: boom',
  ],
  [
    'CALL_FAILED on an alert',
    note({ status: 'failed', reasonCode: 'CALL_FAILED', error: 'boom' }),
    'alert failed: boom',
  ],
  [
    'OUTCOME_UNKNOWN with the error',
    r({ status: 'failed', reasonCode: 'OUTCOME_UNKNOWN', error: 'socket hang up' }),
    'create-route 0.0.0.0/0 → nat-1 in rtb-1 may or may not have taken effect: the call failed (socket hang up) and its effect could not be read back; check it by hand',
  ],
  [
    'OUTCOME_UNKNOWN without the error',
    rep({ status: 'failed', reasonCode: 'OUTCOME_UNKNOWN' }),
    'terminate i-01 may or may not have taken effect: the call failed (unknown error) and its effect could not be read back; check it by hand',
  ],
  [
    'NOT_ACTIVE_IN_TIME with the error',
    cyc({ status: 'failed', reasonCode: 'NOT_ACTIVE_IN_TIME', error: 'timed out' }),
    'ng-1 was scaled to 0 but could not be scaled back to 4 (timed out): run the undo command now',
  ],
  [
    'SCALE_BACK_FAILED without the error',
    cyc({ status: 'failed', reasonCode: 'SCALE_BACK_FAILED' }),
    'ng-1 was scaled to 0 but could not be scaled back to 4: run the undo command now',
  ],
  [
    'ALREADY_THERE, skipped',
    r({ reasonCode: 'ALREADY_THERE' }),
    'add 0.0.0.0/0 → nat-1 in rtb-1 (serves subnet-1, subnet-2)',
  ],
  [
    'VERIFIED_AFTER_ERROR, failed',
    r({ status: 'failed', reasonCode: 'VERIFIED_AFTER_ERROR' }),
    'add 0.0.0.0/0 → nat-1 in rtb-1 (serves subnet-1, subnet-2)',
  ],
];

describe('explain: the exact sentence', () => {
  it.each(CASES)('%s', (_, action, sentence) => {
    expect(explain(action)).toBe(sentence);
  });
});
