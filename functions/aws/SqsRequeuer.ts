import { GetQueueUrlCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { Memo } from '../Memo.js';
import { awsCall } from './awsCall.js';

/** The message attribute that counts how often one launch was sent back (a Number, as a string). */
export const REQUEUES_ATTRIBUTE = 'requeues';

/**
 * Sends a record back to its queue with a delay: how a join window longer than SQS's 15-minute
 * delivery delay is waited out. Each new message carries its count of re-queues in the `requeues`
 * attribute, so the handler can cap them. The queue URL is looked up once per queue and container.
 */
export class SqsRequeuer {
  readonly #client: SQSClient;
  readonly #urls = new Memo<Promise<string>>();

  constructor(client: SQSClient) {
    this.#client = client;
  }

  /** `requeues`: the count the new message carries (1 for the first time a launch is sent back). */
  async requeue(queueArn: string, body: string, delaySeconds: number, requeues: number): Promise<void> {
    const queueUrl = await this.#urls.get(queueArn, () => this.#lookUp(queueArn));
    await awsCall('sqs:SendMessage', () =>
      this.#client.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: body,
          DelaySeconds: delaySeconds,
          MessageAttributes: {
            [REQUEUES_ATTRIBUTE]: { DataType: 'Number', StringValue: String(requeues) },
          },
        }),
      ),
    );
  }

  #lookUp(queueArn: string): Promise<string> {
    return awsCall('sqs:GetQueueUrl', async () => {
      // arn:aws:sqs:REGION:ACCOUNT:NAME
      const [, , , , account, name] = queueArn.split(':');
      if (!account || !name) throw new Error(`not a queue ARN: ${queueArn}`);
      const { QueueUrl } = await this.#client.send(
        new GetQueueUrlCommand({ QueueName: name, QueueOwnerAWSAccountId: account }),
      );
      if (!QueueUrl) throw new Error(`no URL for ${queueArn}`);
      return QueueUrl;
    });
  }
}

/**
 * The `requeues` count of an incoming record: 0 when absent, undefined when the attribute is there
 * but not a whole number (the record is then malformed).
 */
export function requeuesOf(record: Pick<SQSRecord, 'messageAttributes'>): number | undefined {
  const attribute = (record.messageAttributes as SQSRecord['messageAttributes'] | undefined)?.[
    REQUEUES_ATTRIBUTE
  ];
  if (attribute === undefined) return 0;
  const value = attribute?.stringValue;
  return typeof value === 'string' && /^\d{1,6}$/.test(value) ? Number(value) : undefined;
}
