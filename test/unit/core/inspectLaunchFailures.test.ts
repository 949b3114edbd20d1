/**
 * The orchestration of failed launches over the ports (only the reads the messages call for; what
 * cannot be read leaves the cause unconfirmed, never a failed check), and the rule that they are
 * alert only: under policy remediate, a nodegroup whose only findings are launch failures plans and
 * makes no write — an example, and a fast-check property over generated accounts, which is also run
 * against a deliberately broken planner to show it can fail.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { inspectLaunchFailures } from '../../../functions/core/check/inspectLaunchFailures.js';
import { runCheck } from '../../../functions/core/check/runCheck.js';
import { AwsCallError, NotFoundError } from '../../../functions/core/model/errors.js';
import type { AccountReader, KmsKeyFacts, LaunchReader } from '../../../functions/core/model/ports.js';
import { silentLog } from '../../../functions/core/model/ports.js';
import type {
  LaunchFailure,
  NetworkSnapshot,
  ScaleCycleAction,
} from '../../../functions/core/model/types.js';
import type * as PlanRemediation from '../../../functions/core/remediate/planRemediation.js';
import { MemoryStateStore } from '../../../functions/state/MemoryStateStore.js';
import { cluster, nodegroup, subnet, VPC } from '../../support/factories.js';
import { FakeAccount } from '../../support/fakeAccount.js';
import { NOW, type Scenario, scenarios } from '../../support/remediationScenarios.js';
import { fakeClock } from '../../support/stateStoreContract.js';

const KEY_ARN = 'arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const ROOT_ONLY = JSON.stringify({
  Statement: [
    { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:root' }, Action: 'kms:*', Resource: '*' },
  ],
});
const SUBNET = 'subnet-0aaa00000000000a1';
const kmsFailure: LaunchFailure = {
  autoScalingGroupName: 'eks-ng',
  statusMessage: 'Client.InternalError: Client error on launch',
  time: '2026-11-26T09:55:00Z',
};
const addressFailure: LaunchFailure = {
  autoScalingGroupName: 'eks-ng',
  statusMessage: `There are not enough free addresses in subnet '${SUBNET}' to satisfy the requested number of instances.`,
  time: '2026-11-26T09:56:00Z',
};

function launches(overrides: Partial<LaunchReader> = {}) {
  return {
    readLaunchVolumes: vi.fn(async () => [{ deviceName: '/dev/xvda', encrypted: true, kmsKeyId: KEY_ARN }]),
    readKmsKey: vi.fn(
      async (keyId: string): Promise<KmsKeyFacts> => ({
        keyId,
        keyArn: KEY_ARN,
        keyState: 'Enabled',
        keyManager: 'CUSTOMER',
        policy: ROOT_ONLY,
      }),
    ),
    ...overrides,
  } satisfies LaunchReader;
}

function account(free = 0) {
  const network: NetworkSnapshot = {
    vpcId: VPC,
    subnets: [{ ...subnet(SUBNET, 'us-west-2a', '10.42.0.0/28'), availableIpAddressCount: free }],
    routeTables: [],
    natGateways: [],
  };
  return { readNetwork: vi.fn(async () => network) } as unknown as AccountReader & {
    readNetwork: ReturnType<typeof vi.fn>;
  };
}

const ng = nodegroup({ subnetIds: [SUBNET] });

describe('inspectLaunchFailures', () => {
  it('reads the volumes and their key for a KMS message, and not the network', async () => {
    const reader = launches();
    const acct = account();
    const { findings, networks } = await inspectLaunchFailures(cluster(), ng, [kmsFailure], {
      account: acct,
      launches: reader,
      log: silentLog,
    });
    expect(findings.map((f) => f.code)).toEqual(['EBS_KMS_KEY_UNUSABLE']);
    expect(reader.readKmsKey).toHaveBeenCalledWith(KEY_ARN);
    expect(acct.readNetwork).not.toHaveBeenCalled();
    expect(networks).toEqual([]);
  });

  it('reads the network for an address message, and no volume', async () => {
    const reader = launches();
    const { findings, networks } = await inspectLaunchFailures(cluster(), ng, [addressFailure], {
      account: account(0),
      launches: reader,
      log: silentLog,
    });
    expect(findings.map((f) => f.code)).toEqual(['SUBNET_ADDRESSES_EXHAUSTED']);
    expect(networks.map((n) => n.vpcId)).toEqual([VPC]);
    expect(reader.readLaunchVolumes).not.toHaveBeenCalled();
  });

  it('a reader that fails, a missing key or no reader at all never fails the check', async () => {
    const throttled = launches({
      readLaunchVolumes: vi.fn(async () => {
        throw new AwsCallError('autoscaling:DescribeAutoScalingGroups', { name: 'Throttling' });
      }),
    });
    const failed = await inspectLaunchFailures(cluster(), ng, [kmsFailure], {
      account: account(),
      launches: throttled,
      log: silentLog,
    });
    expect(failed.findings.map((f) => f.code)).toEqual(['LAUNCH_FAILURES']);
    expect(failed.findings[0]?.message).toContain('autoscaling:DescribeAutoScalingGroups');

    const gone = launches({
      readKmsKey: vi.fn(async () => {
        throw new NotFoundError('no such key');
      }),
    });
    const missing = await inspectLaunchFailures(cluster(), ng, [kmsFailure], {
      account: account(),
      launches: gone,
      log: silentLog,
    });
    expect(missing.findings[0]?.kmsKey?.state).toBe('NotFound');

    const without = await inspectLaunchFailures(cluster(), ng, [kmsFailure], {
      account: account(),
      log: silentLog,
    });
    expect(without.findings[0]?.message).toContain('no launch reader configured');
  });
});

// --- alert only --------------------------------------------------------------------------------------

/** Switched on by the broken-planner test: a nodegroup whose launches fail is cycled to "retry" them. */
const mutant = vi.hoisted(() => ({ on: false }));
vi.mock('../../../functions/core/remediate/planRemediation.js', async (importOriginal) => {
  const real = await importOriginal<typeof PlanRemediation>();
  return {
    ...real,
    planRemediation: (input: Parameters<typeof real.planRemediation>[0]) => {
      const actions = real.planRemediation(input);
      if (!mutant.on || !input.findings.some((f) => f.code === 'SUBNET_ADDRESSES_EXHAUSTED')) return actions;
      const cycle: ScaleCycleAction = {
        type: 'scale-cycle',
        resourceId: input.nodegroup.name,
        nodegroup: input.nodegroup.name,
        autoScalingGroupName: input.nodegroup.autoScalingGroupNames[0] as string,
        desiredSize: input.nodegroup.scaling.desiredSize,
        instanceIds: input.instances.map((i) => i.instanceId),
        routeTableIds: [],
        status: 'planned',
        reason: 'retry the failed launches',
      };
      return [...actions, cycle];
    },
  };
});
afterEach(() => {
  mutant.on = false;
});

