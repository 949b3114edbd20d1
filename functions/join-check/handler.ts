import { SQSClient } from '@aws-sdk/client-sqs';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { Context, SQSBatchResponse, SQSRecord } from 'aws-lambda';
import { awsCall } from '../aws/awsCall.js';
import { REQUEUES_ATTRIBUTE, requeuesOf, SqsRequeuer } from '../aws/SqsRequeuer.js';
import { parseConfig, remediationSettings } from '../config.js';
import type { CheckPorts } from '../core/model/check.js';
import { UsageError } from '../core/model/errors.js';
import { createPorts } from '../createPorts.js';
import { log, logger } from '../logger.js';
import { Memo } from '../Memo.js';
import { publishCheckMetrics } from '../metrics/emitMetrics.js';
import { type IncomingEvent, type ProcessOutcome, processEvents } from './processEvents.js';

/** Parsed once at cold start: a bad value fails the init with a message naming the variable. */
const config = parseConfig();

/** Which nodegroup owns each Auto Scaling group (EKS's tags on a group never change): kept per container. */
const groupOwners = new Map<string, { cluster: string; nodegroup: string }>();
let requeuer: SqsRequeuer | undefined;
/** The function's own account, known once per container (process): from its ARN, else from STS. */
const ownAccount = new Memo<Promise<string>>();

export interface DirectResult {
  checks: { cluster: string; nodegroup: string; findings: string[]; alerted: boolean; error?: string }[];
  skipped: ProcessOutcome['skipped'];
  failed: ProcessOutcome['failed'];
}

/**
 * Entry point. From the queue (the normal path) it returns a partial batch response: malformed
 * records and failed checks are reported, the rest of the batch is done; a record without a usable
 * messageId fails the whole batch (it throws). Invoked directly with an EventBridge event it returns
 * a summary, and throws when the event must be retried (a check or a lookup failed) so Lambda retries it.
 */
export async function handler(event: unknown, context?: Context): Promise<SQSBatchResponse | DirectResult> {
  let handled: Awaited<ReturnType<typeof handleEvent>>;
  try {
    handled = await handleEvent(event, context);
  } catch (error) {
    if (error instanceof UnusableBatchError) {
      for (const reason of error.reasons) log.error('SQS record without a usable messageId', { reason });
    }
    throw error;
  }
  const { response, outcome } = handled;
  // In Lambda only (`cli invoke` calls handleEvent): stdout there must hold the result alone.
  publishCheckMetrics(outcome.checks);
  const checksFailed = outcome.checks.filter(
    (c) => c.error && outcome.failed.some((f) => c.eventIds.includes(f.id)),
  );
  // Other failures to retry: the own account could not be read, the group tags could not be looked up.
  const otherFailures = outcome.failed.filter(
    (f) => !f.malformed && !checksFailed.some((c) => c.eventIds.includes(f.id)),
  );
  if (!isSqsEvent(event) && checksFailed.length + otherFailures.length > 0) {
    throw new Error(
      [
        ...checksFailed.map((c) => `${c.cluster}/${c.nodegroup}: ${c.error}`),
        ...otherFailures.map((f) => f.reason),
      ].join('; '),
    );
  }
  return response;
}

/** The handler's work, with the outcome behind its response: `cli invoke` turns that into an exit code. */
export async function handleEvent(
  event: unknown,
  context?: Context,
): Promise<{ response: SQSBatchResponse | DirectResult; outcome: ProcessOutcome }> {
  if (context) logger.addContext(context);
  const fromQueue = isSqsEvent(event);
  const incoming: IncomingEvent[] = fromQueue
    ? incomingRecords(event.Records)
    : [{ id: eventId(event), body: event }];
  const receivedAt = new Date();

  const outcome = await processEvents(
    incoming,
    {
      defaultPolicy: config.policy,
      joinWindowSeconds: config.joinWindowSeconds,
      remediation: remediationSettings(config),
      preflightPolicy: config.preflightPolicy,
      ...(config.clusters && { clusters: config.clusters }),
      // Only queued launches can be sent back to wait out the rest of a long join window.
      ...(fromQueue && { now: receivedAt }),
      receivedAt,
      ...(config.regions && { regions: config.regions }),
      ownAccount: (region) => ownAccountOf(context, region),
      groupOwners,
      deadline: deadlineOf(context),
    },
    invocationPorts(context?.awsRequestId),
  );
  if (fromQueue) await requeueNotDue(event, outcome);
  for (const f of outcome.failed) log.warn('record failed', { messageId: f.id, reason: f.reason });
  for (const s of outcome.skipped) log.info('record skipped', { messageId: s.id, reason: s.reason });

  if (fromQueue) {
    return {
      response: { batchItemFailures: outcome.failed.map((f) => ({ itemIdentifier: f.id })) },
      outcome,
    };
  }
  const response: DirectResult = {
    checks: outcome.checks.map(({ cluster, nodegroup, findings, alerted, error }) => ({
      cluster,
      nodegroup,
      findings,
      alerted,
      ...(error && { error }),
    })),
    skipped: outcome.skipped,
    failed: outcome.failed,
  };
  return { response, outcome };
}

