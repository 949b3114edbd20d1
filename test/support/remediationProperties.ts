/**
 * The invariants of remediation, as fast-check properties over generated accounts. Each property
 * runs the real check against the in-memory account and throws when the rule is broken. They are
 * shared by the property tests and by the tests that run them against deliberately broken planners
 * (to show that each property can fail).
 */
import fc from 'fast-check';
import type { Action, RouteAction } from '../../functions/core/model/types.js';
import {
  clusterSubnets,
  deadNatRoute,
  egressTruth,
  lastAlertSeverity,
  natLeadsOut,
  type Run,
  routeWrites,
  runScenario,
  type Scenario,
  scenarios,
  subnetsServed,
  terminated,
  unjoinedAtStart,
} from './remediationScenarios.js';

export interface PropertyOptions {
  numRuns?: number;
  seed?: number;
}

function fail(message: string, run: Run): never {
  const actions = run.nodegroup.actions.map(
    (a) => `${a.type} ${a.resourceId} ${a.status} ${a.reasonCode ?? ''}`,
  );
  throw new Error(
    `${message}\nwrites: ${JSON.stringify(run.account.writes)}\nactions: ${actions.join(' | ')}`,
  );
}

const isRoute = (a: Action): a is RouteAction => a.type === 'create-route' || a.type === 'replace-route';

/** Only `0.0.0.0/0` to a NAT gateway is written; created only where there was no way out, replaced only over a dead NAT route. */
export async function onlyMissingOrDeadDefaultRoutes(scenario: Scenario): Promise<void> {
  const run = await runScenario(scenario, 'remediate');
  for (const write of routeWrites(run)) {
    const [tableId, destination, nat] = write.args as [string, string, string];
    const table = run.before.table(tableId);
    if (destination !== '0.0.0.0/0') fail(`wrote ${destination}, not 0.0.0.0/0`, run);
    if (!String(nat).startsWith('nat-')) fail(`routed to ${nat}, not a NAT gateway`, run);
    if (!table) fail(`wrote to unknown table ${tableId}`, run);
    const truth = egressTruth(run.before.network, table);
    if (
      write.op === 'createRoute' &&
      (truth !== 'none' || table.routes.some((r) => r.destination === '0.0.0.0/0'))
    ) {
      fail(`create-route in ${tableId}, whose egress was ${truth}`, run);
    }
    if (write.op === 'replaceRoute' && !deadNatRoute(run.before.network, table)) {
      fail(`replace-route in ${tableId}, whose default route was not a dead NAT route`, run);
    }
  }
}

/** The main route table and tables shared with subnets outside the cluster are written only when allowed. */
export async function mainAndSharedTablesOnlyWhenAllowed(scenario: Scenario): Promise<void> {
  const run = await runScenario(scenario, 'remediate');
  const inCluster = clusterSubnets(scenario.spec);
  for (const write of routeWrites(run)) {
    const table = run.before.table(String(write.args[0]));
    if (!table) continue;
    if (table.main && !scenario.allowMainRouteTable) fail(`wrote to main table ${table.routeTableId}`, run);
    const outside = subnetsServed(run.before.network, table).filter((s) => !inCluster.has(s));
    const managed = table.tags?.['eks-join-remediator/managed'] === 'true';
    const allowed = scenario.allowSharedRouteTable || managed || (table.main && scenario.allowMainRouteTable);
    if (outside.length > 0 && !allowed)
      fail(`wrote to ${table.routeTableId}, shared with ${outside.join(', ')}`, run);
  }
}

/** Every route written leads to a NAT gateway that has its own way to an attached internet gateway. */
export async function writtenRoutesLeadOut(scenario: Scenario): Promise<void> {
  const run = await runScenario(scenario, 'remediate');
  for (const write of routeWrites(run)) {
    const [tableId, , nat] = write.args.map(String) as [string, string, string];
    if (!natLeadsOut(run.before.network, nat, tableId))
      fail(`routed ${tableId} to ${nat}, which does not lead out`, run);
  }
}

