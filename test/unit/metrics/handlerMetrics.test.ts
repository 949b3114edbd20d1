import { readFileSync } from 'node:fs';
import { GetQueueUrlCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import {
  afterAll,
  afterEach,
  beforeAll,
  beforeEach,
  describe,
  expect,
  it,
  type MockInstance,
  vi,
} from 'vitest';
import { type KubernetesStub, startKubernetesStub } from '../../support/kubernetesStub.js';
import { mockSdkClients, stubLambdaEnvironment } from '../../support/sdkMocks.js';
import { answerSeed, SEED_SDK } from '../../support/seedSdkAnswers.js';
import { sqsEventOf } from '../../support/sqsEvent.js';

const { eks, autoScaling, ec2, sns, sqs, sts } = mockSdkClients(
  'eks',
  'autoScaling',
  'ec2',
  'sns',
  'sqs',
  'sts',
);

const TOPIC = SEED_SDK.topicArn;
const [UNJOINED, JOINED] = SEED_SDK.instanceIds;
/** The joined instance launched this long before its Node was created (the stub creates it now). */
const JOIN_SECONDS = 75;

let stub: KubernetesStub;

beforeAll(async () => {
  stub = await startKubernetesStub({ clusterName: 'eks-workshop' });
});
stubLambdaEnvironment(() => ({ KUBERNETES_API_URL: stub.url, ALERT_TOPIC_ARN: TOPIC }));
afterAll(async () => {
  await stub.close();
});

/** The seed's launch event (events/asg-launch-successful.json), for one instance. */
function launch(instanceId: string) {
  const event = JSON.parse(
    readFileSync(new URL('../../../events/asg-launch-successful.json', import.meta.url), 'utf8'),
  );
  event.id = `launch-${instanceId}`;
  event.detail.EC2InstanceId = instanceId;
  return event as { id: string };
}

/** An embedded metric format record as Powertools writes it: one JSON line on stdout. */
interface EmfRecord {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: {
      Namespace: string;
      Dimensions: string[][];
      Metrics: { Name: string; Unit: string }[];
    }[];
  };
  [key: string]: unknown;
}

let stdout: MockInstance<typeof process.stdout.write>;

beforeEach(() => {
  // The other tests run with metrics off (vitest.config.ts): these read them.
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
  // The Node is created now, JOIN_SECONDS after its instance's launch.
  answerSeed({ eks, autoScaling, ec2, sns, sts }, { [JOINED]: new Date(Date.now() - JOIN_SECONDS * 1000) });
  stub.setNodes([{ instanceId: JOINED, availabilityZone: 'us-west-2a', nodegroup: 'new_nodegroup_2' }]);
  // The EMF records are kept from the test output; other lines pass through.
  const write = process.stdout.write.bind(process.stdout) as (chunk: unknown) => boolean;
  stdout = vi
    .spyOn(process.stdout, 'write')
    .mockImplementation((chunk) => String(chunk).includes('"_aws"') || write(chunk));
});
afterEach(() => {
  stdout.mockRestore();
});

/** The EMF records among the lines written to stdout. */
function emfRecords(): EmfRecord[] {
  return stdout.mock.calls
    .flatMap(([chunk]) => String(chunk).split('\n'))
    .filter((line) => line.includes('"_aws"'))
    .map((line) => JSON.parse(line) as EmfRecord);
}

/** The handler parses its configuration at import: a fresh module per test, like a cold start. */
async function coldStart() {
  vi.resetModules();
  return (await import('../../../functions/join-check/handler.js')).handler;
}

