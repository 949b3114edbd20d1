import { DEFAULT_ROUTE, describeRoute } from '../model/describeRoute.js';
import { AwsCallError, isAccessDenied, isThrottled } from '../model/errors.js';
import type { Log, RemediationWriter } from '../model/ports.js';
import { SETTINGS } from '../model/settings.js';
import type {
  Action,
  NetworkSnapshot,
  ReasonCode,
  ReplaceInstancesAction,
  RouteAction,
  RouteTable,
  ScaleCycleAction,
  WriteAction,
} from '../model/types.js';
import { SCALE_CYCLE_MIN_SECONDS } from './planRemediation.js';
import { planRoute, type RouteContext, withFresh } from './planRoute.js';
import { withReason } from './reasons.js';

export interface ExecuteOptions {
  cluster: string;
  nodegroup: string;
  writer: RemediationWriter;
  log: Log;
  /** The planning context of each route table (its VPC's snapshot and the rules), for the re-plan before a write. */
  routeContext(routeTableId: string): RouteContext | undefined;
  /**
   * A fresh read of membership just before recycling: the given instances still unjoined, or
   * undefined when the node list cannot be read (then nothing is recycled).
   */
  stillUnjoined(instanceIds: string[]): Promise<Set<string> | undefined>;
  /** Called after each action has its outcome (the intent record is updated). */
  onProgress?(actions: Action[]): Promise<void>;
  /** When the run must be done: waits stop before it, and scale-cycle keeps time to scale back. */
  deadline: Date;
  /** How often the nodegroup status is polled during scale-cycle. */
  pollMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => Date;
  /**
   * Resuming an interrupted run: an instance already gone may be one this remediation terminated
   * before it was interrupted, so it counts as done.
   */
  resuming?: boolean;
}

/** Scale-back attempts of scale-cycle, however little time is left. */
const SCALE_BACK_ATTEMPTS = 5;
const DEFAULT_POLL_MS = SETTINGS.scaleCyclePollSeconds.default * 1000;
/** Time kept back from the wait for ACTIVE, for the scale-back and its retries. */
const SCALE_BACK_RESERVE_MS = 60_000;

/**
 * Carries out a plan in order: routes first, each re-planned on a fresh read just before its write,
 * then recycling of instances behind a route that is now fixed and that a fresh node list still shows
 * unjoined. Never throws for a write: a failure becomes a `failed` action with its reason code, and a
 * write whose answer was lost is checked by reading its effect back.
 */
export async function executePlan(actions: Action[], options: ExecuteOptions): Promise<Action[]> {
  const results: Action[] = [...actions];
  const report = async (index: number, result: Action) => {
    results[index] = result;
    if (result !== actions[index]) {
      options.log.info('remediation action', {
        cluster: options.cluster,
        nodegroup: options.nodegroup,
        type: result.type,
        resourceId: result.resourceId,
        status: result.status,
        reasonCode: result.reasonCode,
      });
      await options.onProgress?.(results);
    }
  };

  for (const [index, action] of actions.entries()) {
    if (action.status !== 'planned') continue;
    if (action.type === 'create-route' || action.type === 'replace-route') {
      await report(index, await executeRoute(action, options));
    }
  }

  const recycles = actions.flatMap((a, index) =>
    a.status === 'planned' && (a.type === 'replace-instances' || a.type === 'scale-cycle')
      ? [{ a, index }]
      : [],
  );
  if (recycles.length === 0) return results;
  const fixedTables = new Set(
    results.flatMap((a) =>
      (a.type === 'create-route' || a.type === 'replace-route') && a.status === 'done'
        ? [a.routeTableId]
        : [],
    ),
  );
  // Recycled only behind a route this run fixed, or one an earlier run fixed after the instances
  // launched (the plan proved it is still there): an action that names no table is behind none.
  const behindFix = recycles.filter(({ a }) => {
    const tables = tablesOf(a);
    const earlier = new Set(
      a.type === 'replace-instances'
        ? a.routeFixedAt && a.routeTableId
          ? [a.routeTableId]
          : []
        : (a.routesFixedEarlier ?? []).map((r) => r.routeTableId),
    );
    return tables.length > 0 && tables.every((t) => fixedTables.has(t) || earlier.has(t));
  });
  for (const { a, index } of recycles) {
    if (!behindFix.some((r) => r.index === index)) await report(index, refuse(a, 'ROUTE_NOT_FIXED'));
  }
  if (behindFix.length === 0) return results;

  const ids = [...new Set(behindFix.flatMap(({ a }) => instancesOf(a)))];
  const unjoined = await options.stillUnjoined(ids).catch(() => undefined);
  for (const { a, index } of behindFix) {
    if (!unjoined) {
      await report(index, refuse(a, 'MEMBERSHIP_UNKNOWN'));
      continue;
    }
    const joined = instancesOf(a).filter((id) => !unjoined.has(id));
    if (joined.length > 0) {
      await report(index, refuse({ ...a, instanceIds: joined } as typeof a, 'INSTANCES_JOINED'));
      continue;
    }
    const result =
      a.type === 'scale-cycle'
        ? await scaleCycle(a, options)
        : await replaceInstance(a as ReplaceInstancesAction, options);
    await report(index, result);
  }
  return results;
}

