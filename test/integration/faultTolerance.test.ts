import { describe, expect, it } from 'vitest';
import { alertKindOf, readAlerts } from '../support/alertQueue.js';
import { recordedRequests } from '../support/awsWrites.js';
import { EVERY_TIME } from '../support/faultProxy.js';
import { REPEATED_CONTINUE, type StubMode, type StubModeOptions } from '../support/kubernetesStub.js';
import {
  endedWith,
  FIXED,
  FIXED_WRITES,
  findingCodes,
  nodegroupOf,
  SCALE_CYCLE,
  statusOf,
  useRemediationHarness,
} from '../support/remediationHarness.js';

/**
 * Issue 9, "How it is shown": the seed's remediation (`check --nodegroup new_nodegroup_2 --policy
 * remediate`, join window 0) run by the real CLI while the fault proxy breaks its AWS calls or the
 * Kubernetes stub misbehaves. AWS faults the SDK's retries can absorb still end in one route, one
 * replacement and exit 0; a node list that cannot be read, however it fails, never leads to an
 * instance being terminated.
 */
const h = useRemediationHarness();

/** The reader's deadline per request in the CLI (KubernetesNodeReader's default). */
const READER_TIMEOUT_MS = 5000;
/**
 * Per test: a run takes 3-10 s, reading the alerts up to 3 s more, and the first test of the file
 * also waits for moto to load each service on first use.
 */
const RUN_TIMEOUT_MS = 60_000;

const unjoined = () => h.seed.nodegroups.new.instanceIds[0] ?? '';

/**
 * Every write attempt that reached moto, retries included (the state table left out). Unlike
 * `h.accountWrites()`, which keeps only first attempts, this counts a write whose first attempt the
 * proxy refused and whose retry landed.
 */
async function writesReachingAws(): Promise<string[]> {
  return (await recordedRequests(h.moto.endpoint, { includeRetries: true }))
    .filter((r) => !/^(Describe|List|Get|Lookup)/.test(r.operation) && r.service !== 'dynamodb')
    .map((r) => r.action);
}

/** How often each of FIXED_WRITES reached AWS, retries included: routes, terminations, publishes. */
async function fixedWriteCounts(): Promise<number[]> {
  const writes = await writesReachingAws();
  return FIXED_WRITES.map((write) => writes.filter((w) => w === write).length);
}

/**
 * The alerts that reached the topic's SQS subscriber. Waits for up to `atLeast + 1` (so a duplicate
 * that is on its way is seen) but no longer than `waitMs`.
 */
const alertsReceived = (atLeast = 1, waitMs = 3000) =>
  readAlerts(h.moto.endpoint, h.seed.queueUrl, { min: atLeast + 1, waitMs });

/** The seed fixed once: the route to its NAT gateway, the unjoined instance gone, one alert. */
async function expectFixedOnce(): Promise<void> {
  expect(await h.defaultRoutes()).toEqual([
    expect.objectContaining({ NatGatewayId: h.seed.natGatewayId, State: 'active' }),
  ]);
  expect(['shutting-down', 'terminated']).toContain(await h.instanceState(unjoined()));
}

