import { DEFAULT_ROUTE, describeRoute, targetId } from './describeRoute.js';
import { JoinRemediatorError } from './errors.js';
import type { Log, RemediationWriter } from './ports.js';
import type { Action } from './types.js';

export interface ExecuteOptions {
  cluster: string;
  nodegroup: string;
  writer: RemediationWriter;
  log: Log;
  /** When the Lambda must be done: waits for the nodegroup (scale-cycle) stop before it. */
  deadline: Date;
  /** How often the nodegroup status is polled during scale-cycle. */
  pollMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => Date;
}

/**
 * Carries out a plan in order: routes first, then recycling of the instances behind a route that is
 * now fixed. Returns the actions with their outcome; a failed write never throws, it becomes a
 * `failed` action whose reason says what is missing.
 */
export async function executePlan(actions: Action[], options: ExecuteOptions): Promise<Action[]> {
  const done: Action[] = [];
  for (const action of actions) {
    if (action.status !== 'planned') {
      done.push(action);
      continue;
    }
    if ((action.type === 'replace-instances' || action.type === 'scale-cycle') && !routesHeld(done)) {
      done.push({ ...action, status: 'skipped', reason: 'no route was fixed, so nothing is recycled' });
      continue;
    }
    const result = await attempt(action, options);
    options.log.info('remediation action', {
      cluster: options.cluster,
      nodegroup: options.nodegroup,
      type: result.type,
      resourceId: result.resourceId,
      status: result.status,
      reason: result.reason,
    });
    done.push(result);
  }
  return done;
}

/** Recycling needs at least one route in place and none that failed. */
function routesHeld(done: Action[]): boolean {
  const routes = done.filter((a) => a.type === 'create-route' || a.type === 'replace-route');
  return routes.some((a) => a.status === 'done') && !routes.some((a) => a.status === 'failed');
}

async function attempt(action: Action, options: ExecuteOptions): Promise<Action> {
  try {
    switch (action.type) {
      case 'create-route':
        return await createRoute(action, options.writer);
      case 'replace-route':
        return await replaceRoute(action, options.writer);
      case 'replace-instances':
        return await replaceInstance(action, options.writer);
      case 'scale-cycle':
        return await scaleCycle(action, options);
      default:
        return { ...action, status: 'skipped', reason: `${action.type} is not a write` };
    }
  } catch (error) {
    const message =
      error instanceof JoinRemediatorError || error instanceof Error ? error.message : String(error);
    return { ...action, status: 'failed', reason: message, undo: undefined };
  }
}

async function createRoute(action: Action, writer: RemediationWriter): Promise<Action> {
  const { routeTableId, natGatewayId } = required(action);
  const outcome = await writer.createRoute(routeTableId, DEFAULT_ROUTE, natGatewayId);
  if (outcome === 'created') return { ...action, status: 'done' };
  // RouteAlreadyExists: done if it is the route we wanted (another run made it), else someone else's.
  const current = await writer.currentRoute(routeTableId, DEFAULT_ROUTE);
  if (current?.target.kind === 'nat-gateway' && current.target.id === natGatewayId)
    return alreadyThere(action);
  return {
    ...action,
    status: 'skipped',
    reason: `${routeTableId} got a ${DEFAULT_ROUTE} route meanwhile (${current ? describeRoute(current) : 'unknown'}); it is left as it is`,
    undo: undefined,
  };
}

async function replaceRoute(action: Action, writer: RemediationWriter): Promise<Action> {
  const { routeTableId, natGatewayId } = required(action);
  // Read fresh: between the snapshot and now, someone may have repaired the route themselves.
  const current = await writer.currentRoute(routeTableId, DEFAULT_ROUTE);
  if (current?.target.kind === 'nat-gateway' && current.target.id === natGatewayId)
    return alreadyThere(action);
  // Only the dead route that was planned for is replaced: a route changed since then is someone's decision.
  if (current && !action.before?.startsWith(`${DEFAULT_ROUTE} → ${targetId(current.target)} `)) {
    return {
      ...action,
      status: 'skipped',
      reason: `${routeTableId} now routes ${describeRoute(current)}, not the dead route planned for; it is left as it is`,
      undo: undefined,
    };
  }
  await writer.replaceRoute(routeTableId, DEFAULT_ROUTE, natGatewayId);
  return { ...action, status: 'done' };
}

async function replaceInstance(action: Action, writer: RemediationWriter): Promise<Action> {
  const instanceId = action.instanceId ?? action.resourceId;
  const outcome = await writer.terminateInstance(instanceId);
  return outcome === 'terminating'
    ? { ...action, status: 'done' }
    : {
        ...action,
        status: 'skipped',
        reason: `${instanceId} is already terminating or gone`,
        undo: undefined,
      };
}

async function scaleCycle(action: Action, options: ExecuteOptions): Promise<Action> {
  const { writer, cluster, nodegroup } = options;
  const desired = action.desiredSize ?? 1;
  await writer.setDesiredSize(cluster, nodegroup, 0);
  if (!(await waitActive(options))) {
    return {
      ...action,
      status: 'failed',
      reason: `${nodegroup} was scaled to 0 but did not return to ACTIVE in time; it was NOT scaled back to ${desired}`,
    };
  }
  await writer.setDesiredSize(cluster, nodegroup, desired);
  return {
    ...action,
    status: 'done',
    reason: `${action.reason}: scaled to 0, ACTIVE again, scaled back to ${desired}`,
  };
}

async function waitActive(options: ExecuteOptions): Promise<boolean> {
  const now = options.now ?? (() => new Date());
  const sleep = options.sleep ?? ((ms: number) => new Promise((resolve) => setTimeout(resolve, ms)));
  const pollMs = options.pollMs ?? 15_000;
  for (;;) {
    await sleep(Math.min(pollMs, Math.max(0, options.deadline.getTime() - now().getTime())));
    if ((await options.writer.nodegroupStatus(options.cluster, options.nodegroup)) === 'ACTIVE') return true;
    if (now().getTime() + pollMs > options.deadline.getTime()) return false;
  }
}

/** The route we wanted exists (another run made it, or a person): the problem is fixed, not by us. */
function alreadyThere(action: Action): Action {
  return {
    ...action,
    status: 'done',
    reason: `${action.reason} (the route was already there)`,
    undo: undefined,
  };
}

function required(action: Action): { routeTableId: string; natGatewayId: string } {
  if (!action.routeTableId || !action.natGatewayId)
    throw new Error(`${action.type} without a route table or NAT gateway`);
  return { routeTableId: action.routeTableId, natGatewayId: action.natGatewayId };
}
