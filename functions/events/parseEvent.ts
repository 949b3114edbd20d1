import type { LaunchFailure } from '../core/model/types.js';

/**
 * Turns one EventBridge event into what to check, or says why not. Pure: the Auto Scaling group's
 * tags, which name the cluster and nodegroup, are looked up afterwards in one batched call.
 */

/** What an event is checked against; both optional, so the parse stays usable on its own. */
export interface ParseOptions {
  /** When the event was received: one dated further ahead than the join window plus 5 minutes is malformed. */
  receivedAt?: Date;
  joinWindowSeconds?: number;
}

/** How far past the join window an event may be dated in the future (clock skew) before it is malformed. */
export const FUTURE_TOLERANCE_SECONDS = 300;

export type Trigger =
  | 'instance-launch'
  | 'CreateNodegroup'
  | 'UpdateNodegroupConfig'
  | 'UpdateNodegroupVersion';

export type ParsedEvent =
  /** A launch: the cluster and nodegroup come from the group's tags. */
  | {
      kind: 'launch';
      region?: string;
      account?: string;
      autoScalingGroupName: string;
      instanceId?: string;
      time?: string;
    }
  /** A launch that failed: Auto Scaling's status message says why; the group's tags name the nodegroup. */
  | ({ kind: 'launch-failed'; region?: string; account?: string } & LaunchFailure)
  /** A nodegroup API call: the request names the cluster and nodegroup. */
  | {
      kind: 'nodegroup';
      region?: string;
      account?: string;
      cluster: string;
      nodegroup: string;
      trigger: Trigger;
      time?: string;
    }
  | { kind: 'skip'; reason: string }
  | { kind: 'malformed'; reason: string };

export const NODEGROUP_CALLS: readonly Trigger[] = [
  'CreateNodegroup',
  'UpdateNodegroupConfig',
  'UpdateNodegroupVersion',
];
/** The event sources and detail types handled (the stack's EventBridge rules match these). */
export const AUTOSCALING_SOURCE = 'aws.autoscaling';
export const LAUNCH_SUCCESSFUL = 'EC2 Instance Launch Successful';
export const LAUNCH_UNSUCCESSFUL = 'EC2 Instance Launch Unsuccessful';
export const EKS_SOURCE = 'aws.eks';
export const CLOUDTRAIL_CALL = 'AWS API Call via CloudTrail';

type Json = Record<string, unknown>;

export function parseEvent(event: unknown, options: ParseOptions = {}): ParsedEvent {
  const parsed = parseShape(event);
  if (parsed.kind === 'skip' || parsed.kind === 'malformed') return parsed;
  const future = futureReason(parsed.time, options);
  return future ? { kind: 'malformed', reason: future } : parsed;
}