describe('AWS faults the SDK absorbs: the seed is fixed once, exit 0', { timeout: RUN_TIMEOUT_MS }, () => {
  it('every third AWS call answered 503 ServiceUnavailable before it reaches AWS: one route, one replacement, one alert', async () => {
    h.proxy.addRule({
      operation: '*',
      kind: 'error',
      status: 503,
      code: 'ServiceUnavailable',
      message: 'Service is unavailable. Please try again.',
      every: 3,
      times: EVERY_TIME,
    });

    const run = await h.remediate();

    const nodegroup = endedWith(run, 0, FIXED);
    expect(findingCodes(nodegroup)).toEqual(['NO_DEFAULT_ROUTE', 'NODES_NOT_JOINED']);
    // Nothing needed a read-back: every refused attempt was retried and the retry answered.
    expect(nodegroup.actions.map((a) => a.reasonCode)).toEqual([undefined, undefined, undefined]);
    expect(nodegroup.instances).toEqual([expect.objectContaining({ instanceId: unjoined(), joined: false })]);
    await expectFixedOnce();

    // Exactly every third request the tool sent, whatever its service, was refused…
    const faults = h.proxy.requests().map((r) => r.fault);
    expect(faults.length).toBeGreaterThanOrEqual(30);
    expect(faults).toEqual(faults.map((_, i) => (i % 3 === 2 ? 'error' : undefined)));
    const refused = new Set(
      h.proxy
        .requests()
        .filter((r) => r.fault)
        .map((r) => r.operation.split(':')[0]),
    );
    expect(refused.size).toBeGreaterThanOrEqual(3);
    // …and as a 503 is answered before AWS, each write reached AWS once.
    expect(await writesReachingAws()).toEqual(FIXED_WRITES);
    const alerts = await alertsReceived();
    expect(alerts.map(alertKindOf)).toEqual(['remediated']);
  });

  it("each write's first answer lost (CreateRoute, TerminateInstanceInAutoScalingGroup, Publish): one route, one replacement, exit 0, and the retried Publish delivers the alert twice", async () => {
    for (const operation of FIXED_WRITES) h.proxy.addRule({ operation, kind: 'lose-response' });

    const run = await h.remediate();

    const nodegroup = endedWith(run, 0, FIXED);
    // CreateRoute's retry met RouteAlreadyExists; the termination's retries met moto's own 500 for an
    // instance it no longer manages, and a fresh read showed it leaving.
    expect(nodegroup.actions.map((a) => a.reasonCode)).toEqual([
      'ALREADY_THERE',
      'VERIFIED_AFTER_ERROR',
      undefined,
    ]);
    await expectFixedOnce();
    expect(h.faultsOf('ec2:CreateRoute')).toEqual(['lose-response', undefined]);
    expect(h.faultsOf('autoscaling:TerminateInstanceInAutoScalingGroup')).toEqual([
      'lose-response',
      ...Array<undefined>(5).fill(undefined),
    ]);
    expect(h.faultsOf('sns:Publish')).toEqual(['lose-response', undefined]);
    expect(await fixedWriteCounts()).toEqual([2, 6, 2]);

    // Publish is not idempotent: the first attempt was published, its answer lost, and the SDK's
    // retry published again. The subscriber gets the same alert twice, under two SNS message ids;
    // the report names the one whose answer arrived.
    const alerts = await alertsReceived(2);
    expect(alerts).toHaveLength(2);
    expect(alerts.map(alertKindOf)).toEqual(['remediated', 'remediated']);
    expect(alerts[1]?.message).toBe(alerts[0]?.message);
    expect(alerts[1]?.subject).toBe(alerts[0]?.subject);
    expect(new Set(alerts.map((a) => a.messageId)).size).toBe(2);
    // ...with one alertId, by which a subscriber drops the repeat.
    expect(alerts[0]?.messageAttributes.alertId).toEqual({
      type: 'String',
      value: expect.stringMatching(/^[0-9a-f]{32}$/),
    });
    expect(alerts[1]?.messageAttributes.alertId).toEqual(alerts[0]?.messageAttributes.alertId);
    const notify = nodegroup.actions[2];
    expect(notify?.type).toBe('notify');
    expect(alerts.map((a) => a.messageId)).toContain(notify?.type === 'notify' && notify.messageId);
  });

  it("each remediation write's first answer lost (CreateRoute, TerminateInstanceInAutoScalingGroup): one route, one replacement, one alert, exit 0", async () => {
    for (const operation of ['ec2:CreateRoute', 'autoscaling:TerminateInstanceInAutoScalingGroup']) {
      h.proxy.addRule({ operation, kind: 'lose-response' });
    }

    const run = await h.remediate();

    endedWith(run, 0, FIXED);
    await expectFixedOnce();
    expect(await alertsReceived(1)).toHaveLength(1);
  });

  it('every attempt of every write loses its answer: the route and the replacement are read back as done, the alert fails (exit 3) after reaching the subscriber six times', async () => {
    h.proxy.addRule({
      operation: ['ec2:CreateRoute', 'autoscaling:TerminateInstanceInAutoScalingGroup', 'sns:*'],
      kind: 'lose-response',
      times: EVERY_TIME,
    });

    const run = await h.remediate();

    expect(run.code).toBe(3);
    expect(run.stderr).toBe(
      'eks-join-remediator: sns:Publish failed: InternalErrorException: We encountered an internal error. Please try again.\n',
    );
    const nodegroup = nodegroupOf(run.stdout);
    expect(statusOf(nodegroup.actions)).toEqual([
      'create-route:done',
      'replace-instances:done',
      'notify:failed',
    ]);
    expect(nodegroup.actions.map((a) => a.reasonCode)).toEqual([
      'VERIFIED_AFTER_ERROR',
      'VERIFIED_AFTER_ERROR',
      'CALL_FAILED',
    ]);
    await expectFixedOnce();
    expect(await fixedWriteCounts()).toEqual([6, 6, 6]);
    const alerts = await alertsReceived(6);
    expect(alerts).toHaveLength(6);
    expect(new Set(alerts.map((a) => a.message)).size).toBe(1);
  });

  it("the lock's PutItem answer lost: the SDK's retry finds the run's own lock, which must not stop the run (the seed is fixed, exit 0)", async () => {
    // The first state-table write of a run is the nodegroup's lock (a conditional PutItem). Fails
    // today: DynamoDbStateStore.acquireLock's condition (no lock, or an expired one) refuses the
    // retry because of the lock its own first attempt wrote, so the run reports LOCKED, checks
    // nothing, exits 0, and every run after it is LOCKED too until the lock expires.
    h.proxy.addRule({ operation: 'dynamodb:PutItem', kind: 'lose-response' });

    const run = await h.remediate();

    expect(h.faultsOf('dynamodb:PutItem').slice(0, 2)).toEqual(['lose-response', undefined]);
    endedWith(run, 0, FIXED);
    await expectFixedOnce();
    expect((await alertsReceived()).map(alertKindOf)).toEqual(['remediated']);
  });
});

