import {
  AuthorizationErrorException,
  PublishCommand,
  SNSClient,
  ThrottledException,
} from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { formatAlert } from '../../../functions/alerts/formatAlert.js';
import { SnsAlertPublisher } from '../../../functions/alerts/SnsAlertPublisher.js';
import { AwsCallError } from '../../../functions/core/model/errors.js';
import type { Log } from '../../../functions/core/model/ports.js';
import type { NodegroupReport, Report } from '../../../functions/core/model/types.js';

const sns = mockClient(SNSClient);

const TOPIC_ARN = 'arn:aws:sns:us-west-2:123456789012:eks-join-remediator-alerts';

const nodegroup: NodegroupReport = {
  name: 'new_nodegroup_2',
  policy: 'notify',
  instances: [
    {
      instanceId: 'i-0a1b2c3d4e5f60718',
      subnetId: 'subnet-0e5e4b6c1d2a3f405',
      availabilityZone: 'us-west-2a',
      launchedAt: '2026-11-26T09:48:12.000Z',
      joined: false,
      pending: false,
      state: 'running',
    },
  ],
  findings: [
    {
      code: 'NO_DEFAULT_ROUTE',
      severity: 'critical',
      resourceId: 'rtb-0f1e2d3c4b5a69788',
      subnetId: 'subnet-0e5e4b6c1d2a3f405',
      routeTableId: 'rtb-0f1e2d3c4b5a69788',
      routeTableSource: 'explicit',
      message: 'Route table rtb-0f1e2d3c4b5a69788 has no 0.0.0.0/0 route.',
      fix: 'aws ec2 create-route --route-table-id rtb-0f1e2d3c4b5a69788 --destination-cidr-block 0.0.0.0/0 --nat-gateway-id nat-0123456789abcdef0 --region us-west-2',
    },
  ],
  actions: [],
};

const report: Report = {
  cluster: 'eks-workshop',
  region: 'us-west-2',
  policy: 'notify',
  checkedAt: '2026-11-26T10:00:00.000Z',
  nodegroups: [nodegroup],
};

function named(name: string, message: string): Error {
  return Object.assign(new Error(message), { name });
}

describe('SnsAlertPublisher', () => {
  beforeEach(() => {
    sns.reset();
  });

  it('publishes the formatted alert as a per-protocol JSON message with filterable attributes', async () => {
    sns.on(PublishCommand).resolves({ MessageId: '5f2c9b8e-1d3a-4c6b-9e7f-0a1b2c3d4e5f' });
    const alert = formatAlert(report, nodegroup);

    const messageId = await new SnsAlertPublisher({
      client: new SNSClient({ region: 'us-west-2' }),
      topicArn: TOPIC_ARN,
    }).publish(report, nodegroup);

    expect(messageId).toBe('5f2c9b8e-1d3a-4c6b-9e7f-0a1b2c3d4e5f');
    expect(sns).toHaveReceivedCommandExactlyOnceWith(PublishCommand, {
      TopicArn: TOPIC_ARN,
      Subject: alert.subject,
      Message: alert.message,
      MessageStructure: 'json',
      MessageAttributes: {
        cluster: { DataType: 'String', StringValue: 'eks-workshop' },
        nodegroup: { DataType: 'String', StringValue: 'new_nodegroup_2' },
        severity: { DataType: 'String', StringValue: 'critical' },
        alertId: { DataType: 'String', StringValue: expect.stringMatching(/^[0-9a-f]{32}$/) },
      },
    });
  });

  it('gives the same alert the same alertId, so a subscriber can drop a repeat, and another alert another', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const publisher = new SnsAlertPublisher({
      client: new SNSClient({ region: 'us-west-2' }),
      topicArn: TOPIC_ARN,
    });
    await publisher.publish(report, nodegroup);
    await publisher.publish(report, nodegroup);
    await publisher.publish(report, { ...nodegroup, findings: [] });
    const ids = sns
      .commandCalls(PublishCommand)
      .map((call) => call.args[0].input.MessageAttributes?.alertId?.StringValue);
    expect(ids[0]).toBe(ids[1]);
    expect(ids[2]).not.toBe(ids[0]);
  });

  it('logs what it published', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const log: Log = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() };

    await new SnsAlertPublisher({
      client: new SNSClient({ region: 'us-west-2' }),
      topicArn: TOPIC_ARN,
      log,
    }).publish(report, nodegroup);

    expect(log.info).toHaveBeenCalledWith('alert published', {
      topicArn: TOPIC_ARN,
      cluster: 'eks-workshop',
      nodegroup: 'new_nodegroup_2',
      severity: 'critical',
      messageId: 'm-1',
    });
  });

  describe('wraps SDK failures in AwsCallError', () => {
    const publish = () =>
      new SnsAlertPublisher({ client: new SNSClient({ region: 'us-west-2' }), topicArn: TOPIC_ARN }).publish(
        report,
        nodegroup,
      );

    it.each([
      ['AccessDenied', 'User is not authorized to perform SNS:Publish', '(grant sns:Publish to the caller'],
      ['ThrottlingException', 'Rate exceeded', '(throttled after retries: try again later'],
      ['Throttling', 'Rate exceeded', '(throttled after retries: try again later'],
    ])('%s says what to do', async (name, detail, hint) => {
      sns.on(PublishCommand).rejects(named(name, detail));

      const error = await publish().catch((e: unknown) => e);

      expect(error).toBeInstanceOf(AwsCallError);
      expect(error).toMatchObject({ operation: 'sns:Publish', errorName: name, exitCode: 3 });
      expect((error as AwsCallError).message).toContain(`sns:Publish failed: ${name}: ${detail}`);
      expect((error as AwsCallError).message).toContain(hint);
    });

    it('keeps the SNS access error, which names the principal, action and topic, and says what to grant', async () => {
      const detail = `User: arn:aws:sts::123456789012:assumed-role/eks-join-remediator/fn is not authorized to perform: SNS:Publish on resource: ${TOPIC_ARN} because no identity-based policy allows the SNS:Publish action`;
      sns.on(PublishCommand).rejects(new AuthorizationErrorException({ message: detail, $metadata: {} }));

      const error = await publish().catch((e: unknown) => e);

      expect(error).toBeInstanceOf(AwsCallError);
      expect(error).toMatchObject({ operation: 'sns:Publish', errorName: 'AuthorizationErrorException' });
      expect((error as AwsCallError).message).toBe(
        `sns:Publish failed: AuthorizationErrorException: ${detail} (grant sns:Publish to the caller's IAM role)`,
      );
      expect((error as AwsCallError).cause).toBeInstanceOf(AuthorizationErrorException);
    });

    it("keeps SNS's own throttling error", async () => {
      sns.on(PublishCommand).rejects(new ThrottledException({ message: 'Rate exceeded', $metadata: {} }));

      const error = await publish().catch((e: unknown) => e);

      expect(error).toBeInstanceOf(AwsCallError);
      expect(error).toMatchObject({ operation: 'sns:Publish', errorName: 'ThrottledException' });
      expect((error as AwsCallError).message).toContain(
        'sns:Publish failed: ThrottledException: Rate exceeded',
      );
    });
  });
});
