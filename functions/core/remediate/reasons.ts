import { DEFAULT_ROUTE, describeRoute } from '../model/describeRoute.js';
import type {
  Action,
  NatRejection,
  ReplaceInstancesAction,
  RouteAction,
  ScaleCycleAction,
} from '../model/types.js';

/**
 * The one place where an action's `reason` is worded: rendered from its data (type, status,
 * reasonCode and the fields that go with it). Decisions read the data, never these sentences.
 */
export function explain(action: Action): string {
  const why = refusal(action);
  if (action.status === 'skipped' || action.status === 'failed') return why ?? intent(action);
  const note = action.reasonCode ? NOTES[action.reasonCode] : undefined;
  return `${intent(action)}${note ? ` (${note})` : ''}`;
}

/** Sets `reason` from the data: call it last, when building or changing an action. */
export function withReason<A extends Action>(action: A): A {
  return { ...action, reason: explain(action) };
}

/** Done or planned, with how it came about. */
const NOTES: Partial<Record<NonNullable<Action['reasonCode']>, string>> = {
  ALREADY_THERE: 'the route was already there',
  VERIFIED_AFTER_ERROR: 'the answer was lost, and a fresh read shows the change took effect',
};

/** What the action does or would do. */
function intent(action: Action): string {
  switch (action.type) {
    case 'create-route':
    case 'replace-route':
      return routeIntent(action);
    case 'replace-instances':
      return replaceIntent(action);
    case 'scale-cycle':
      return `scale ${action.nodegroup} to 0, wait for ACTIVE, then back to ${action.desiredSize}, so every node launches with the fixed route`;
    case 'notify':
      return action.status === 'done'
        ? `${action.alertKind ?? 'the'} alert published (message ${action.messageId ?? '?'})`
        : `${action.alertKind ?? 'the'} alert`;
  }
}

function routeIntent(a: RouteAction): string {
  const nat = a.natGatewayId ?? '<nat-gateway-id>';
  const serves = ` (serves ${list(a.subnetIds)})`;
  const cross = a.crossZone ? `; ${nat} is in another availability zone, so traffic crosses zones` : '';
  return a.type === 'create-route'
    ? `add ${DEFAULT_ROUTE} → ${nat} in ${a.routeTableId}${serves}${cross}`
    : `replace the dead ${a.previous ? describeRoute(a.previous) : DEFAULT_ROUTE} with ${DEFAULT_ROUTE} → ${nat} in ${a.routeTableId}${serves}${cross}`;
}

/** The write itself, short, for a failure. */
function attempt(a: Action): string {
  switch (a.type) {
    case 'create-route':
    case 'replace-route':
      return `${a.type} ${DEFAULT_ROUTE} → ${a.natGatewayId ?? '?'} in ${a.routeTableId}`;
    case 'replace-instances':
      return `terminate ${list(a.instanceIds)}`;
    case 'scale-cycle':
      return `scale-cycle of ${a.nodegroup}`;
    case 'notify':
      return 'alert';
  }
}

function replaceIntent(a: ReplaceInstancesAction): string {
  const ids = list(a.instanceIds);
  const blocked = a.scaleCycleBlockedBy
    ? `scale-cycle not used (${SCALE_CYCLE_BLOCKS[a.scaleCycleBlockedBy] ?? a.scaleCycleBlockedBy}${
        a.blockers?.length ? `: ${list(a.blockers)}` : ''
      }); replacing only the unjoined instances`
    : 'the Auto Scaling group replaces it with an instance that uses the fixed route';
  return `terminate ${ids} without lowering desired capacity: ${blocked}`;
}

const SCALE_CYCLE_BLOCKS: Partial<Record<NonNullable<Action['reasonCode']>, string>> = {
  INSTANCES_JOINED: 'some nodes of the nodegroup did join and must keep running',
  INSTANCES_PENDING: 'some instances are still inside their join window',
  MEMBERSHIP_UNKNOWN: 'the membership of some instances is unknown',
  MIN_SIZE: 'its minimum size is above 0, so desired size 0 is not allowed',
  NOT_ENOUGH_TIME: 'not enough time is left in this run to scale down and back up',
  ROUTE_NOT_FIXED: 'some unjoined instances are in subnets whose route is not fixed',
};