/** Sends launches that are not yet due back to their queue; one that cannot be sent is a batch failure. */
async function requeueNotDue(event: SqsEnvelope, outcome: ProcessOutcome): Promise<void> {
  const records = new Map(
    (event.Records.filter(isObject) as unknown as SQSRecord[]).map((r) => [r.messageId, r]),
  );
  for (const { id, delaySeconds, requeues } of outcome.notDue) {
    const record = records.get(id);
    if (!record) continue;
    try {
      requeuer ??= new SqsRequeuer(new SQSClient({ maxAttempts: 6 }));
      await requeuer.requeue(record.eventSourceARN, record.body, delaySeconds, requeues);
      log.info('launch not yet past the join window: queued again', {
        messageId: id,
        delaySeconds,
        requeues,
      });
    } catch (error) {
      outcome.failed.push({ id, reason: (error as Error).message });
    }
  }
}

/**
 * The records of an SQS event, each checked as an envelope. One that is not an SQS message but has
 * a messageId is malformed (a batch item failure, kept for the dead-letter queue). One without a
 * usable messageId cannot be failed on its own: Lambda treats an empty, missing or unknown
 * itemIdentifier as a failure of the whole batch. So the whole batch is failed, explicitly and before
 * any AWS call: the handler throws, SQS delivers the batch again, and after maxReceiveCount its
 * messages go to the dead-letter queue.
 */
function incomingRecords(records: unknown[]): IncomingEvent[] {
  const incoming: IncomingEvent[] = [];
  const unusable: string[] = [];
  records.forEach((record, n) => {
    if (!isObject(record)) {
      unusable.push(`record ${n} is ${record === null ? 'null' : typeof record}, not an SQS message`);
      return;
    }
    const { messageId, eventSource, body } = record as Partial<Record<keyof SQSRecord, unknown>>;
    if (typeof messageId !== 'string' || messageId === '') {
      unusable.push(`record ${n} has no messageId`);
      return;
    }
    if (eventSource !== 'aws:sqs') {
      const malformed = `record ${messageId} is not an SQS message (eventSource ${JSON.stringify(eventSource ?? null)}, not "aws:sqs")`;
      incoming.push({ id: messageId, body, malformed });
      return;
    }
    const requeues = requeuesOf(record as Pick<SQSRecord, 'messageAttributes'>);
    if (requeues === undefined) {
      const malformed = `record ${messageId}: the ${REQUEUES_ATTRIBUTE} message attribute is not a whole number`;
      incoming.push({ id: messageId, body, malformed });
      return;
    }
    incoming.push({ id: messageId, body, requeues });
  });
  if (unusable.length > 0) throw new UnusableBatchError(unusable);
  return incoming;
}

/**
 * An SQS batch with a record that cannot be named in a partial batch response: the whole batch fails.
 * Bad input, so `cli invoke` exits 2 with this one line; in Lambda the handler logs each reason.
 */
export class UnusableBatchError extends UsageError {
  readonly reasons: string[];
  constructor(reasons: string[]) {
    super(
      `SQS batch failed as a whole: ${reasons.join('; ')} (a record without its messageId cannot be failed alone)`,
    );
    this.name = 'UnusableBatchError';
    this.reasons = reasons;
  }
}

/**
 * The account this function runs in, read once per container: in Lambda from the function's ARN
 * (arn:aws:lambda:REGION:ACCOUNT:function:NAME), without any call; elsewhere (cli invoke, tests) from
 * STS GetCallerIdentity. A failed read is not kept, so the next invocation asks again.
 */
function ownAccountOf(context: Context | undefined, region: string | undefined): Promise<string> {
  return ownAccount.get('', () => {
    const fromArn = context?.invokedFunctionArn?.split(':')[4];
    return fromArn && /^\d{12}$/.test(fromArn) ? Promise.resolve(fromArn) : callerAccount(region);
  });
}

async function callerAccount(region: string | undefined): Promise<string> {
  const sts = new STSClient({ maxAttempts: 6, ...(region && { region }) });
  try {
    return await awsCall('sts:GetCallerIdentity', async () => {
      const { Account } = await sts.send(new GetCallerIdentityCommand({}));
      if (!Account) throw new Error('the answer names no account');
      return Account;
    });
  } finally {
    sts.destroy();
  }
}

/**
 * Ports for one invocation, per region: the account reader and the membership session cache reads
 * for this invocation only; the Kubernetes reader behind the session keeps only its tokens across
 * invocations.
 */
function invocationPorts(runId: string | undefined): (region: string | undefined) => CheckPorts {
  const byRegion = new Memo<CheckPorts>();
  return (region) =>
    byRegion.get(region ?? '', () => createPorts(config, region, { log, ...(runId && { runId }) }));
}

/** Writes and waits (scale-cycle) must end before Lambda stops the invocation: keep a margin. */
const DEADLINE_MARGIN_MS = 20_000;

function deadlineOf(context: Context | undefined): Date | undefined {
  if (!context?.getRemainingTimeInMillis) return undefined;
  return new Date(Date.now() + Math.max(0, context.getRemainingTimeInMillis() - DEADLINE_MARGIN_MS));
}

/** An event with a Records array: always the queue's, whatever its records hold. */
type SqsEnvelope = { Records: unknown[] };

function isSqsEvent(event: unknown): event is SqsEnvelope {
  return isObject(event) && Array.isArray(event.Records);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function eventId(event: unknown): string {
  const id = (event as { id?: unknown } | null)?.id;
  return typeof id === 'string' ? id : 'direct-invocation';
}
