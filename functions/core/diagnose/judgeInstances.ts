import type { Instance, InstanceVerdict, Membership } from '../model/types.js';

/** EC2 states in which an instance can still become a node; the others are on their way out. */
const LIVE_STATES = new Set(['pending', 'running']);
/** Auto Scaling lifecycle states of instances that are leaving the group and need no verdict. */
const LEAVING_LIFECYCLE = /^(Terminating|Terminated|Detaching|Detached|Standby|EnteringStandby|Warmed)/;

/** Instances worth judging: alive and not being removed from their group. */
export function liveInstances(instances: Instance[]): Instance[] {
  return instances.filter(
    (i) => LIVE_STATES.has(i.state) && !(i.lifecycleState && LEAVING_LIFECYCLE.test(i.lifecycleState)),
  );
}

/**
 * Decides, per instance, whether it joined (a Node with its instance id exists) or is still inside the
 * join window. Membership that could not be read gives `joined: null`: we never guess.
 */
export function judgeInstances(
  instances: Instance[],
  membership: Membership,
  now: Date,
  joinWindowSeconds: number,
): InstanceVerdict[] {
  const nodesByInstance = new Map(
    membership.kind === 'known'
      ? membership.nodes.filter((n) => n.instanceId).map((n) => [n.instanceId as string, n])
      : [],
  );
  return liveInstances(instances).map((instance) => {
    const node = nodesByInstance.get(instance.instanceId);
    const verdict: InstanceVerdict = {
      instanceId: instance.instanceId,
      subnetId: instance.subnetId,
      availabilityZone: instance.availabilityZone,
      launchedAt: instance.launchedAt,
      joined: membership.kind === 'known' ? node !== undefined : null,
      pending: !node && isInsideWindow(instance, now, joinWindowSeconds),
      state: instance.state,
      ...(instance.instanceType && { instanceType: instance.instanceType }),
    };
    if (node) {
      verdict.nodeName = node.name;
      if (node.createdAt) verdict.joinedAt = node.createdAt;
      verdict.ready = node.ready;
      if (!node.ready && node.readyReason) verdict.readyReason = node.readyReason;
      if (!node.ready && node.readyMessage) verdict.readyMessage = node.readyMessage;
    }
    return verdict;
  });
}

/** An instance without a launch time (still `pending` in EC2) is always inside its window. */
function isInsideWindow(instance: Instance, now: Date, joinWindowSeconds: number): boolean {
  if (!instance.launchedAt || instance.state === 'pending') return true;
  const ageSeconds = (now.getTime() - Date.parse(instance.launchedAt)) / 1000;
  return ageSeconds < joinWindowSeconds;
}

/** Instances past the window with no Node object: the symptom. */
export function unjoinedOf(verdicts: InstanceVerdict[]): InstanceVerdict[] {
  return verdicts.filter((v) => v.joined === false && !v.pending);
}

/**
 * Registered nodes whose Ready condition is not True although their instance has run for the join
 * window: a class of its own (the node is there, something on it is not).
 */
export function notReadyOf(
  verdicts: InstanceVerdict[],
  now: Date,
  joinWindowSeconds: number,
): InstanceVerdict[] {
  return verdicts.filter(
    (v) =>
      v.joined === true &&
      v.ready === false &&
      !!v.launchedAt &&
      (now.getTime() - Date.parse(v.launchedAt)) / 1000 >= joinWindowSeconds,
  );
}