/** No joined, still-booting or unknown instance is terminated, one by one or by scaling to 0. */
export async function onlyUnjoinedInstancesRecycled(scenario: Scenario): Promise<void> {
  const run = await runScenario(scenario, 'remediate');
  const unjoined = unjoinedAtStart(run);
  for (const id of terminated(run))
    if (!unjoined.has(id)) fail(`terminated ${id}, which was not unjoined`, run);
  for (const write of run.account.writes) {
    if (write.op === 'terminateInstance' && !unjoined.has(String(write.args[0]))) {
      fail(`asked to terminate ${write.args[0]}, which was not unjoined`, run);
    }
  }
}

/** Desired capacity never ends lower than it began, unless the failure is said, critically, with the undo command. */
export async function capacityNeverEndsLower(scenario: Scenario): Promise<void> {
  const run = await runScenario(scenario, 'remediate');
  const began = run.before.desiredSize;
  if (run.account.desiredSize >= began) return;
  const told = run.nodegroup.actions.some(
    (a) => a.type === 'scale-cycle' && a.status === 'failed' && a.undo?.includes(`desiredSize=${began}`),
  );
  if (!told || lastAlertSeverity(run) !== 'critical') {
    fail(
      `desired size ended at ${run.account.desiredSize}, below ${began}, without a critical alert and its undo`,
      run,
    );
  }
}

/** Dry-run writes nothing and plans exactly what remediate carries out. */
export async function dryRunPlansWhatRemediateDoes(scenario: Scenario): Promise<void> {
  const dry = await runScenario(scenario, 'dry-run');
  if (dry.account.writes.length > 0) fail('dry-run wrote', dry);
  const real = await runScenario(scenario, 'remediate');
  const key = (a: Action) => `${a.type} ${a.resourceId} ${isRoute(a) ? (a.natGatewayId ?? '') : ''}`;
  const writes = (actions: Action[]) => actions.filter((a) => a.type !== 'notify');
  const planned = writes(dry.nodegroup.actions);
  const carried = writes(real.nodegroup.actions);
  const plannedKeys = planned.map(key).sort();
  const carriedKeys = carried.map(key).sort();
  if (JSON.stringify(plannedKeys) !== JSON.stringify(carriedKeys)) {
    fail(`dry-run planned [${plannedKeys}] but remediate had [${carriedKeys}]`, real);
  }
  for (const a of planned) {
    const twin = carried.find((b) => key(b) === key(a));
    if (a.status === 'skipped' && (twin?.status !== 'skipped' || twin.reasonCode !== a.reasonCode)) {
      fail(
        `dry-run refused ${key(a)} (${a.reasonCode}) but remediate did ${twin?.status} (${twin?.reasonCode})`,
        real,
      );
    }
    if (a.status === 'planned' && twin?.status === 'planned') fail(`remediate left ${key(a)} planned`, real);
  }
}

/** A second run after a clean first one changes nothing. */
export async function secondRunDoesNothing(scenario: Scenario): Promise<void> {
  const first = await runScenario(scenario, 'remediate');
  const writes = first.account.writes.length;
  const second = await runScenario(scenario, 'remediate', { account: first.account, state: first.state });
  if (second.account.writes.length !== writes) {
    fail(`the second run wrote again: ${JSON.stringify(second.account.writes.slice(writes))}`, second);
  }
}

/**
 * With faults (errors, lost answers), the report tells the truth: a done action's change is there,
 * every change has a done action, refusals and failures carry a reason code, done changes have their
 * undo; and a second run after the faults keeps every rule and never redoes a change.
 */
