/**
 * A launch into a subnet without egress is alerted as it arrives, on moto: the Lambda handler gets
 * the launch from the (undelayed) launch queue seconds after the instance started, checks the static
 * causes at once, alerts, and sends the launch back to its queue for the verdict at the window.
 */

import { readFile } from 'node:fs/promises';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Report } from '../../functions/core/model/types.js';
import { readAlerts } from '../support/alertQueue.js';
import { recordedActions, startRecording } from '../support/awsWrites.js';
import { type KubernetesStub, startKubernetesStub } from '../support/kubernetesStub.js';
import { harnessClientConfig, type MotoServer, resetMoto, startMotoServer } from '../support/motoServer.js';
import { buildSeedAccount, type SeedAccount } from '../support/seedAccount.js';
import { sqsEventOf } from '../support/sqsEvent.js';
import { createStateTable } from '../support/stateTable.js';

let moto: MotoServer;
let stub: KubernetesStub;
let seed: SeedAccount;
let launchQueue: { url: string; arn: string };

beforeAll(async () => {
  [moto, stub] = await Promise.all([startMotoServer(), startKubernetesStub({ clusterName: 'eks-workshop' })]);
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await Promise.all([moto?.stop(), stub?.close()]);
});

beforeEach(async () => {
  await resetMoto(moto.endpoint);
  seed = await buildSeedAccount(moto.endpoint);
  const sqs = new SQSClient(harnessClientConfig(moto.endpoint));
  const { QueueUrl = '' } = await sqs.send(
    new CreateQueueCommand({ QueueName: 'eks-join-remediator-launches' }),
  );
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
  );
  launchQueue = { url: QueueUrl, arn: Attributes?.QueueArn ?? '' };
  stub.setNodes(
    seed.nodegroups.default.instanceIds.map((instanceId) => ({
      instanceId,
      availabilityZone: 'us-west-2a',
      nodegroup: 'default',
    })),
  );
  const table = await createStateTable(moto.endpoint);
  for (const [name, value] of Object.entries({
    ...moto.env,
    KUBERNETES_API_URL: stub.url,
    ALERT_TOPIC_ARN: seed.topicArn,
    STATE_TABLE: table,
    JOIN_WINDOW_SECONDS: '300',
    POLICY: 'notify',
  }))
    vi.stubEnv(name, value);
  await startRecording(moto.endpoint);
});

