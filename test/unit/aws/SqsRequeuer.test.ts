import { GetQueueUrlCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { REQUEUES_ATTRIBUTE, requeuesOf, SqsRequeuer } from '../../../functions/aws/SqsRequeuer.js';
import { AwsCallError } from '../../../functions/core/model/errors.js';
import { namedError } from '../../support/sdkErrors.js';

const sqs = mockClient(SQSClient);

const QUEUE_ARN = 'arn:aws:sqs:us-west-2:123456789012:eks-join-remediator-events';
const QUEUE_URL = 'https://sqs.us-west-2.amazonaws.com/123456789012/eks-join-remediator-events';
const BODY = '{"source":"aws.autoscaling"}';

beforeEach(() => {
  sqs.reset();
  sqs.on(GetQueueUrlCommand).resolves({ QueueUrl: QUEUE_URL });
  sqs.on(SendMessageCommand).resolves({ MessageId: 'again' });
});

describe('SqsRequeuer', () => {
  it('sends the body back with the delay and the count of re-queues as a Number attribute', async () => {
    await new SqsRequeuer(new SQSClient({ region: 'us-west-2' })).requeue(QUEUE_ARN, BODY, 900, 3);

    expect(sqs).toHaveReceivedCommandExactlyOnceWith(GetQueueUrlCommand, {
      QueueName: 'eks-join-remediator-events',
      QueueOwnerAWSAccountId: '123456789012',
    });
    expect(sqs).toHaveReceivedCommandExactlyOnceWith(SendMessageCommand, {
      QueueUrl: QUEUE_URL,
      MessageBody: BODY,
      DelaySeconds: 900,
      MessageAttributes: { requeues: { DataType: 'Number', StringValue: '3' } },
    });
  });

  it('looks the queue URL up once per queue', async () => {
    const requeuer = new SqsRequeuer(new SQSClient({ region: 'us-west-2' }));

    await requeuer.requeue(QUEUE_ARN, BODY, 900, 1);
    await requeuer.requeue(QUEUE_ARN, BODY, 600, 2);

    expect(sqs).toHaveReceivedCommandTimes(GetQueueUrlCommand, 1);
    expect(sqs).toHaveReceivedCommandTimes(SendMessageCommand, 2);
  });

  it('names the operation and the permission when sending is denied', async () => {
    sqs.on(SendMessageCommand).rejects(namedError('AccessDenied', 'denied'));

    const sent = new SqsRequeuer(new SQSClient({ region: 'us-west-2' })).requeue(QUEUE_ARN, BODY, 900, 1);

    await expect(sent).rejects.toThrow(AwsCallError);
    await expect(sent).rejects.toThrow(
      /^sqs:SendMessage failed: AccessDenied: denied \(grant sqs:SendMessage/,
    );
  });

  it('does not keep a failed URL lookup: the next record asks again', async () => {
    sqs
      .on(GetQueueUrlCommand)
      .rejectsOnce(namedError('ThrottlingException', 'slow down'))
      .resolves({ QueueUrl: QUEUE_URL });
    const requeuer = new SqsRequeuer(new SQSClient({ region: 'us-west-2' }));

    await expect(requeuer.requeue(QUEUE_ARN, BODY, 900, 1)).rejects.toThrow(/^sqs:GetQueueUrl failed/);
    await requeuer.requeue(QUEUE_ARN, BODY, 900, 1);

    expect(sqs).toHaveReceivedCommandTimes(GetQueueUrlCommand, 2);
    expect(sqs).toHaveReceivedCommandTimes(SendMessageCommand, 1);
  });

  it('refuses a queue ARN it cannot read, without any call', async () => {
    await expect(
      new SqsRequeuer(new SQSClient({ region: 'us-west-2' })).requeue(
        'eks-join-remediator-events',
        BODY,
        900,
        1,
      ),
    ).rejects.toThrow(/not a queue ARN: eks-join-remediator-events/);
    expect(sqs).not.toHaveReceivedAnyCommand();
  });
});

describe('requeuesOf', () => {
  const attribute = (stringValue: string | undefined) => ({
    messageAttributes: {
      [REQUEUES_ATTRIBUTE]: { dataType: 'Number', stringListValues: [], binaryListValues: [], stringValue },
    },
  });

  it('reads the count a re-queued message carries', () => {
    expect(requeuesOf(attribute('0'))).toBe(0);
    expect(requeuesOf(attribute('4'))).toBe(4);
  });

  it('counts 0 for a message that was never sent back', () => {
    expect(requeuesOf({ messageAttributes: {} })).toBe(0);
    expect(requeuesOf({ messageAttributes: { other: attribute('9').messageAttributes.requeues } })).toBe(0);
    // A hand-made record may have no messageAttributes at all.
    expect(requeuesOf({} as Parameters<typeof requeuesOf>[0])).toBe(0);
  });

  it.each([['-1'], ['1.5'], ['two'], [''], ['1e3'], ['9999999'], [undefined]])(
    'calls a count of %j unreadable',
    (value) => {
      expect(requeuesOf(attribute(value))).toBeUndefined();
    },
  );
});
