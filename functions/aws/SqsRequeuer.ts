import { GetQueueUrlCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { AwsCallError } from '../core/errors.js';

/**
 * Sends a record back to its queue with a delay: how a join window longer than SQS's 15-minute
 * delivery delay is waited out. The queue URL is looked up once per queue and container.
 */
export class SqsRequeuer {
  readonly #client: SQSClient;
  readonly #urls = new Map<string, Promise<string>>();

  constructor(client: SQSClient) {
    this.#client = client;
  }

  async requeue(queueArn: string, body: string, delaySeconds: number): Promise<void> {
    const queueUrl = await this.#urlOf(queueArn);
    try {
      await this.#client.send(
        new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body, DelaySeconds: delaySeconds }),
      );
    } catch (error) {
      throw new AwsCallError('sqs:SendMessage', error);
    }
  }

  #urlOf(queueArn: string): Promise<string> {
    let url = this.#urls.get(queueArn);
    if (!url) {
      url = this.#lookUp(queueArn);
      this.#urls.set(queueArn, url);
      url.catch(() => this.#urls.delete(queueArn));
    }
    return url;
  }

  async #lookUp(queueArn: string): Promise<string> {
    // arn:aws:sqs:REGION:ACCOUNT:NAME
    const [, , , , account, name] = queueArn.split(':');
    if (!account || !name)
      throw new AwsCallError('sqs:GetQueueUrl', new Error(`not a queue ARN: ${queueArn}`));
    try {
      const { QueueUrl } = await this.#client.send(
        new GetQueueUrlCommand({ QueueName: name, QueueOwnerAWSAccountId: account }),
      );
      if (!QueueUrl) throw new Error(`no URL for ${queueArn}`);
      return QueueUrl;
    } catch (error) {
      throw new AwsCallError('sqs:GetQueueUrl', error);
    }
  }
}
