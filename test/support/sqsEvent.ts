import type { SQSEvent } from 'aws-lambda';

/**
 * An SQS event as the event source mapping delivers it: one record per EventBridge event, the event
 * as the body, the record's messageId the event's id.
 */
export function sqsEventOf(
  events: { id: string }[],
  queueArn = 'arn:aws:sqs:us-west-2:123456789012:bench',
): SQSEvent {
  return {
    Records: events.map((event) => ({
      messageId: event.id,
      receiptHandle: 'rh',
      body: JSON.stringify(event),
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: '0',
        SenderId: 'bench',
        ApproximateFirstReceiveTimestamp: '0',
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: queueArn,
      awsRegion: 'us-west-2',
    })),
  };
}