describe('a node list that cannot be read never leads to recycling', { timeout: RUN_TIMEOUT_MS }, () => {
  /**
   * Runs the remediation with the stub in `mode`, and checks what the tool does when membership is
   * unknown: the finding says why (`detail`); the instance is judged neither joined nor unjoined, so
   * no cause is looked for (no network or identity read), nothing is planned or written, and a
   * warning alert goes out; exit 3 (the Kubernetes API could not be read). Returns the stub's
   * requests during the run and how long the run took.
   */
  async function remediateWithNodesUnread(
    detail: string,
    mode: StubMode,
    options?: StubModeOptions,
    env: Record<string, string> = {},
  ) {
    const sinceStubRequest = h.stub.requests.length;
    h.stub.setMode(mode, options);
    const started = Date.now();
    const run = await h.remediate([], env);
    const elapsed = Date.now() - started;

    const nodegroup = endedWith(run, 3, ['notify:done']);
    expect(findingCodes(nodegroup)).toEqual(['CLUSTER_API_UNREACHABLE']);
    expect(nodegroup.findings[0]?.message).toBe(
      `The Kubernetes API of eks-workshop at ${h.stub.url} could not be reached (${detail}); membership was not judged.`,
    );
    expect(nodegroup.instances).toEqual([expect.objectContaining({ instanceId: unjoined(), joined: null })]);
    expect(nodegroup.alertKind).toBe('problem');

    for (const write of [
      'autoscaling:TerminateInstanceInAutoScalingGroup',
      'eks:UpdateNodegroupConfig',
      'ec2:CreateRoute',
      'ec2:DescribeRouteTables',
    ]) {
      expect(h.faultsOf(write), write).toEqual([]);
    }
    expect(h.stub.requests.slice(sinceStubRequest).filter((r) => r.path !== '/api/v1/nodes')).toEqual([]);
    expect(await writesReachingAws()).toEqual(['sns:Publish']);
    expect(await h.instanceState(unjoined())).toBe('running');
    expect(await h.defaultRoutes()).toEqual([]);

    const alerts = await alertsReceived();
    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.messageAttributes.severity?.value).toBe('warning');
    expect(alerts[0]?.subject).toContain('CLUSTER_API_UNREACHABLE');
    return { stubRequests: h.stub.requests.slice(sinceStubRequest), elapsed };
  }

  it.each([
    ['replacing instances', {}],
    ['scale-cycle', SCALE_CYCLE],
  ])(
    'the API server answers 500 to the node list (%s): CLUSTER_API_UNREACHABLE with the HTTP status, nothing terminated',
    async (_strategy, env) => {
      const { stubRequests } = await remediateWithNodesUnread(
        'HTTP 500: Internal error occurred: etcdserver: request timed out',
        'error',
        {},
        env,
      );
      // One request: the labelled list failed, so the whole list was never asked for.
      expect(stubRequests).toHaveLength(1);
    },
  );

  it('the API server repeats its continue token: the list ends after two pages, CLUSTER_API_UNREACHABLE says so, nothing terminated', async () => {
    const { stubRequests } = await remediateWithNodesUnread(
      'the API server repeated its continue token after 2 pages of the node list',
      'repeat-continue',
    );
    expect(stubRequests.map((r) => r.query.continue)).toEqual([undefined, REPEATED_CONTINUE]);
  });

  it('the node list body stalls past the 5 s deadline: ETIMEDOUT, the run does not wait for the rest, nothing terminated', async () => {
    // If the reader waited for the rest of the body, the run would take 25 s or more.
    const { elapsed } = await remediateWithNodesUnread(
      `ETIMEDOUT: no response within ${READER_TIMEOUT_MS} ms`,
      'slow-body',
      { bodyDelayMs: 25_000 },
    );
    expect(elapsed).toBeGreaterThanOrEqual(READER_TIMEOUT_MS);
    expect(elapsed).toBeLessThan(20_000);
  });

  it('a node list of 17 MiB: the reader stops at 16 MiB, CLUSTER_API_UNREACHABLE says so, nothing terminated', async () => {
    await remediateWithNodesUnread(
      'the response exceeded 16777216 bytes (maxResponseBytes): stopped reading it',
      'oversized',
    );
  });

  it('the node list fails only on the fresh re-read just before recycling: the route is written, the replacement skipped MEMBERSHIP_UNKNOWN', async () => {
    const mark = h.stub.nodeListRequests().length;
    // The inspection's two reads (labelled list, whole list) succeed; the re-read fails.
    h.stub.setMode('error', { afterNodeLists: 2 });

    const run = await h.remediate();

    const nodegroup = endedWith(run, 1, ['create-route:done', 'replace-instances:skipped', 'notify:done']);
    expect(findingCodes(nodegroup)).toEqual(['NO_DEFAULT_ROUTE', 'NODES_NOT_JOINED']);
    expect(nodegroup.actions[1]).toMatchObject({
      reasonCode: 'MEMBERSHIP_UNKNOWN',
      instanceIds: [unjoined()],
    });
    // Labelled and whole list for the inspection, then the re-read's labelled list, refused.
    expect(
      h.stub
        .nodeListRequests()
        .slice(mark)
        .map((r) => r.query.labelSelector !== undefined),
    ).toEqual([true, false, true]);
    expect(h.faultsOf('autoscaling:TerminateInstanceInAutoScalingGroup')).toEqual([]);
    expect(await h.instanceState(unjoined())).toBe('running');
    expect(await writesReachingAws()).toEqual(['ec2:CreateRoute', 'sns:Publish']);
    expect((await alertsReceived()).map(alertKindOf)).toEqual(['remediated']);
  });
});