const LAUNCH_CODES = new Set(['EBS_KMS_KEY_UNUSABLE', 'SUBNET_ADDRESSES_EXHAUSTED', 'LAUNCH_FAILURES']);

/** A generated account where no instance is unjoined (so launch failures are all there is), with a full node subnet. */
function launchOnly(scenario: Scenario): Scenario {
  const spec = structuredClone(scenario.spec);
  spec.membershipUnknown = false;
  spec.instances = spec.instances.map((i) => ({ ...i, joined: true, labelled: true }));
  spec.network.subnets = spec.network.subnets.map((s) => ({
    ...s,
    availableIpAddressCount: s.subnetId === 'subnet-node-a' ? 0 : 50,
  }));
  return { ...scenario, spec };
}

/** Runs the real check under remediate with all three kinds of failed launches; throws when it plans or makes a write. */
async function noWriteForLaunchFailures(scenario: Scenario): Promise<void> {
  const clock = fakeClock(NOW);
  const account = new FakeAccount(scenario.spec, clock);
  const state = new MemoryStateStore({ clock });
  const failures: LaunchFailure[] = [
    { ...kmsFailure, autoScalingGroupName: scenario.spec.nodegroup.asg },
    {
      autoScalingGroupName: scenario.spec.nodegroup.asg,
      statusMessage: 'InsufficientFreeAddressesInSubnet: Launching EC2 instance failed.',
      subnetId: 'subnet-node-a',
    },
    { autoScalingGroupName: scenario.spec.nodegroup.asg, statusMessage: 'Insufficient capacity.' },
  ];
  const result = await runCheck(
    {
      clusterName: scenario.spec.clusterName,
      nodegroupNames: [scenario.spec.nodegroup.name],
      policyOverride: 'remediate',
      defaultPolicy: 'notify',
      joinWindowSeconds: 300,
      launchFailures: failures,
      remediation: {
        allowMainRouteTable: scenario.allowMainRouteTable,
        allowSharedRouteTable: scenario.allowSharedRouteTable,
        recycleStrategy: scenario.recycleStrategy,
        loopGuard: { maxRemediations: 2, windowSeconds: 6 * 3600 },
        alertCooldownSeconds: 3600,
      },
    },
    {
      account,
      membership: account,
      writer: account,
      state,
      launches: launches(),
      clock,
      sleep: async (ms) => clock.advance(ms),
      log: silentLog,
    },
  );
  const report = result.report.nodegroups[0];
  const codes = report?.findings.map((f) => f.code) ?? [];
  if (codes.some((c) => !LAUNCH_CODES.has(c))) throw new Error(`not only launch failures: ${codes}`);
  const writes = report?.actions.filter((a) => a.type !== 'notify' && a.status !== 'skipped') ?? [];
  // A remediation record is written before the first write of any plan with a planned action.
  const records = await state.listRemediations(
    scenario.spec.clusterName,
    scenario.spec.nodegroup.name,
    new Date(0),
  );
  if (account.writes.length > 0 || writes.length > 0 || records.length > 0) {
    throw new Error(
      `launch failures led to writes: ${JSON.stringify(account.writes)} / ${writes.map((a) => `${a.type} ${a.status}`)} / planned ${records.flatMap((r) => r.actions.map((a) => a.type))}`,
    );
  }
}

describe('launch failures are alert only', () => {
  it('under remediate, a nodegroup with a full subnet, an unusable key and other failures plans no write', async () => {
    const [scenario] = fc.sample(scenarios(), { numRuns: 1, seed: 7 });
    await noWriteForLaunchFailures(launchOnly(scenario as Scenario));
  });

  it('property: over generated accounts, launch-failure findings never lead to a write', async () => {
    await fc.assert(
      fc.asyncProperty(scenarios(), (s) => noWriteForLaunchFailures(launchOnly(s))),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 300) },
    );
  });

  it('the property fails on a planner that cycles a nodegroup whose launches fail', async () => {
    mutant.on = true;
    const failure = await fc
      .assert(
        fc.asyncProperty(scenarios(), (s) => noWriteForLaunchFailures(launchOnly(s))),
        { numRuns: 300, seed: 42 },
      )
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(String(failure)).toMatch(/Property failed/);
    expect(String((failure as Error).cause)).toMatch(
      /launch failures led to writes: \[\] .* planned scale-cycle/,
    );
  });
});
