/**
 * runCheck's paths around the decisions: a nodegroup locked by another run, preflight without an
 * unjoined instance, the cluster's subnets read only when a fix touches an unknown subnet, and what
 * the operator's log and the report say when an alert is suppressed or cannot be published.
 */
import { describe, expect, it, vi } from 'vitest';
import { runCheck } from '../../../functions/core/check/runCheck.js';
import type { AlertPublisher, Log } from '../../../functions/core/model/ports.js';
import { DEFAULT_REMEDIATION } from '../../../functions/core/model/settings.js';
import type { Policy } from '../../../functions/core/model/types.js';
import { recordingLog } from '../../support/recordingLog.js';
import {
  checkSeed,
  JOIN_WINDOW_SECONDS,
  recordingTopic,
  SEED_CLUSTER,
  SEED_NODEGROUP,
  type Seed,
  seedAccount,
  shareSeedTable,
  unjoinedInstance,
} from '../../support/seedCheck.js';

const keys = { cluster: SEED_CLUSTER, nodegroup: SEED_NODEGROUP };

/** One check of the seed nodegroup with a log to read. */
async function check(
  { account, state }: Seed,
  { log, alerts, policy = 'remediate' }: { log: Log; alerts?: AlertPublisher; policy?: Policy },
) {
  return runCheck(
    {
      clusterName: SEED_CLUSTER,
      nodegroupNames: [SEED_NODEGROUP],
      policyOverride: policy,
      defaultPolicy: 'notify',
      joinWindowSeconds: JOIN_WINDOW_SECONDS,
      remediation: DEFAULT_REMEDIATION,
      deadline: new Date(account.clock.now().getTime() + 600_000),
    },
    {
      account,
      membership: account,
      writer: account,
      state,
      ...(alerts && { alerts }),
      clock: account.clock,
      sleep: async (ms) => account.clock.advance(ms),
      log,
      runId: 'this-run',
    },
  );
}

describe('runCheck: a nodegroup another run is remediating', () => {
  it('is reported as skipped under remediate, with nothing read, written or alerted, and logged', async () => {
    const seed = seedAccount();
    await seed.state.acquireLock(SEED_CLUSTER, SEED_NODEGROUP, 'other-run', 600);
    const topic = recordingTopic();
    const log = recordingLog();
    const { report } = await check(seed, { log, alerts: topic.publisher });

    const [nodegroup] = report.nodegroups;
    expect(nodegroup).toMatchObject({
      name: SEED_NODEGROUP,
      policy: 'remediate',
      findings: [],
      instances: [],
    });
    expect(nodegroup?.actions).toMatchObject([{ type: 'notify', status: 'skipped', reasonCode: 'LOCKED' }]);
    expect(seed.account.writes).toEqual([]);
    expect(topic.sent).toEqual([]);
    expect(log.entries).toEqual([{ level: 'info', message: expect.stringMatching(/\w/), extra: keys }]);
    // The lock stays with its owner.
    expect(await seed.state.acquireLock(SEED_CLUSTER, SEED_NODEGROUP, 'third-run', 600)).toBe(false);
  });
});

describe('runCheck: preflight without an unjoined instance', () => {
  const booting = () => [unjoinedInstance({ launchedAt: '2026-11-26T09:59:00.000Z' })];

  it('plans the fix (dry-run) under remediate while the only instance is inside its window', async () => {
    const seed = seedAccount({ instances: booting() });
    const { nodegroup } = await checkSeed(seed, { preflight: true });
    expect(nodegroup.policy).toBe('dry-run');
    expect(nodegroup.actions.filter((a) => a.type === 'create-route')).toMatchObject([{ status: 'planned' }]);
    expect(seed.account.writes).toEqual([]);
  });

  it('writes the fix under PREFLIGHT_POLICY=remediate', async () => {
    const seed = seedAccount({ instances: booting() });
    const { nodegroup } = await checkSeed(seed, { preflight: true, preflightPolicy: 'remediate' });
    expect(nodegroup.policy).toBe('remediate');
    expect(nodegroup.actions.filter((a) => a.type === 'create-route')).toMatchObject([{ status: 'done' }]);
  });

  it('keeps notify as it is: nothing planned', async () => {
    const seed = seedAccount({ instances: booting() });
    const { nodegroup } = await checkSeed(seed, { preflight: true, policy: 'notify' });
    expect(nodegroup.policy).toBe('notify');
    expect(nodegroup.actions).toEqual([]);
    expect(nodegroup.findings.map((f) => f.code)).toContain('NO_DEFAULT_ROUTE');
  });
});

describe("runCheck: the cluster's other subnets", () => {
  it('are not listed when the fixed table serves only subnets the cluster and nodegroup name', async () => {
    const seed = seedAccount();
    const list = vi.spyOn(seed.account, 'listNodegroups');
    const { nodegroup } = await checkSeed(seed);
    expect(nodegroup.actions.find((a) => a.type === 'create-route')?.status).toBe('done');
    expect(list).not.toHaveBeenCalled();
  });

  it('are listed once per run when the table also serves an unknown subnet', async () => {
    const seed = seedAccount();
    shareSeedTable(seed);
    const list = vi.spyOn(seed.account, 'listNodegroups');
    const { nodegroup } = await checkSeed(seed, { remediation: { allowSharedRouteTable: true } });
    expect(nodegroup.actions.find((a) => a.type === 'create-route')?.status).toBe('done');
    expect(list).toHaveBeenCalledTimes(1);
  });
});

describe('runCheck: alerts in the log and the report', () => {
  it('logs a suppressed alert with the nodegroup and the kind', async () => {
    const seed = seedAccount();
    const topic = recordingTopic();
    await check(seed, { log: recordingLog(), alerts: topic.publisher, policy: 'notify' });
    const log = recordingLog();
    await check(seed, { log, alerts: topic.publisher, policy: 'notify' });
    expect(topic.sent).toHaveLength(1);
    const suppressed = log.entries.find((e) => e.extra?.alertKind);
    expect(suppressed).toEqual({
      level: 'info',
      message: expect.stringMatching(/\w/),
      extra: { ...keys, alertKind: 'problem' },
    });
  });

  it('reports an alert that could not be published as a failed notify, an error, and an error log', async () => {
    const seed = seedAccount();
    const log = recordingLog();
    const result = await check(seed, { log, alerts: recordingTopic(1).publisher, policy: 'notify' });
    const [nodegroup] = result.report.nodegroups;
    expect(nodegroup?.actions).toEqual([
      expect.objectContaining({
        type: 'notify',
        status: 'failed',
        alertKind: 'problem',
        reasonCode: 'CALL_FAILED',
        error: 'Error: sns:Publish failed: InternalError',
      }),
    ]);
    expect(result.errors.map((e) => e.message)).toEqual(['Error: sns:Publish failed: InternalError']);
    expect(log.entries.filter((e) => e.level === 'error')).toEqual([
      {
        level: 'error',
        message: expect.stringMatching(/\w/),
        extra: {
          ...keys,
          alertKind: 'problem',
          error: 'Error: sns:Publish failed: InternalError',
          instances: 1,
        },
      },
    ]);
  });

  it('dates the report to the second', async () => {
    const seed = seedAccount();
    seed.account.clock.advance(1234);
    const { report } = await check(seed, { log: recordingLog(), policy: 'notify' });
    expect(report.checkedAt).toBe('2026-11-26T10:00:01Z');
  });
});