export async function reportTellsTheTruth(scenario: Scenario): Promise<void> {
  const run = await runScenario(scenario, 'remediate');
  const actions = run.nodegroup.actions;
  for (const a of actions) {
    if ((a.status === 'skipped' || a.status === 'failed') && a.type !== 'notify' && !a.reasonCode) {
      fail(`${a.type} ${a.resourceId} ${a.status} without a reason code`, run);
    }
    if (a.status === 'done' && a.type !== 'notify' && !a.undo)
      fail(`${a.type} ${a.resourceId} done without undo`, run);
    if (isRoute(a) && a.status === 'done') {
      const route = run.account.table(a.routeTableId)?.routes.find((r) => r.destination === '0.0.0.0/0');
      if (route?.target.kind !== 'nat-gateway' || route.target.id !== a.natGatewayId) {
        fail(`${a.type} ${a.routeTableId} reported done but the table routes elsewhere`, run);
      }
    }
    if (a.type === 'replace-instances' && a.status === 'done') {
      for (const id of a.instanceIds)
        if (!terminated(run).includes(id)) fail(`${id} reported replaced but still runs`, run);
    }
  }
  for (const table of run.account.network.routeTables) {
    const was = JSON.stringify(
      run.before.table(table.routeTableId)?.routes.find((r) => r.destination === '0.0.0.0/0'),
    );
    const now = JSON.stringify(table.routes.find((r) => r.destination === '0.0.0.0/0'));
    const said = (a: Action) =>
      isRoute(a) &&
      a.routeTableId === table.routeTableId &&
      (a.status === 'done' || a.reasonCode === 'OUTCOME_UNKNOWN');
    if (was !== now && !actions.some(said)) {
      fail(`${table.routeTableId} changed without a done action`, run);
    }
  }
  const cycled = actions.some((a) => a.type === 'scale-cycle' && a.status !== 'skipped');
  for (const id of terminated(run)) {
    const replaced = actions.some(
      (a) =>
        a.type === 'replace-instances' &&
        (a.status === 'done' || a.reasonCode === 'OUTCOME_UNKNOWN') &&
        a.instanceIds.includes(id),
    );
    if (!replaced && !cycled) fail(`${id} was terminated without a done action`, run);
  }
  if (
    actions.some((a) => a.type !== 'notify' && (a.status === 'done' || a.status === 'failed')) &&
    run.alerts.length === 0
  ) {
    fail('something was done or failed, and no alert said so', run);
  }

  run.account.clearFaults();
  const writes = run.account.writes.length;
  const again = await runScenario(scenario, 'remediate', { account: run.account, state: run.state });
  for (const write of again.account.writes.slice(writes)) {
    const [tableId] = write.args.map(String) as [string];
    if (write.op === 'createRoute' || write.op === 'replaceRoute') {
      const table = again.before.table(tableId);
      if (table && egressTruth(again.before.network, table) === 'egress')
        fail(`the retry wrote over ${tableId}, which already had egress`, again);
    }
    if (write.op === 'terminateInstance' && !unjoinedAtStart(again).has(tableId)) {
      fail(`the retry terminated ${tableId}, which was not unjoined`, again);
    }
  }
}

export const PROPERTIES = {
  onlyMissingOrDeadDefaultRoutes,
  mainAndSharedTablesOnlyWhenAllowed,
  writtenRoutesLeadOut,
  onlyUnjoinedInstancesRecycled,
  capacityNeverEndsLower,
  dryRunPlansWhatRemediateDoes,
  secondRunDoesNothing,
  reportTellsTheTruth,
} as const;

export type PropertyName = keyof typeof PROPERTIES;

/** The properties that run with faults injected into the writes and fresh reads. */
const WITH_FAULTS = new Set<PropertyName>([
  'onlyMissingOrDeadDefaultRoutes',
  'mainAndSharedTablesOnlyWhenAllowed',
  'writtenRoutesLeadOut',
  'onlyUnjoinedInstancesRecycled',
  'capacityNeverEndsLower',
  'reportTellsTheTruth',
]);

/** The properties about recycling, which also run on accounts that lean towards scale-cycle. */
const SCALE_CYCLE = new Set<PropertyName>(['onlyUnjoinedInstancesRecycled', 'capacityNeverEndsLower']);

/** Runs one property; throws (with the counterexample) when it does not hold. */
export async function checkProperty(name: PropertyName, options: PropertyOptions = {}): Promise<void> {
  const property = PROPERTIES[name];
  const faults = WITH_FAULTS.has(name);
  const arbitrary = SCALE_CYCLE.has(name)
    ? fc.oneof(scenarios({ faults }), scenarios({ faults, scaleCycle: true }))
    : scenarios({ faults });
  await fc.assert(
    fc.asyncProperty(arbitrary, (scenario) => property(scenario)),
    { numRuns: options.numRuns ?? 400, ...(options.seed !== undefined && { seed: options.seed }) },
  );
}