function tablesOf(a: WriteAction): string[] {
  if (a.type === 'scale-cycle') return a.routeTableIds;
  if (a.type === 'replace-instances') return a.routeTableId ? [a.routeTableId] : [];
  return [];
}

function instancesOf(a: Action): string[] {
  return a.type === 'replace-instances' || a.type === 'scale-cycle' ? a.instanceIds : [];
}

function refuse<A extends Action>(action: A, reasonCode: ReasonCode, extra: Partial<A> = {}): A {
  return withReason({ ...action, ...extra, status: 'skipped', reasonCode, undo: undefined });
}

function done<A extends Action>(action: A, reasonCode?: ReasonCode): A {
  return withReason({ ...action, status: 'done', ...(reasonCode && { reasonCode }) });
}

function failed<A extends Action>(action: A, error: unknown, extra: Partial<A> = {}): A {
  return withReason({
    ...action,
    undo: undefined,
    ...extra,
    status: 'failed',
    reasonCode: failureCode(error),
    error: messageOf(error),
  });
}

function failureCode(error: unknown): ReasonCode {
  const cause = error instanceof AwsCallError ? error.cause : error;
  if (isAccessDenied(cause)) return 'ACCESS_DENIED';
  if (isThrottled(cause)) return 'THROTTLED';
  return 'CALL_FAILED';
}

/**
 * A call failed and its effect could not be read back: it may have happened. Said as such, with the
 * undo command kept, so a person can check and undo.
 */
function unknownOutcome<A extends Action>(action: A, error: unknown): A {
  return withReason({ ...action, status: 'failed', reasonCode: 'OUTCOME_UNKNOWN', error: messageOf(error) });
}