/** Why a skipped or failed action was not carried out; undefined when it has no code. */
function refusal(a: Action): string | undefined {
  const table = 'routeTableId' in a && a.routeTableId ? a.routeTableId : a.resourceId;
  const now = a.type === 'create-route' || a.type === 'replace-route' ? a.before : undefined;
  switch (a.reasonCode) {
    case undefined:
      return undefined;
    case 'EGRESS_PRESENT':
      return `${table} has a way out (${now}): nothing is written`;
    case 'EGRESS_UNKNOWN':
      return `${table} sends traffic to prefix list ${'prefixListId' in a ? a.prefixListId : '?'}, whose entries could not be read: it may be the way out (a firewall or an inspection VPC), so nothing is written over it`;
    case 'IPV6_ONLY':
      return `${table} has only IPv6 egress (${now}): whether IPv4 egress belongs here is for a person to decide`;
    case 'ROUTE_NOT_NAT':
      return `the default route of ${table} (${now}) does not go to a NAT gateway: a route to a firewall, transit gateway, peering connection or endpoint is never replaced automatically`;
    case 'ROUTE_NOT_DEAD':
      return `the default route of ${table} (${now}) goes to a NAT gateway that is not gone (still being created?): it is never replaced`;
    case 'SPLIT_ROUTE':
      return `the dead route of ${table} (${now}) is not a ${DEFAULT_ROUTE} route: only a dead default route is replaced`;
    case 'ROUTE_CHANGED':
      return `${table} changed since it was read (now ${now}): it is left as it is`;
    case 'MAIN_ROUTE_TABLE':
      return `${table} is the VPC main route table, used by every subnet without its own (${list(subnetsOf(a))}); it is patched only with ALLOW_MAIN_ROUTE_TABLE=true (CLI --allow-main-route-table)`;
    case 'SHARED_ROUTE_TABLE': {
      const outside = 'outsideSubnetIds' in a ? (a.outsideSubnetIds ?? []) : [];
      return `${table} also serves ${list(outside)}, which ${outside.length === 1 ? 'belongs' : 'belong'} to no nodegroup of the cluster nor to the cluster: a default route would give them internet egress too. It is patched only when tagged eks-join-remediator/managed=true or with ALLOW_SHARED_ROUTE_TABLE=true (CLI --allow-shared-route-table)`;
    }
    case 'NO_USABLE_NAT': {
      const rejected = 'rejectedNatGateways' in a ? (a.rejectedNatGateways ?? []) : [];
      const which = rejected.length
        ? `: ${rejected.map((r) => `${r.natGatewayId} ${NAT_REJECTIONS[r.why]}`).join('; ')}`
        : ' (there is none)';
      return `no NAT gateway of the VPC leads out${which}. Create a public NAT gateway in a subnet whose route table sends ${DEFAULT_ROUTE} to an attached internet gateway, then route to it`;
    }
    case 'NO_ROUTE_FIX':
      return `no route was fixed for them: ${count(instancesOf(a), 'unjoined instance')} ${instancesOf(a).length === 1 ? 'is' : 'are'} reported, not recycled`;
    case 'ROUTE_NOT_FIXED':
      return `the route they rely on was not fixed, so ${list(instancesOf(a))} ${instancesOf(a).length === 1 ? 'is' : 'are'} not recycled`;
    case 'INSTANCES_JOINED':
      return `${list(instancesOf(a))} joined since the check (a fresh read of the node list shows it): nothing is terminated`;
    case 'INSTANCES_PENDING':
      return `${list(instancesOf(a))} ${instancesOf(a).length === 1 ? 'is' : 'are'} still inside the join window (launched since the check): scaling to 0 would take ${instancesOf(a).length === 1 ? 'it' : 'them'}, so nothing is changed`;
    case 'MEMBERSHIP_UNKNOWN':
      return 'the node list could not be read again just before recycling, so nothing is terminated';
    case 'MIN_SIZE':
      return 'the nodegroup minimum size is above 0, so it cannot be scaled to 0';
    case 'NOT_ENOUGH_TIME': {
      const s = a as ScaleCycleAction;
      return `not enough time left in this run to scale down and back up (needs ${s.secondsNeeded ?? '?'} s, ${s.secondsLeft ?? '?'} s left): nothing is changed`;
    }
    case 'ALREADY_GONE':
      return `${list(instancesOf(a))} ${instancesOf(a).length === 1 ? 'is' : 'are'} already terminating or gone`;
    case 'LOOP_GUARD': {
      const g = a.loopGuard;
      const hours = g ? +(g.windowSeconds / 3600).toFixed(2) : '?';
      return `loop guard: ${g?.remediations ?? '?'} remediation(s) of this nodegroup in the last ${hours} h (limit ${g?.limit ?? '?'}), so nothing more is changed automatically; planned: ${intent(a)}`;
    }
    case 'NO_WRITER':
      return 'this run cannot write (no remediation writer)';
    case 'LOCKED':
      return 'another run is checking this nodegroup now and reports it';
    case 'ALERT_COOLDOWN':
      return `not sent: the same alert was sent less than ${a.type === 'notify' ? (a.cooldownSeconds ?? '?') : '?'} s ago`;
    case 'ACCESS_DENIED':
    case 'THROTTLED':
    case 'CALL_FAILED':
      return `${attempt(a)} failed: ${a.error ?? 'unknown error'}`;
    case 'OUTCOME_UNKNOWN':
      return `${attempt(a)} may or may not have taken effect: the call failed (${a.error ?? 'unknown error'}) and its effect could not be read back; check it by hand`;
    case 'NOT_ACTIVE_IN_TIME':
    case 'SCALE_BACK_FAILED': {
      const s = a as ScaleCycleAction;
      return `${s.nodegroup} was scaled to 0 but could not be scaled back to ${s.desiredSize}${
        a.error ? ` (${a.error})` : ''
      }: run the undo command now`;
    }
    case 'ALREADY_THERE':
    case 'VERIFIED_AFTER_ERROR':
      return intent(a);
  }
}

/** A NAT gateway's rejection, after its id. */
const NAT_REJECTIONS: Record<NatRejection, string> = {
  OTHER_VPC: 'is in another VPC',
  NOT_AVAILABLE: 'is not available',
  PRIVATE_CONNECTIVITY: 'has private connectivity (no internet)',
  IN_PATCHED_TABLE: 'is in a subnet this very table serves (a loop)',
  NO_INTERNET_ROUTE: `is in a subnet without an active ${DEFAULT_ROUTE} route to an internet gateway`,
  INTERNET_GATEWAY_NOT_ATTACHED: 'routes to an internet gateway that is not attached to the VPC',
  INTERNET_GATEWAYS_UNKNOWN: 'cannot be proven to lead out (the internet gateways could not be read)',
};

function subnetsOf(a: Action): string[] {
  return a.type === 'create-route' || a.type === 'replace-route' ? a.subnetIds : [];
}

function instancesOf(a: Action): string[] {
  return a.type === 'replace-instances' || a.type === 'scale-cycle' ? a.instanceIds : [];
}

function list(items: string[]): string {
  return items.length ? items.join(', ') : 'none';
}

function count(items: string[], noun: string): string {
  return `${items.length} ${noun}${items.length === 1 ? '' : 's'}`;
}
