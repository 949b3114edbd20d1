/**
 * Each remediation property must be seen to fail: here the core is deliberately broken, one way at a
 * time (the bugs the issue describes, and a few more), and the property that guards against that
 * breakage must find a counterexample. A property that cannot fail proves nothing.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type * as ChooseNat from '../../../functions/core/diagnose/chooseNatGateway.js';
import type * as Egress from '../../../functions/core/diagnose/egress.js';
import type * as JudgeInstances from '../../../functions/core/diagnose/judgeInstances.js';
import type { Route } from '../../../functions/core/model/types.js';
import type * as ExecutePlan from '../../../functions/core/remediate/executePlan.js';
import type * as PlanRemediation from '../../../functions/core/remediate/planRemediation.js';
import type * as PlanRoute from '../../../functions/core/remediate/planRoute.js';
import type * as MemoryStore from '../../../functions/state/MemoryStateStore.js';
import { checkProperty, type PropertyName } from '../../support/remediationProperties.js';

type Mutant =
  | 'none'
  | 'egress-from-default-route-only'
  | 'pending-nat-counts-as-dead'
  | 'any-route-is-replaced'
  | 'main-and-shared-tables-allowed'
  | 'any-nat-gateway'
  | 'booting-instances-are-unjoined'
  | 'intent-record-never-completed'
  | 'scale-back-short'
  | 'plan-differs-between-runs'
  | 'lost-answer-is-a-failure';

const mutant = vi.hoisted(() => ({ current: 'none' as string, calls: 0 }));
const is = (name: Mutant) => mutant.current === name;

vi.mock('../../../functions/core/diagnose/egress.js', async (importOriginal) => {
  const real = await importOriginal<typeof Egress>();
  return {
    ...real,
    // The old reading: only a 0.0.0.0/0 CIDR route is egress (prefix lists and split routes are not).
    analyseEgress: (
      table: Parameters<typeof real.analyseEgress>[0],
      network: Parameters<typeof real.analyseEgress>[1],
    ) =>
      real.analyseEgress(
        is('egress-from-default-route-only')
          ? {
              ...table,
              routes: table.routes.filter(
                (r: Route) => r.target.kind === 'local' || r.destination === '0.0.0.0/0',
              ),
            }
          : table,
        network,
      ),
    isDeadForGood: (cause: Parameters<typeof real.isDeadForGood>[0]) =>
      is('pending-nat-counts-as-dead') ? true : real.isDeadForGood(cause),
  };
});

vi.mock('../../../functions/core/remediate/planRoute.js', async (importOriginal) => {
  const real = await importOriginal<typeof PlanRoute>();
  return {
    ...real,
    planRoute: (...[context, table, subnetId]: Parameters<typeof real.planRoute>) => {
      if (is('main-and-shared-tables-allowed')) {
        return real.planRoute(
          { ...context, allowMainRouteTable: true, allowSharedRouteTable: true },
          table,
          subnetId,
        );
      }
      const action = real.planRoute(context, table, subnetId);
      // Any default route that is not alive gets replaced, whatever its target.
      if (
        is('any-route-is-replaced') &&
        (action.reasonCode === 'ROUTE_NOT_NAT' || action.reasonCode === 'ROUTE_NOT_DEAD')
      ) {
        const nat = context.network.natGateways.find((n) => n.state === 'available');
        return nat
          ? {
              ...action,
              status: 'planned' as const,
              reasonCode: undefined,
              natGatewayId: nat.natGatewayId,
              target: nat.natGatewayId,
            }
          : action;
      }
      return action;
    },
  };
});

vi.mock('../../../functions/core/diagnose/chooseNatGateway.js', async (importOriginal) => {
  const real = await importOriginal<typeof ChooseNat>();
  return {
    ...real,
    // Any available NAT gateway will do: its own way out is not checked.
    chooseNatGateway: (...args: Parameters<typeof real.chooseNatGateway>) => {
      if (!is('any-nat-gateway')) return real.chooseNatGateway(...args);
      const [network] = args;
      const nat = network.natGateways.find((n) => n.state === 'available');
      return nat ? { choice: { natGateway: nat, sameZone: true }, rejected: [] } : { rejected: [] };
    },
  };
});

vi.mock('../../../functions/core/diagnose/judgeInstances.js', async (importOriginal) => {
  const real = await importOriginal<typeof JudgeInstances>();
  return {
    ...real,
    judgeInstances: (...args: Parameters<typeof real.judgeInstances>) => {
      const verdicts = real.judgeInstances(...args);
      return is('booting-instances-are-unjoined')
        ? verdicts.map((v) => ({ ...v, pending: false }))
        : verdicts;
    },
  };
});

vi.mock('../../../functions/state/MemoryStateStore.js', async (importOriginal) => {
  const real = await importOriginal<typeof MemoryStore>();
  // A store that keeps the first version of a record: the intent, never its outcome.
  class FirstWriteWins extends real.MemoryStateStore {
    readonly #seen = new Set<string>();
    override async putRemediation(
      record: Parameters<typeof real.MemoryStateStore.prototype.putRemediation>[0],
    ) {
      const key = `${record.cluster}/${record.nodegroup}/${record.at}`;
      if (is('intent-record-never-completed') && this.#seen.has(key)) return;
      this.#seen.add(key);
      await super.putRemediation(record);
    }
  }
  return { ...real, MemoryStateStore: FirstWriteWins };
});

vi.mock('../../../functions/core/remediate/planRemediation.js', async (importOriginal) => {
  const real = await importOriginal<typeof PlanRemediation>();
  return {
    ...real,
    planRemediation: (input: Parameters<typeof real.planRemediation>[0]) => {
      const plan = real.planRemediation(input);
      mutant.calls += 1;
      if (is('scale-back-short')) {
        return plan.map((a) => (a.type === 'scale-cycle' ? { ...a, desiredSize: a.desiredSize - 1 } : a));
      }
      if (is('plan-differs-between-runs') && mutant.calls % 2 === 0) {
        return plan.filter((a) => a.type !== 'replace-instances');
      }
      return plan;
    },
  };
});

vi.mock('../../../functions/core/remediate/executePlan.js', async (importOriginal) => {
  const real = await importOriginal<typeof ExecutePlan>();
  return {
    ...real,
    // The old executor: an error is a failure, even when the write took effect and only its answer was lost.
    executePlan: async (...args: Parameters<typeof real.executePlan>) => {
      const actions = await real.executePlan(...args);
      if (!is('lost-answer-is-a-failure')) return actions;
      return actions.map((a) =>
        a.reasonCode === 'VERIFIED_AFTER_ERROR'
          ? { ...a, status: 'failed' as const, reasonCode: 'CALL_FAILED' as const }
          : a,
      );
    },
  };
});

afterEach(() => {
  mutant.current = 'none';
  mutant.calls = 0;
});

const CASES: [Mutant, PropertyName][] = [
  ['egress-from-default-route-only', 'onlyMissingOrDeadDefaultRoutes'],
  ['pending-nat-counts-as-dead', 'onlyMissingOrDeadDefaultRoutes'],
  ['any-route-is-replaced', 'onlyMissingOrDeadDefaultRoutes'],
  ['main-and-shared-tables-allowed', 'mainAndSharedTablesOnlyWhenAllowed'],
  ['any-nat-gateway', 'writtenRoutesLeadOut'],
  ['booting-instances-are-unjoined', 'onlyUnjoinedInstancesRecycled'],
  ['scale-back-short', 'capacityNeverEndsLower'],
  ['plan-differs-between-runs', 'dryRunPlansWhatRemediateDoes'],
  ['intent-record-never-completed', 'secondRunDoesNothing'],
  ['lost-answer-is-a-failure', 'reportTellsTheTruth'],
];

describe('remediation properties catch a broken core', () => {
  it('hold on the real core (the mutants are off)', async () => {
    await checkProperty('onlyMissingOrDeadDefaultRoutes', { numRuns: 50 });
  });

  it.each(CASES)('%s is caught by %s', async (name, property) => {
    mutant.current = name;
    // A fixed seed: each breakage is caught the same way on every run.
    await expect(checkProperty(property, { numRuns: 3000, seed: 20261201 })).rejects.toThrow(
      /Property failed/,
    );
  });
});