/** The launch of new_nodegroup_2's instance, `secondsAgo` before now, as the launch queue delivers it. */
async function launchRecord(secondsAgo: number): Promise<SQSEvent> {
  const event = JSON.parse(await readFile('events/asg-launch-successful.json', 'utf8'));
  event.time = new Date(Date.now() - secondsAgo * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  event.detail.AutoScalingGroupName = seed.nodegroups.new.autoScalingGroupName;
  event.detail.EC2InstanceId = seed.nodegroups.new.instanceIds[0];
  return sqsEventOf([event], launchQueue.arn);
}

async function coldStart() {
  vi.resetModules();
  return (await import('../../functions/join-check/handler.js')).handler;
}

describe('a launch into a subnet without egress', () => {
  it('is alerted at once with the cause, and comes back for its verdict after the window', async () => {
    const handler = await coldStart();

    const response = await handler(await launchRecord(3), {} as never);

    expect(response).toEqual({ batchItemFailures: [] });
    const [alert, ...more] = await readAlerts(moto.endpoint, seed.queueUrl, { waitMs: 5000 });
    expect(more).toEqual([]);
    const report = JSON.parse(alert?.message ?? '{}') as Report;
    const nodegroup = report.nodegroups[0];
    // The cause only: the instance is still inside its window, so no verdict yet.
    expect(nodegroup?.findings.map((f) => f.code)).toEqual(['NO_DEFAULT_ROUTE']);
    expect(nodegroup?.instances).toEqual([
      expect.objectContaining({ instanceId: seed.nodegroups.new.instanceIds[0], pending: true }),
    ]);
    expect(nodegroup?.findings[0]?.instanceIds).toEqual([seed.nodegroups.new.instanceIds[0]]);

    // Sent back with the rest of its window as the message's own delay, counting one re-queue.
    const sqs = new SQSClient(harnessClientConfig(moto.endpoint));
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: launchQueue.url,
        AttributeNames: ['ApproximateNumberOfMessagesDelayed', 'ApproximateNumberOfMessages'],
      }),
    );
    expect(
      Number(Attributes?.ApproximateNumberOfMessagesDelayed ?? 0) +
        Number(Attributes?.ApproximateNumberOfMessages ?? 0),
    ).toBe(1);
    const writes = (await recordedActions(moto.endpoint)).filter(
      (a) => !/^[a-z0-9-]+:(Describe|List|Get|Lookup)/.test(a) && !a.startsWith('dynamodb:'),
    );
    expect(writes.sort()).toEqual(['sns:Publish', 'sqs:SendMessage']);
  });

  it('a healthy twin (the route is there) is quiet at launch and still comes back for its verdict', async () => {
    const { CreateRouteCommand, EC2Client } = await import('@aws-sdk/client-ec2');
    await new EC2Client(harnessClientConfig(moto.endpoint)).send(
      new CreateRouteCommand({
        RouteTableId: seed.nodegroups.new.routeTableId,
        DestinationCidrBlock: '0.0.0.0/0',
        NatGatewayId: seed.natGatewayId,
      }),
    );
    const handler = await coldStart();

    expect(await handler(await launchRecord(3), {} as never)).toEqual({ batchItemFailures: [] });

    expect(await readAlerts(moto.endpoint, seed.queueUrl, { waitMs: 1500 })).toEqual([]);
    const sqs = new SQSClient(harnessClientConfig(moto.endpoint));
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: launchQueue.url,
        AttributeNames: ['ApproximateNumberOfMessagesDelayed'],
      }),
    );
    expect(Attributes?.ApproximateNumberOfMessagesDelayed).toBe('1');
  });

  it('a requeued launch that is due gets the verdict: NODES_NOT_JOINED with the cause', async () => {
    // A window of 0 s: the instance has run past it, as a launch back from the queue has.
    vi.stubEnv('JOIN_WINDOW_SECONDS', '0');
    const handler = await coldStart();
    const record = await launchRecord(3);
    (record.Records[0] as { messageAttributes: unknown }).messageAttributes = {
      requeues: { stringValue: '1', dataType: 'Number', stringListValues: [], binaryListValues: [] },
    };

    expect(await handler(record, {} as never)).toEqual({ batchItemFailures: [] });

    const [alert] = await readAlerts(moto.endpoint, seed.queueUrl, { waitMs: 5000 });
    const codes = (JSON.parse(alert?.message ?? '{}') as Report).nodegroups[0]?.findings.map((f) => f.code);
    expect(codes).toEqual(expect.arrayContaining(['NO_DEFAULT_ROUTE', 'NODES_NOT_JOINED']));
    const sqs = new SQSClient(harnessClientConfig(moto.endpoint));
    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: launchQueue.url, WaitTimeSeconds: 0 }),
    );
    expect(Messages ?? []).toEqual([]);
  });
});

describe('launches that fail', () => {
  /** Failed launches of new_nodegroup_2 as the launch queue delivers them. */
  async function failedLaunches(count: number, statusMessage: string): Promise<SQSEvent> {
    const sample = JSON.parse(await readFile('events/asg-launch-unsuccessful.json', 'utf8'));
    const events = Array.from({ length: count }, (_, n) => {
      const event = structuredClone(sample);
      event.id = `failed-${Date.now()}-${n}`;
      event.time = new Date(Date.now() - (count - n) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
      event.detail.AutoScalingGroupName = seed.nodegroups.new.autoScalingGroupName;
      event.detail.StatusMessage = statusMessage;
      return event;
    });
    return sqsEventOf(events, launchQueue.arn);
  }
  const CAPACITY =
    'We currently do not have sufficient t3.medium capacity in the Availability Zone you requested (us-west-2a). Launching EC2 instance failed.';

  it('are alerted once per nodegroup and cause, however many fail, and never written about', async () => {
    const handler = await coldStart();

    expect(await handler(await failedLaunches(3, CAPACITY), {} as never)).toEqual({ batchItemFailures: [] });

    const [alert, ...more] = await readAlerts(moto.endpoint, seed.queueUrl, { waitMs: 5000 });
    expect(more).toEqual([]);
    const finding = (JSON.parse(alert?.message ?? '{}') as Report).nodegroups[0]?.findings.find(
      (f) => f.code === 'LAUNCH_FAILURES',
    );
    expect(finding?.launchFailures).toMatchObject({ count: 3, statusMessages: [CAPACITY] });

    // More of the same within the cooldown: skipped before any AWS call but the state read.
    await startRecording(moto.endpoint);
    expect(await handler(await failedLaunches(2, CAPACITY), {} as never)).toEqual({ batchItemFailures: [] });
    expect(await readAlerts(moto.endpoint, seed.queueUrl, { waitMs: 1500 })).toEqual([]);
    expect((await recordedActions(moto.endpoint)).filter((a) => !a.startsWith('dynamodb:'))).toEqual([]);
  });
});