function parseShape(event: unknown): ParsedEvent {
  if (!isObject(event)) return { kind: 'malformed', reason: 'the event is not a JSON object' };
  const source = event.source;
  const detailType = event['detail-type'];
  if (typeof source !== 'string' || typeof detailType !== 'string') {
    return { kind: 'malformed', reason: "not an EventBridge event: 'source' or 'detail-type' is missing" };
  }
  if (!isObject(event.detail))
    return { kind: 'malformed', reason: `${source} event without a 'detail' object` };
  const region = typeof event.region === 'string' ? event.region : undefined;
  const account = typeof event.account === 'string' ? event.account : undefined;
  const time = typeof event.time === 'string' ? event.time : undefined;
  const where = { ...(region && { region }), ...(account && { account }), ...(time && { time }) };

  if (source === AUTOSCALING_SOURCE) {
    if (detailType !== LAUNCH_SUCCESSFUL && detailType !== LAUNCH_UNSUCCESSFUL)
      return { kind: 'skip', reason: `Auto Scaling '${detailType}' is not a launch` };
    const group = event.detail.AutoScalingGroupName;
    if (typeof group !== 'string' || group === '') {
      return { kind: 'malformed', reason: 'launch event without detail.AutoScalingGroupName' };
    }
    if (detailType === LAUNCH_UNSUCCESSFUL) return launchFailed(event.detail, group, where);
    const instanceId = event.detail.EC2InstanceId;
    return {
      kind: 'launch',
      autoScalingGroupName: group,
      ...(typeof instanceId === 'string' && { instanceId }),
      ...where,
    };
  }

  if (source === EKS_SOURCE) {
    if (detailType !== CLOUDTRAIL_CALL)
      return { kind: 'skip', reason: `EKS '${detailType}' is not an API call` };
    const name = event.detail.eventName;
    if (!NODEGROUP_CALLS.includes(name as Trigger))
      return { kind: 'skip', reason: `EKS ${String(name)} does not change nodes` };
    if (event.detail.errorCode) {
      return {
        kind: 'skip',
        reason: `EKS ${name} failed (${String(event.detail.errorCode)}): nothing changed`,
      };
    }
    const request = event.detail.requestParameters;
    if (!isObject(request))
      return { kind: 'malformed', reason: `EKS ${name} event without requestParameters` };
    // The cluster is the URI parameter `name` (CloudTrail keeps API parameter names); some tools log clusterName.
    const cluster = request.name ?? request.clusterName;
    const nodegroup = request.nodegroupName;
    if (typeof cluster !== 'string' || typeof nodegroup !== 'string' || !cluster || !nodegroup) {
      return { kind: 'malformed', reason: `EKS ${name} event without the cluster name or nodegroupName` };
    }
    return { kind: 'nodegroup', cluster, nodegroup, trigger: name as Trigger, ...where };
  }

  return { kind: 'skip', reason: `events from ${source} are not handled` };
}

/** An unsuccessful launch: what Auto Scaling said, and where it tried. */
function launchFailed(
  detail: Json,
  group: string,
  where: { region?: string; account?: string; time?: string },
): ParsedEvent {
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
  const details = isObject(detail.Details) ? detail.Details : {};
  const statusMessage = detail.StatusMessage;
  if (statusMessage !== undefined && typeof statusMessage !== 'string') {
    return {
      kind: 'malformed',
      reason: 'unsuccessful launch event whose detail.StatusMessage is not a string',
    };
  }
  const cause = text(detail.Cause);
  const subnetId = text(details['Subnet ID']);
  const availabilityZone = text(details['Availability Zone']);
  return {
    kind: 'launch-failed',
    autoScalingGroupName: group,
    // A failed launch without a message is still a failed launch: diagnosed as LAUNCH_FAILURES.
    statusMessage: statusMessage ?? '',
    ...(cause && { cause }),
    ...(subnetId && { subnetId }),
    ...(availabilityZone && { availabilityZone }),
    ...where,
  };
}

/**
 * Why an event's time cannot be right: dated further ahead than the join window plus the tolerance.
 * Such a launch would never be due, and sending it back to the queue would go on for ever.
 */
function futureReason(time: string | undefined, options: ParseOptions): string | undefined {
  const { receivedAt, joinWindowSeconds } = options;
  if (!receivedAt || joinWindowSeconds === undefined || !time) return undefined;
  const at = Date.parse(time);
  if (Number.isNaN(at)) return undefined;
  const ahead = Math.floor((at - receivedAt.getTime()) / 1000);
  if (ahead <= joinWindowSeconds + FUTURE_TOLERANCE_SECONDS) return undefined;
  return (
    `event time ${time} is ${ahead} s in the future, more than the join window (${joinWindowSeconds} s) ` +
    `plus ${FUTURE_TOLERANCE_SECONDS} s: the sender's clock or the event is wrong`
  );
}

/** The cluster and nodegroup of an EKS managed nodegroup's Auto Scaling group, from the tags EKS sets. */
export function nodegroupOfGroup(
  tags: Record<string, string> | undefined,
): { cluster: string; nodegroup: string } | undefined {
  const cluster = tags?.['eks:cluster-name'];
  const nodegroup = tags?.['eks:nodegroup-name'];
  return cluster && nodegroup ? { cluster, nodegroup } : undefined;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
