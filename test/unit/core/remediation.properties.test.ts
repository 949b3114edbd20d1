/**
 * Property-based tests of the write path: generated VPC layouts, nodegroups and faults, run through
 * the real check against an in-memory account (see test/support/remediationScenarios.ts). Each
 * property is shown to fail on a deliberately broken planner in remediation.mutants.test.ts.
 */
import { describe, it } from 'vitest';
import { checkProperty, type PropertyName } from '../../support/remediationProperties.js';

// PROPERTY_RUNS=20000 explores further; 800 per property keeps npm test quick (about 10 s for all eight).
const numRuns = Number(process.env.PROPERTY_RUNS ?? 800);

/** What each property claims, as the name of its test: the type makes every property run. */
const CLAIMS: Record<PropertyName, string> = {
  onlyMissingOrDeadDefaultRoutes:
    'writes only 0.0.0.0/0 to a NAT gateway, where there was no way out or a dead NAT route',
  mainAndSharedTablesOnlyWhenAllowed:
    'leaves the main route table and tables shared outside the cluster alone unless allowed',
  writtenRoutesLeadOut: 'routes only to NAT gateways whose own subnet leads to an attached internet gateway',
  onlyUnjoinedInstancesRecycled: 'never terminates a joined, still-booting or unknown instance',
  capacityNeverEndsLower:
    'never ends with a lower desired capacity, unless it says so critically with the undo command',
  dryRunPlansWhatRemediateDoes: 'dry-run writes nothing and plans exactly what remediate carries out',
  secondRunDoesNothing: 'does nothing on a second run',
  reportTellsTheTruth:
    'tells the truth about every change under write faults and lost answers, and a retry redoes nothing',
};

const cases = Object.entries(CLAIMS).map(([name, claim]) => ({ name: name as PropertyName, claim }));

describe('remediation properties', () => {
  it.each(cases)('$claim', async ({ name }) => {
    await checkProperty(name, { numRuns });
  });
});
