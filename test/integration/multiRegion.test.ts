/**
 * One function, several regions, on moto (which keeps regions apart): launches of two watched regions
 * in one batch are each checked with their own region's clients, their alerts go to the one topic
 * and their state to the one table of the function's own region, and a launch of a region that is
 * not watched is skipped without any AWS call.
 */
import { readFile } from 'node:fs/promises';
import type { SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Report } from '../../functions/core/model/types.js';
import { readAlerts } from '../support/alertQueue.js';
import { recordedRequests, startRecording } from '../support/awsWrites.js';
import { type KubernetesStub, startKubernetesStub } from '../support/kubernetesStub.js';
import { type MotoServer, startMotoServer } from '../support/motoServer.js';
import { buildSeedAccount, type SeedAccount } from '../support/seedAccount.js';
import { sqsEventOf } from '../support/sqsEvent.js';
import { createStateTable } from '../support/stateTable.js';

const HOME = 'us-west-2';
const OTHER = 'eu-west-1';
const UNWATCHED = 'ap-south-1';

let moto: MotoServer;
let stub: KubernetesStub;
let home: SeedAccount;
let other: SeedAccount;

beforeAll(async () => {
  [moto, stub] = await Promise.all([startMotoServer(), startKubernetesStub({ clusterName: 'eks-workshop' })]);
  home = await buildSeedAccount(moto.endpoint);
  other = await buildSeedAccount(moto.endpoint, { region: OTHER });
  const table = await createStateTable(moto.endpoint);
  for (const [name, value] of Object.entries({
    ...moto.env,
    AWS_REGION: HOME,
    REGIONS: `${HOME},${OTHER}`,
    KUBERNETES_API_URL: stub.url,
    ALERT_TOPIC_ARN: home.topicArn,
    STATE_TABLE: table,
    JOIN_WINDOW_SECONDS: '0',
  }))
    vi.stubEnv(name, value);
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await Promise.all([moto?.stop(), stub?.close()]);
});

/** A due launch of a seed's new_nodegroup_2 in `region`. */
async function launch(seed: SeedAccount, region: string, id: string) {
  const event = JSON.parse(await readFile('events/asg-launch-successful.json', 'utf8'));
  event.id = id;
  event.region = region;
  event.time = new Date(Date.now() - 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  event.detail.AutoScalingGroupName = seed.nodegroups.new.autoScalingGroupName;
  event.detail.EC2InstanceId = seed.nodegroups.new.instanceIds[0];
  return event;
}

describe('several regions from one function', () => {
  it('checks each watched region with its own clients, alerts to the one topic, and skips the others without a call', async () => {
    vi.resetModules();
    const { handler } = await import('../../functions/join-check/handler.js');
    const batch: SQSEvent = sqsEventOf([
      await launch(home, HOME, 'launch-home'),
      await launch(other, OTHER, 'launch-other'),
      await launch(home, UNWATCHED, 'launch-unwatched'),
    ]);
    await startRecording(moto.endpoint);

    expect(await handler(batch, {} as never)).toEqual({ batchItemFailures: [] });

    // One alert per watched region's broken nodegroup, both on the home region's topic.
    const alerts = await readAlerts(moto.endpoint, home.queueUrl, { waitMs: 5000, min: 2 });
    const regions = alerts.map((a) => (JSON.parse(a.message) as Report).region).sort();
    expect(regions).toEqual([OTHER, HOME].sort());
    for (const alert of alerts) {
      const report = JSON.parse(alert.message) as Report;
      expect(report.nodegroups[0]?.findings.map((f) => f.code)).toContain('NO_DEFAULT_ROUTE');
    }
    const ownRoutes = alerts
      .map((a) => JSON.parse(a.message) as Report)
      .map((r) => [
        r.region,
        r.nodegroups[0]?.findings.find((f) => f.code === 'NO_DEFAULT_ROUTE')?.resourceId,
      ]);
    expect(Object.fromEntries(ownRoutes)).toEqual({
      [HOME]: home.nodegroups.new.routeTableId,
      [OTHER]: other.nodegroups.new.routeTableId,
    });

    const calls = await recordedRequests(moto.endpoint);
    // Each region's resources were read with that region's clients; nothing was asked of the other.
    const byRegion = (region: string) => calls.filter((c) => c.region === region).map((c) => c.action);
    expect(byRegion(OTHER)).toEqual(
      expect.arrayContaining(['eks:DescribeCluster', 'ec2:DescribeRouteTables']),
    );
    expect(byRegion(HOME)).toEqual(
      expect.arrayContaining(['eks:DescribeCluster', 'ec2:DescribeRouteTables']),
    );
    expect(byRegion(UNWATCHED)).toEqual([]);
    // The state table and the topic are the home region's, whichever region the event came from.
    expect(
      calls.filter((c) => c.service === 'dynamodb' || c.service === 'sns').every((c) => c.region === HOME),
    ).toBe(true);
  });
});
