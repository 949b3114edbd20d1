/**
 * Property-based tests of the write path: generated VPC layouts, nodegroups and faults, run through
 * the real check against an in-memory account (see test/support/remediationScenarios.ts). Each
 * property is shown to fail on a deliberately broken planner in remediation.mutants.test.ts.
 */
import { describe, it } from 'vitest';
import { checkProperty } from '../../support/remediationProperties.js';

// PROPERTY_RUNS=20000 explores further; 800 per property keeps npm test quick (about 10 s for all eight).
const numRuns = Number(process.env.PROPERTY_RUNS ?? 800);

describe('remediation properties', () => {
  it('writes only 0.0.0.0/0 to a NAT gateway, where there was no way out or a dead NAT route', async () => {
    await checkProperty('onlyMissingOrDeadDefaultRoutes', { numRuns });
  });

  it('leaves the main route table and tables shared outside the cluster alone unless allowed', async () => {
    await checkProperty('mainAndSharedTablesOnlyWhenAllowed', { numRuns });
  });

  it('routes only to NAT gateways whose own subnet leads to an attached internet gateway', async () => {
    await checkProperty('writtenRoutesLeadOut', { numRuns });
  });

  it('never terminates a joined, still-booting or unknown instance', async () => {
    await checkProperty('onlyUnjoinedInstancesRecycled', { numRuns });
  });

  it('never ends with a lower desired capacity, unless it says so critically with the undo command', async () => {
    await checkProperty('capacityNeverEndsLower', { numRuns });
  });

  it('dry-run writes nothing and plans exactly what remediate carries out', async () => {
    await checkProperty('dryRunPlansWhatRemediateDoes', { numRuns });
  });

  it('does nothing on a second run', async () => {
    await checkProperty('secondRunDoesNothing', { numRuns });
  });

  it('tells the truth about every change under write faults and lost answers, and a retry redoes nothing', async () => {
    await checkProperty('reportTellsTheTruth', { numRuns });
  });
});
