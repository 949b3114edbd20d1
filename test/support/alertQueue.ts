/**
 * Reads the SNS notifications that reached the seed's SQS queue (the topic's subscriber), so a
 * test can assert what the tool alerted with. Whatever it reads, it deletes.
 */
import {
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { NodegroupReport } from '../../functions/core/model/types.js';
import { harnessClientConfig } from './motoServer.js';

export interface AlertAttribute {
  /** SNS data type: String, Number, String.Array, Binary */
  type: string;
  value: string;
}

export interface ReceivedAlert {
  messageId: string;
  topicArn: string;
  subject: string | undefined;
  /**
   * The SNS Message string. For a MessageStructure 'json' publish this is the value of the `sqs`
   * key (or `default` when there is none), as SNS delivers it to an SQS subscriber.
   */
  message: string;
  /** `message` parsed as JSON when it is JSON, else undefined. */
  messageJson: unknown;
  messageAttributes: Record<string, AlertAttribute>;
  timestamp: string | undefined;
  /** The SNS envelope as it arrived on the queue. */
  envelope: Record<string, unknown>;
}

export interface ReadAlertsOptions {
  /** Upper bound on the wait for the first `min` alerts, in ms. Default 5 000. */
  waitMs?: number;
  /** Return as soon as this many alerts have arrived (and nothing more is immediately there). Default 1. */
  min?: number;
}

const MAX_LONG_POLL_SECONDS = 20;

/** The alertKind of the (one) nodegroup an alert's JSON report is about; undefined for a problem. */
export const alertKindOf = (alert: ReceivedAlert | undefined) =>
  (JSON.parse(alert?.message ?? '{}') as { nodegroups?: NodegroupReport[] }).nodegroups?.[0]?.alertKind;

/**
 * Waits up to `waitMs` for at least `min` notifications, then drains what else is on the queue
 * right away. Returns [] when nothing arrives in time: with a short waitMs that is how a test
 * asserts "no alert was sent".
 */
export async function readAlerts(
  endpoint: string,
  queueUrl: string,
  options: ReadAlertsOptions = {},
): Promise<ReceivedAlert[]> {
  const waitMs = options.waitMs ?? 5_000;
  const min = options.min ?? 1;
  const sqs = new SQSClient(harnessClientConfig(endpoint));
  const alerts: ReceivedAlert[] = [];
  const deadline = Date.now() + waitMs;
  try {
    for (;;) {
      const remainingMs = deadline - Date.now();
      const enough = alerts.length >= min;
      // Long-poll while waiting for the first alerts; once there are enough, only take what is
      // already there.
      const waitSeconds = enough
        ? 0
        : Math.max(0, Math.min(MAX_LONG_POLL_SECONDS, Math.floor(remainingMs / 1000)));
      const response = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: waitSeconds,
          VisibilityTimeout: 30,
          MessageAttributeNames: ['All'],
        }),
      );
      const messages = response.Messages ?? [];
      if (messages.length > 0) {
        alerts.push(...messages.map(parseNotification));
        await deleteAll(sqs, queueUrl, messages);
        continue;
      }
      if (enough || Date.now() >= deadline) break;
      // Sub-second remainder: poll briefly instead of a 0 s long poll in a tight loop.
      if (waitSeconds === 0) await sleep(Math.min(100, Math.max(0, deadline - Date.now())));
    }
  } finally {
    sqs.destroy();
  }
  return alerts;
}

function parseNotification(message: Message): ReceivedAlert {
  const body = message.Body ?? '';
  let envelope: Record<string, unknown>;
  try {
    envelope = JSON.parse(body) as Record<string, unknown>;
  } catch {
    throw new Error(
      `queue message is not an SNS notification envelope (raw delivery?): ${body.slice(0, 200)}`,
    );
  }
  if (envelope.Type !== 'Notification' || typeof envelope.Message !== 'string') {
    throw new Error(`queue message is not an SNS notification: ${body.slice(0, 200)}`);
  }
  const text = envelope.Message;
  let messageJson: unknown;
  try {
    messageJson = JSON.parse(text);
  } catch {
    messageJson = undefined;
  }
  const attributes: Record<string, AlertAttribute> = {};
  const rawAttributes = (envelope.MessageAttributes ?? {}) as Record<
    string,
    { Type?: string; Value?: unknown }
  >;
  for (const [name, attribute] of Object.entries(rawAttributes)) {
    attributes[name] = { type: String(attribute.Type ?? ''), value: String(attribute.Value ?? '') };
  }
  return {
    messageId: String(envelope.MessageId ?? message.MessageId ?? ''),
    topicArn: String(envelope.TopicArn ?? ''),
    subject: typeof envelope.Subject === 'string' ? envelope.Subject : undefined,
    message: text,
    messageJson,
    messageAttributes: attributes,
    timestamp: typeof envelope.Timestamp === 'string' ? envelope.Timestamp : undefined,
    envelope,
  };
}

async function deleteAll(sqs: SQSClient, queueUrl: string, messages: Message[]): Promise<void> {
  const entries = messages
    .filter((message) => message.ReceiptHandle)
    .map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle as string }));
  if (entries.length === 0) return;
  const result = await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
  if (result.Failed && result.Failed.length > 0) {
    throw new Error(
      `could not delete ${result.Failed.length} alert message(s): ${JSON.stringify(result.Failed)}`,
    );
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
