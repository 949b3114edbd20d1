import { readFileSync } from 'node:fs';
import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import {
  DescribeInstancesCommand,
  DescribeInternetGatewaysCommand,
  DescribeRouteTablesCommand,
} from '@aws-sdk/client-ec2';
import { DescribeClusterCommand, DescribeNodegroupCommand } from '@aws-sdk/client-eks';
import { PublishCommand } from '@aws-sdk/client-sns';
import { GetQueueUrlCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { type KubernetesStub, startKubernetesStub } from '../../support/kubernetesStub.js';
import { namedError } from '../../support/sdkErrors.js';
import { mockSdkClients, stubLambdaEnvironment } from '../../support/sdkMocks.js';
import { answerSeed, SEED_SDK } from '../../support/seedSdkAnswers.js';

const { eks, autoScaling, ec2, sns, sqs, sts } = mockSdkClients(
  'eks',
  'autoScaling',
  'ec2',
  'sns',
  'sqs',
  'sts',
);

const TOPIC = SEED_SDK.topicArn;
const GROUP: string = SEED_SDK.group;

const sample = (name: string) =>
  JSON.parse(readFileSync(new URL(`../../../events/${name}`, import.meta.url), 'utf8'));

let stub: KubernetesStub;

beforeAll(async () => {
  stub = await startKubernetesStub({ clusterName: 'eks-workshop' });
});
stubLambdaEnvironment(() => ({ KUBERNETES_API_URL: stub.url, ALERT_TOPIC_ARN: TOPIC }));

afterAll(async () => {
  await stub.close();
});

/** The handler parses its configuration at import: a fresh module per test, like a cold start. */
async function coldStart() {
  vi.resetModules();
  return (await import('../../../functions/join-check/handler.js')).handler;
}

function sqsEvent(...bodies: unknown[]): SQSEvent {
  return {
    Records: bodies.map((body, n) => ({
      messageId: `msg-${n}`,
      receiptHandle: `rh-${n}`,
      body: typeof body === 'string' ? body : JSON.stringify(body),
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: '1795686608520',
        SenderId: 'AIDAIENQZJOLO23YVJ4VO',
        ApproximateFirstReceiveTimestamp: '1795686908520',
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-west-2:123456789012:eks-join-remediator-events',
      awsRegion: 'us-west-2',
    })),
  };
}

function launch(instanceId: string, group = GROUP) {
  const event = structuredClone(sample('asg-launch-successful.json'));
  event.detail.EC2InstanceId = instanceId;
  event.detail.AutoScalingGroupName = group;
  return event;
}

beforeEach(() => {
  stub.setNodes([]);
  stub.setMode('ok');
  stub.requests.length = 0;
  answerSeed({ eks, autoScaling, ec2, sns, sts });
});

describe('join-check handler', () => {
  it('coalesces a burst for one nodegroup into one check and one alert, and keeps a malformed record for the DLQ', async () => {
    const handler = await coldStart();
    const result = await handler(
      sqsEvent(
        launch('i-0a1b2c3d4e5f60718'),
        launch('i-0b2c3d4e5f6071829'),
        sample('eks-create-nodegroup.json'),
        '{"not json',
        launch('i-0other', 'batch-workers'),
      ),
    );
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'msg-3' }] });
    expect(autoScaling.commandCalls(DescribeAutoScalingGroupsCommand)).toHaveLength(1);
    expect(eks.commandCalls(DescribeClusterCommand)).toHaveLength(1);
    expect(eks.commandCalls(DescribeNodegroupCommand)).toHaveLength(1);
    expect(ec2.commandCalls(DescribeInstancesCommand)).toHaveLength(1);
    expect(ec2.commandCalls(DescribeRouteTablesCommand)).toHaveLength(1);
    // The nodegroup's labelled Nodes first; the unjoined instances then send it to the whole list, once.
    const nodeLists = stub.nodeListRequests();
    expect(nodeLists[0]?.query.labelSelector).toBe('eks.amazonaws.com/nodegroup=new_nodegroup_2');
    expect(nodeLists.filter((r) => r.query.labelSelector !== undefined)).toHaveLength(1);
    expect(nodeLists.filter((r) => r.query.labelSelector === undefined).length).toBeLessThanOrEqual(1);
    const publishes = sns.commandCalls(PublishCommand);
    expect(publishes).toHaveLength(1);
    const input = publishes[0]?.args[0].input;
    expect(input).toMatchObject({ TopicArn: TOPIC, MessageStructure: 'json' });
    const sqsBody = JSON.parse(JSON.parse(input?.Message ?? '{}').sqs);
    expect(sqsBody.nodegroups[0].findings.map((f: { code: string }) => f.code)).toEqual([
      'NO_DEFAULT_ROUTE',
      'NODES_NOT_JOINED',
    ]);
    expect(ec2.commandCalls(DescribeInternetGatewaysCommand)).toHaveLength(1);
    expect(ec2.commandCalls(DescribeInternetGatewaysCommand)[0]?.args[0].input.Filters).toEqual([
      { Name: 'attachment.vpc-id', Values: ['vpc-0a1b'] },
    ]);
    // The NAT gateway's subnet routes to the attached internet gateway: it is proven to lead out.
    expect(sqsBody.nodegroups[0].findings[0]).toMatchObject({
      routeTableId: 'rtb-0f1e2d3c4b5a69788',
      natGatewayId: 'nat-0123456789abcdef0',
    });
  });

  it('publishes nothing when every instance joined', async () => {
    stub.setNodes([
      { instanceId: 'i-0a1b2c3d4e5f60718', availabilityZone: 'us-west-2a', nodegroup: 'new_nodegroup_2' },
      { instanceId: 'i-0b2c3d4e5f6071829', availabilityZone: 'us-west-2a', nodegroup: 'new_nodegroup_2' },
    ]);
    const handler = await coldStart();
    expect(await handler(sqsEvent(launch('i-0a1b2c3d4e5f60718')))).toEqual({ batchItemFailures: [] });
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
    expect(ec2.commandCalls(DescribeRouteTablesCommand)).toHaveLength(0);
  });

  it('gives each invocation its own membership session of the reader kept across invocations', async () => {
    stub.setNodes([
      { instanceId: 'i-0a1b2c3d4e5f60718', availabilityZone: 'us-west-2a', nodegroup: 'new_nodegroup_2' },
      { instanceId: 'i-0b2c3d4e5f6071829', availabilityZone: 'us-west-2a', nodegroup: 'new_nodegroup_2' },
    ]);
    const handler = await coldStart();
    // The module the handler just loaded (the registry was reset by the cold start).
    const { KubernetesNodeReader } = await import('../../../functions/kubernetes/KubernetesNodeReader.js');
    const session = vi.spyOn(KubernetesNodeReader.prototype, 'session');
    try {
      await handler(sqsEvent(launch('i-0a1b2c3d4e5f60718')));
      await handler(sqsEvent(launch('i-0b2c3d4e5f6071829')));

      expect(session).toHaveBeenCalledTimes(2);
      expect(session.mock.contexts[1]).toBe(session.mock.contexts[0]);
      expect(session.mock.results[1]?.value).not.toBe(session.mock.results[0]?.value);
    } finally {
      session.mockRestore();
    }
  });

  it('reports the records of a throttled check as failures so they are retried, and still runs the others', async () => {
    eks
      .on(DescribeNodegroupCommand, { nodegroupName: 'new_nodegroup_2' })
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: {} }));
    eks.on(DescribeNodegroupCommand, { nodegroupName: 'default' }).resolves({
      nodegroup: {
        nodegroupName: 'default',
        status: 'ACTIVE',
        resources: { autoScalingGroups: [] },
        subnets: [],
        tags: {},
      },
    });
    const other = structuredClone(sample('eks-update-nodegroup-config.json'));
    other.detail.requestParameters.nodegroupName = 'default';
    const handler = await coldStart();
    const result = await handler(sqsEvent(launch('i-0a1b2c3d4e5f60718'), other));
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'msg-0' }] });
  }, 60_000);

  it('retries the check when the alert cannot be published (access denied), naming the permission', async () => {
    sns.on(PublishCommand).rejects(namedError('AuthorizationErrorException', 'not authorized'));
    const handler = await coldStart();
    expect(await handler(sqsEvent(launch('i-0a1b2c3d4e5f60718')))).toEqual({
      batchItemFailures: [{ itemIdentifier: 'msg-0' }],
    });
  });

  it('skips a nodegroup that no longer exists instead of retrying forever', async () => {
    eks.on(DescribeNodegroupCommand).rejects(namedError('ResourceNotFoundException', 'No node group found'));
    const handler = await coldStart();
    expect(await handler(sqsEvent(sample('eks-update-nodegroup-config.json')))).toEqual({
      batchItemFailures: [],
    });
  });

  it('returns a summary for a direct EventBridge invocation', async () => {
    const handler = await coldStart();
    const result = await handler(launch('i-0a1b2c3d4e5f60718'));
    expect(result).toMatchObject({
      checks: [
        {
          cluster: 'eks-workshop',
          nodegroup: 'new_nodegroup_2',
          findings: ['NO_DEFAULT_ROUTE', 'NODES_NOT_JOINED'],
          alerted: true,
        },
      ],
      skipped: [],
      failed: [],
    });
  });

  it('sends a launch back to the queue while it is inside a join window longer than 15 minutes', async () => {
    vi.stubEnv('JOIN_WINDOW_SECONDS', '1800');
    sqs.reset();
    sqs
      .on(GetQueueUrlCommand)
      .resolves({ QueueUrl: 'https://sqs.us-west-2.amazonaws.com/123456789012/eks-join-remediator-events' });
    sqs.on(SendMessageCommand).resolves({ MessageId: 'again' });
    try {
      const fresh = launch('i-0a1b2c3d4e5f60718');
      fresh.time = new Date(Date.now() - 600_000).toISOString();
      const handler = await coldStart();
      const batch = sqsEvent(fresh);
      expect(await handler(batch)).toEqual({ batchItemFailures: [] });
      const sent = sqs.commandCalls(SendMessageCommand)[0]?.args[0].input;
      expect(sent?.MessageBody).toBe(batch.Records[0]?.body);
      expect(sent?.DelaySeconds).toBe(900);
      // The first time back: the new message counts one re-queue.
      expect(sent?.MessageAttributes).toEqual({ requeues: { DataType: 'Number', StringValue: '1' } });
      // The first delivery also ran the static checks of the nodegroup, at once.
      expect(eks.commandCalls(DescribeNodegroupCommand)).toHaveLength(1);
    } finally {
      vi.stubEnv('JOIN_WINDOW_SECONDS', '');
    }
  });

  it('keeps the record for a retry when it cannot be queued again', async () => {
    vi.stubEnv('JOIN_WINDOW_SECONDS', '1800');
    sqs.reset();
    sqs.on(GetQueueUrlCommand).rejects(namedError('AccessDenied', 'denied'));
    try {
      const fresh = launch('i-0a1b2c3d4e5f60718');
      fresh.time = new Date().toISOString();
      const handler = await coldStart();
      expect(await handler(sqsEvent(fresh))).toEqual({ batchItemFailures: [{ itemIdentifier: 'msg-0' }] });
    } finally {
      vi.stubEnv('JOIN_WINDOW_SECONDS', '');
    }
  });

  it('skips clusters that are not watched', async () => {
    vi.stubEnv('CLUSTERS', 'other-cluster');
    try {
      const handler = await coldStart();
      expect(await handler(sqsEvent(launch('i-0a1b2c3d4e5f60718')))).toEqual({ batchItemFailures: [] });
      expect(eks.commandCalls(DescribeNodegroupCommand)).toHaveLength(0);
      expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
    } finally {
      vi.stubEnv('CLUSTERS', '');
    }
  });

  it('fails at cold start with a message naming a bad variable', async () => {
    vi.stubEnv('JOIN_WINDOW_SECONDS', 'soon');
    try {
      await expect(coldStart()).rejects.toThrow(/JOIN_WINDOW_SECONDS/);
    } finally {
      vi.stubEnv('JOIN_WINDOW_SECONDS', '');
    }
  });
});