/** A read of a write's effect: tried twice, since it decides whether the write is reported done. */
async function readBack<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch {
    return read();
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// --- routes -------------------------------------------------------------------------------------

/**
 * Re-plans the table on a fresh read and writes only what the fresh plan still asks for. On
 * InvalidRoute.NotFound (the default route vanished before a replace) it re-reads and re-plans once.
 */
async function executeRoute(
  action: RouteAction,
  options: ExecuteOptions,
  replanned = false,
): Promise<RouteAction> {
  const { writer } = options;
  const nat = action.natGatewayId as string;
  const fresh = await freshPlan(action, options).catch((error: unknown) => failed(action, error));
  if (fresh.status === 'failed') return fresh;
  if (fresh.status === 'skipped') {
    if (routesTo(fresh.previous, nat)) return done(action, 'ALREADY_THERE');
    return refuse(
      action,
      fresh.reasonCode === 'EGRESS_PRESENT' ? 'ROUTE_CHANGED' : (fresh.reasonCode ?? 'ROUTE_CHANGED'),
      {
        before: fresh.before,
      },
    );
  }
  // Only what was planned is written; after the route vanished, the re-plan (create instead of
  // replace) is carried out if it still routes to the same NAT gateway.
  if (fresh.natGatewayId !== nat || (fresh.type !== action.type && !replanned)) {
    return refuse(action, 'ROUTE_CHANGED', { before: fresh.before });
  }
  action = fresh;
  try {
    if (action.type === 'create-route') {
      const outcome = await writer.createRoute(action.routeTableId, DEFAULT_ROUTE, nat);
      if (outcome === 'created') return done(action);
      return await verifyRoute(action, options, undefined);
    }
    const outcome = await writer.replaceRoute(action.routeTableId, DEFAULT_ROUTE, nat);
    if (outcome === 'replaced') return done(action);
    if (replanned) return await verifyRoute(action, options, undefined);
    return await executeRoute(action, options, true);
  } catch (error) {
    return verifyRoute(action, options, error);
  }
}

/** The plan for the table as it is now (fresh table, fresh NAT gateways). */
async function freshPlan(action: RouteAction, options: ExecuteOptions): Promise<RouteAction> {
  const context = options.routeContext(action.routeTableId);
  const table = await options.writer.readRouteTable(action.routeTableId);
  if (!context || !table)
    return refuse(action, 'ROUTE_CHANGED', { before: `${action.routeTableId} no longer exists` });
  const natIds = natIdsOf(table, context.network, action);
  const nats = await options.writer.readNatGateways(natIds);
  const network: NetworkSnapshot = withFresh(context.network, table, natIds, nats);
  const subnetId = action.subnetId ?? table.subnetIds[0] ?? '';
  return planRoute({ ...context, network }, table, subnetId);
}

/** The NAT gateways whose state decides the re-plan: the ones the table routes to, and every candidate. */
function natIdsOf(table: RouteTable, network: NetworkSnapshot, action: RouteAction): string[] {
  const routed = table.routes.flatMap((r) => (r.target.kind === 'nat-gateway' ? [r.target.id] : []));
  const planned = action.natGatewayId ? [action.natGatewayId] : [];
  return [...new Set([...routed, ...planned, ...network.natGateways.map((n) => n.natGatewayId)])];
}

function routesTo(route: RouteAction['previous'], natGatewayId: string): boolean {
  return route?.target.kind === 'nat-gateway' && route.target.id === natGatewayId && route.state === 'active';
}

/**
 * After an error, or an answer that says the route was there already: the route to our NAT gateway
 * in place means the write took effect (ours, a lost answer, or someone else's); otherwise it did not.
 */
async function verifyRoute(
  action: RouteAction,
  options: ExecuteOptions,
  error: unknown,
): Promise<RouteAction> {
  const nat = action.natGatewayId as string;
  let table: RouteTable | undefined;
  try {
    table = await readBack(() => options.writer.readRouteTable(action.routeTableId));
  } catch {
    return error === undefined ? refuse(action, 'ROUTE_CHANGED') : unknownOutcome(action, error);
  }
  const current = table?.routes.find((r) => r.destination === DEFAULT_ROUTE);
  if (routesTo(current, nat)) {
    return error === undefined ? done(action, 'ALREADY_THERE') : done(action, 'VERIFIED_AFTER_ERROR');
  }
  if (error !== undefined) return failed(action, error);
  return refuse(action, 'ROUTE_CHANGED', {
    before: current ? describeRoute(current) : `no ${DEFAULT_ROUTE} route`,
  });
}

// --- instances ----------------------------------------------------------------------------------

const LEAVING_STATES = new Set(['shutting-down', 'terminated', 'stopping', 'stopped']);

async function replaceInstance(
  action: ReplaceInstancesAction,
  options: ExecuteOptions,
): Promise<ReplaceInstancesAction> {
  const [instanceId] = action.instanceIds as [string];
  try {
    const outcome = await options.writer.terminateInstance(instanceId);
    if (outcome === 'terminating') return done(action);
    return options.resuming ? done(action, 'VERIFIED_AFTER_ERROR') : refuse(action, 'ALREADY_GONE');
  } catch (error) {
    // The call may have taken effect with its answer lost: an instance on its way out was terminated.
    const seen = await readBack(() => options.writer.readInstances([instanceId])).catch(() => undefined);
    if (!seen) return unknownOutcome(action, error);
    const instance = seen.find((i) => i.instanceId === instanceId);
    const leaving =
      !instance || LEAVING_STATES.has(instance.state) || /^Terminating/.test(instance.lifecycleState ?? '');
    return leaving ? done(action, 'VERIFIED_AFTER_ERROR') : failed(action, error);
  }
}

// --- scale-cycle --------------------------------------------------------------------------------

/**
 * Scale to 0, wait for ACTIVE, scale back. The scale-back is always attempted (in a finally, with
 * retries), and the desired size ends where it began; when it cannot be restored, the action fails
 * and keeps its undo command, the exact command a person must run.
 */
async function scaleCycle(action: ScaleCycleAction, options: ExecuteOptions): Promise<ScaleCycleAction> {
  const { writer, cluster, nodegroup } = options;
  const now = options.now ?? (() => new Date());
  const secondsLeft = Math.floor((options.deadline.getTime() - now().getTime()) / 1000);
  if (secondsLeft < SCALE_CYCLE_MIN_SECONDS) {
    return refuse(action, 'NOT_ENOUGH_TIME', {
      secondsNeeded: SCALE_CYCLE_MIN_SECONDS,
      secondsLeft: Math.max(0, secondsLeft),
    });
  }
  // Scaling to 0 takes every instance of the group: one launched since the check is still booting.
  const groups = action.autoScalingGroupName ? [action.autoScalingGroupName] : [];
  const current = await readBack(() => writer.readGroupInstanceIds(groups)).catch(() => undefined);
  if (!current) return refuse(action, 'MEMBERSHIP_UNKNOWN');
  const newcomers = current.filter((id) => !action.instanceIds.includes(id));
  if (newcomers.length > 0) return refuse(action, 'INSTANCES_PENDING', { instanceIds: newcomers });
  try {
    await writer.setDesiredSize(cluster, nodegroup, 0);
  } catch (error) {
    const scaling = await readBack(() => writer.readNodegroupScaling(cluster, nodegroup)).catch(
      () => undefined,
    );
    // Nothing changed (the desired size is not 0): nothing to undo either. When that cannot be read,
    // it may have changed: the scale-back below restores the size either way.
    if (scaling && scaling.desiredSize !== 0) return failed(action, error);
  }
  let active = false;
  let scaledBack: { ok: true } | { ok: false; error: unknown };
  try {
    active = await waitActive(options, new Date(options.deadline.getTime() - SCALE_BACK_RESERVE_MS));
  } finally {
    scaledBack = await scaleBack(action.desiredSize, options);
  }
  if (!scaledBack.ok) {
    return withReason({
      ...action,
      status: 'failed',
      reasonCode: active ? 'SCALE_BACK_FAILED' : 'NOT_ACTIVE_IN_TIME',
      error: messageOf(scaledBack.error),
    });
  }
  return done(action);
}

async function waitActive(options: ExecuteOptions, until: Date): Promise<boolean> {
  const now = options.now ?? (() => new Date());
  const sleep = options.sleep ?? defaultSleep;
  const pollMs = options.pollMs ?? DEFAULT_POLL_MS;
  for (;;) {
    await sleep(Math.min(pollMs, Math.max(0, until.getTime() - now().getTime())));
    const scaling = await options.writer
      .readNodegroupScaling(options.cluster, options.nodegroup)
      .catch(() => undefined);
    if (scaling?.status === 'ACTIVE') return true;
    if (now().getTime() + pollMs > until.getTime()) return false;
  }
}

/** Back to the size it began with; an error whose effect is there (desired size restored) counts as done. */
async function scaleBack(
  desiredSize: number,
  options: ExecuteOptions,
): Promise<{ ok: true } | { ok: false; error: unknown }> {
  const { writer, cluster, nodegroup } = options;
  const now = options.now ?? (() => new Date());
  const sleep = options.sleep ?? defaultSleep;
  let lastError: unknown;
  for (let attempt = 1; attempt <= SCALE_BACK_ATTEMPTS; attempt++) {
    try {
      await writer.setDesiredSize(cluster, nodegroup, desiredSize);
      return { ok: true };
    } catch (error) {
      lastError = error;
      const scaling = await writer.readNodegroupScaling(cluster, nodegroup).catch(() => undefined);
      if (scaling && scaling.desiredSize >= desiredSize) return { ok: true };
    }
    // An update in progress (ResourceInUseException) ends in seconds: wait a little, within the deadline.
    const left = options.deadline.getTime() - now().getTime();
    if (attempt < SCALE_BACK_ATTEMPTS)
      await sleep(Math.max(0, Math.min(options.pollMs ?? DEFAULT_POLL_MS, left / 2)));
  }
  return { ok: false, error: lastError };
}

function defaultSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
