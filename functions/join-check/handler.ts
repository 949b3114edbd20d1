import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { SnsAlertPublisher } from '../alerts/SnsAlertPublisher.js';
import { AwsAccountReader } from '../aws/AwsAccountReader.js';
import { AwsIdentityReader } from '../aws/AwsIdentityReader.js';
import { AwsRemediationWriter } from '../aws/AwsRemediationWriter.js';
import { awsClients } from '../aws/clients.js';
import { SqsRequeuer } from '../aws/SqsRequeuer.js';
import { parseConfig, remediationSettings } from '../config.js';
import type { CheckPorts } from '../core/runCheck.js';
import { KubernetesNodeReader } from '../kubernetes/KubernetesNodeReader.js';
import { log, logger } from '../logger.js';
import { stateStore } from '../state/stateStore.js';
import { type IncomingEvent, type ProcessOutcome, processEvents } from './processEvents.js';

/** Parsed once at cold start: a bad value fails the init with a message naming the variable. */
const config = parseConfig();

/** Per container and region: Kubernetes tokens and SDK connections are reused across invocations. */
const membershipReaders = new Map<string, KubernetesNodeReader>();
const publishers = new Map<string, SnsAlertPublisher>();
let requeuer: SqsRequeuer | undefined;

export interface DirectResult {
  checks: { cluster: string; nodegroup: string; findings: string[]; alerted: boolean; error?: string }[];
  skipped: ProcessOutcome['skipped'];
  failed: ProcessOutcome['failed'];
}

/**
 * Entry point. From the queue (the normal path) it returns a partial batch response: malformed
 * records and failed checks are reported, the rest of the batch is done. Invoked directly with an
 * EventBridge event it returns a summary, and throws when the check failed so Lambda retries it.
 */
export async function handler(event: unknown, context?: Context): Promise<SQSBatchResponse | DirectResult> {
  const { response, outcome } = await handleEvent(event, context);
  const checksFailed = outcome.checks.filter(
    (c) => c.error && outcome.failed.some((f) => c.eventIds.includes(f.id)),
  );
  if (!isSqsEvent(event) && checksFailed.length > 0) {
    throw new Error(checksFailed.map((c) => `${c.cluster}/${c.nodegroup}: ${c.error}`).join('; '));
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
    ? event.Records.map((r) => ({ id: r.messageId, body: r.body }))
    : [{ id: eventId(event), body: event }];

  const outcome = await processEvents(
    incoming,
    {
      defaultPolicy: config.policy,
      joinWindowSeconds: config.joinWindowSeconds,
      remediation: remediationSettings(config),
      preflightPolicy: config.preflightPolicy,
      ...(config.clusters && { clusters: config.clusters }),
      // Only queued launches can be sent back to wait out the rest of a long join window.
      ...(fromQueue && { now: new Date() }),
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
async function requeueNotDue(event: SQSEvent, outcome: ProcessOutcome): Promise<void> {
  const records = new Map(event.Records.map((r) => [r.messageId, r]));
  for (const { id, delaySeconds } of outcome.notDue) {
    const record = records.get(id);
    if (!record) continue;
    try {
      requeuer ??= new SqsRequeuer(new SQSClient({ maxAttempts: 6 }));
      await requeuer.requeue(record.eventSourceARN, record.body, delaySeconds);
      log.info('launch not yet past the join window: queued again', { messageId: id, delaySeconds });
    } catch (error) {
      outcome.failed.push({ id, reason: (error as Error).message });
    }
  }
}

/**
 * Ports for one invocation: the account reader and the membership session cache reads for this
 * invocation only; the Kubernetes reader behind the session keeps only its tokens across invocations.
 */
function invocationPorts(runId: string | undefined): (region: string | undefined) => CheckPorts {
  const byRegion = new Map<string, CheckPorts>();
  return (region) => {
    const key = region ?? '';
    let ports = byRegion.get(key);
    if (!ports) {
      const clients = awsClients(region);
      const reader = membershipReader(key, clients.eks.config.credentials);
      ports = {
        account: new AwsAccountReader(clients),
        writer: new AwsRemediationWriter(clients),
        state: stateStore(config, clients),
        ...(runId && { runId }),
        // A session per invocation: each cluster's whole node list is read once here, never reused later.
        membership: reader.session(),
        identity: new AwsIdentityReader({ clients, configMaps: reader, log }),
        ...(config.alertTopicArn && { alerts: publisher(key, clients.sns) }),
        clock: { now: () => new Date() },
        log,
      };
      byRegion.set(key, ports);
    }
    return ports;
  };
}

function membershipReader(
  key: string,
  credentials: ConstructorParameters<typeof KubernetesNodeReader>[0]['credentials'],
): KubernetesNodeReader {
  let reader = membershipReaders.get(key);
  if (!reader) {
    reader = new KubernetesNodeReader({ credentials, apiUrlOverride: config.kubernetesApiUrl, log });
    membershipReaders.set(key, reader);
  }
  return reader;
}

function publisher(key: string, client: ReturnType<typeof awsClients>['sns']): SnsAlertPublisher {
  let found = publishers.get(key);
  if (!found) {
    found = new SnsAlertPublisher({ client, topicArn: config.alertTopicArn as string, log });
    publishers.set(key, found);
  }
  return found;
}

/** Writes and waits (scale-cycle) must end before Lambda stops the invocation: keep a margin. */
const DEADLINE_MARGIN_MS = 20_000;

function deadlineOf(context: Context | undefined): Date | undefined {
  if (!context?.getRemainingTimeInMillis) return undefined;
  return new Date(Date.now() + Math.max(0, context.getRemainingTimeInMillis() - DEADLINE_MARGIN_MS));
}

function isSqsEvent(event: unknown): event is SQSEvent {
  const records = (event as { Records?: unknown } | null)?.Records;
  return (
    Array.isArray(records) && records.every((r) => (r as { eventSource?: string })?.eventSource === 'aws:sqs')
  );
}

function eventId(event: unknown): string {
  const id = (event as { id?: unknown } | null)?.id;
  return typeof id === 'string' ? id : 'direct-invocation';
}
