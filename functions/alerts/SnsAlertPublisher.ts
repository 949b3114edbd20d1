import { createHash } from 'node:crypto';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { awsCall } from '../aws/awsCall.js';
import { type AlertPublisher, type Log, silentLog } from '../core/model/ports.js';
import type { NodegroupReport, Report } from '../core/model/types.js';
import { formatAlert } from './formatAlert.js';

export interface SnsAlertPublisherOptions {
  client: SNSClient;
  topicArn: string;
  log?: Log;
}

/**
 * Publishes one alert per nodegroup to an SNS topic, with a message per protocol (chat, email, SQS,
 * Lambda). The cluster, nodegroup and severity travel as message attributes, so subscribers can filter
 * (e.g. only critical alerts to the pager) without parsing the body. SNS delivers at least once, and a
 * publish whose answer was lost is sent again by the SDK's retry: `alertId`, the same for the same
 * alert, lets a subscriber drop the repeat.
 */
export class SnsAlertPublisher implements AlertPublisher {
  readonly #client: SNSClient;
  readonly #topicArn: string;
  readonly #log: Log;

  constructor(options: SnsAlertPublisherOptions) {
    this.#client = options.client;
    this.#topicArn = options.topicArn;
    this.#log = options.log ?? silentLog;
  }

  async publish(report: Report, nodegroup: NodegroupReport): Promise<string | undefined> {
    const alert = formatAlert(report, nodegroup);
    const { cluster, nodegroup: nodegroupName, severity } = alert.attributes;
    const { MessageId: messageId } = await awsCall('sns:Publish', () =>
      this.#client.send(
        new PublishCommand({
          TopicArn: this.#topicArn,
          Subject: alert.subject,
          Message: alert.message,
          MessageStructure: 'json',
          MessageAttributes: {
            cluster: { DataType: 'String', StringValue: cluster },
            nodegroup: { DataType: 'String', StringValue: nodegroupName },
            severity: { DataType: 'String', StringValue: severity },
            alertId: { DataType: 'String', StringValue: alertIdOf(alert.subject, alert.message) },
          },
        }),
      ),
    );
    this.#log.info('alert published', {
      topicArn: this.#topicArn,
      cluster,
      nodegroup: nodegroupName,
      severity,
      messageId,
    });
    return messageId;
  }
}

/** The same for the same alert (subject and message), whoever sends it and however often. */
function alertIdOf(subject: string, message: string): string {
  return createHash('sha256').update(subject).update('\n').update(message).digest('hex').slice(0, 32);
}