describe('the metrics the handler writes', () => {
  it('writes one EMF record per dimension set for the seed case: counts, findings by code, time to join', async () => {
    const handler = await coldStart();
    expect(await handler(sqsEventOf([launch(UNJOINED), launch(JOINED)]))).toEqual({ batchItemFailures: [] });

    const records = emfRecords();
    for (const record of records) {
      expect(record._aws.CloudWatchMetrics).toHaveLength(1);
      expect(record._aws.CloudWatchMetrics[0]?.Namespace).toBe('EksJoinRemediator');
      expect(record.service).toBe('eks-join-remediator');
    }
    const byDimensions = (names: string[]) =>
      records.filter(
        (r) => JSON.stringify(r._aws.CloudWatchMetrics[0]?.Dimensions) === JSON.stringify([names]),
      );

    const [nodegroup, ...more] = byDimensions(['service', 'Cluster', 'Nodegroup']);
    expect(more).toEqual([]);
    expect(nodegroup?._aws.CloudWatchMetrics[0]?.Metrics).toEqual([
      { Name: 'InstancesChecked', Unit: 'Count' },
      { Name: 'InstancesUnjoined', Unit: 'Count' },
      { Name: 'NodesNotReady', Unit: 'Count' },
      { Name: 'LaunchFailures', Unit: 'Count' },
      { Name: 'AlertsSent', Unit: 'Count' },
      { Name: 'AlertsSuppressed', Unit: 'Count' },
      { Name: 'TimeToJoin', Unit: 'Seconds' },
    ]);
    expect(nodegroup).toMatchObject({
      Cluster: 'eks-workshop',
      Nodegroup: 'new_nodegroup_2',
      InstancesChecked: 2,
      InstancesUnjoined: 1,
      NodesNotReady: 0,
      LaunchFailures: 0,
      AlertsSent: 1,
      AlertsSuppressed: 0,
    });
    // The Node's creation time is to the second: launch to Node within a second of JOIN_SECONDS.
    expect(nodegroup?.TimeToJoin).toBeGreaterThanOrEqual(JOIN_SECONDS - 1);
    expect(nodegroup?.TimeToJoin).toBeLessThanOrEqual(JOIN_SECONDS + 5);

    const findings = byDimensions(['service', 'Cluster', 'Code']);
    expect(findings.map((r) => [r.Code, r.Findings, r._aws.CloudWatchMetrics[0]?.Metrics])).toEqual([
      ['NO_DEFAULT_ROUTE', 1, [{ Name: 'Findings', Unit: 'Count' }]],
      ['NODES_NOT_JOINED', 1, [{ Name: 'Findings', Unit: 'Count' }]],
    ]);
    // No dimension of one record leaks into another: each holds only its own set's keys.
    for (const record of findings) expect(record).not.toHaveProperty('Nodegroup');
    expect(nodegroup).not.toHaveProperty('Code');
    // Notify policy: no write action, so no Actions record.
    expect(records).toHaveLength(3);
  });

  it('writes no time to join for an instance its launch events do not name', async () => {
    const handler = await coldStart();
    await handler(sqsEventOf([launch(UNJOINED)]));
    const [record] = emfRecords().filter((r) => 'InstancesChecked' in r);
    expect(record).toMatchObject({ InstancesChecked: 2, InstancesUnjoined: 1 });
    expect(record).not.toHaveProperty('TimeToJoin');
  });

  it('writes no time to join at the preflight of a launch inside its window: only its verdict does', async () => {
    sqs
      .on(GetQueueUrlCommand)
      .resolves({ QueueUrl: 'https://sqs.us-west-2.amazonaws.com/123456789012/eks-join-remediator-events' });
    sqs.on(SendMessageCommand).resolves({ MessageId: 'again' });
    const fresh = launch(JOINED) as { id: string; time: string };
    fresh.time = new Date(Date.now() - 60_000).toISOString();
    const handler = await coldStart();
    expect(await handler(sqsEventOf([fresh]))).toEqual({ batchItemFailures: [] });
    // Sent back for its verdict, after a preflight that did write its counts.
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(1);
    const records = emfRecords();
    expect(records.some((r) => 'InstancesChecked' in r)).toBe(true);
    expect(records.filter((r) => 'TimeToJoin' in r)).toEqual([]);
  });

  it('still answers the batch when the metrics cannot be written', async () => {
    const handler = await coldStart();
    const { Metrics } = await import('@aws-lambda-powertools/metrics');
    const publish = vi.spyOn(Metrics.prototype, 'publishStoredMetrics').mockImplementation(() => {
      throw new Error('stdout closed');
    });
    try {
      expect(await handler(sqsEventOf([launch(UNJOINED)]))).toEqual({ batchItemFailures: [] });
      expect(publish).toHaveBeenCalled();
    } finally {
      publish.mockRestore();
    }
  });
});
