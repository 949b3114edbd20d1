import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeRouteTablesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Report } from '../../functions/core/model/types.js';
import { readAlerts } from '../support/alertQueue.js';
import { recordedActions, startRecording } from '../support/awsWrites.js';
import { type KubernetesStub, startKubernetesStub } from '../support/kubernetesStub.js';
import { harnessClientConfig, type MotoServer, resetMoto, startMotoServer } from '../support/motoServer.js';
import { runCli } from '../support/runCli.js';
import { buildSeedAccount, type SeedAccount } from '../support/seedAccount.js';
import { createStateTable } from '../support/stateTable.js';

/**
 * Preflight on the seed: new_nodegroup_2's instance was launched seconds ago, so it is inside the
 * 300 s join window — and the broken route is reported anyway, before anything has to fail.
 */
let moto: MotoServer;
let stub: KubernetesStub;
let seed: SeedAccount;
let env: Record<string, string>;

beforeAll(async () => {
  [moto, stub] = await Promise.all([startMotoServer(), startKubernetesStub({ clusterName: 'eks-workshop' })]);
});

afterAll(async () => {
  await Promise.all([moto?.stop(), stub?.close()]);
});

beforeEach(async () => {
  await resetMoto(moto.endpoint);
  seed = await buildSeedAccount(moto.endpoint);
  env = {
    ...moto.env,
    KUBERNETES_API_URL: stub.url,
    ALERT_TOPIC_ARN: seed.topicArn,
    STATE_TABLE: await createStateTable(moto.endpoint),
    JOIN_WINDOW_SECONDS: '300',
  };
  stub.setNodes(
    seed.nodegroups.default.instanceIds.map((instanceId) => ({
      instanceId,
      availabilityZone: 'us-west-2a',
      nodegroup: 'default',
    })),
  );
  await startRecording(moto.endpoint);
});

const writes = async () =>
  (await recordedActions(moto.endpoint)).filter(
    (a) => !/^[a-z0-9-]+:(Describe|List|Get|Lookup)/.test(a) && !a.startsWith('dynamodb:'),
  );

async function defaultRoute(): Promise<unknown> {
  const ec2 = new EC2Client(harnessClientConfig(moto.endpoint));
  const { RouteTables } = await ec2.send(
    new DescribeRouteTablesCommand({ RouteTableIds: [seed.nodegroups.new.routeTableId] }),
  );
  return RouteTables?.[0]?.Routes?.find((r) => r.DestinationCidrBlock === '0.0.0.0/0');
}

describe('preflight', () => {
  it('check --preflight reports the missing route while the instance is still inside its window', async () => {
    const run = await runCli(['check', '--cluster', 'eks-workshop', '--preflight', '--json'], env);
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as Report;
    const broken = report.nodegroups.find((n) => n.name === 'new_nodegroup_2');
    expect(broken?.instances[0]).toMatchObject({ pending: true });
    expect(broken?.findings.map((f) => f.code)).toEqual(['NO_DEFAULT_ROUTE']);
    expect(broken?.findings[0]).toMatchObject({ resourceId: seed.nodegroups.new.routeTableId });
    expect(report.nodegroups.find((n) => n.name === 'default')?.findings).toEqual([]);
    const [alert] = await readAlerts(moto.endpoint, seed.queueUrl, { waitMs: 5000 });
    expect(alert?.messageAttributes.nodegroup?.value).toBe('new_nodegroup_2');
    expect(await writes()).toEqual(['sns:Publish']);
  });

  it('without --preflight the same check waits for the window', async () => {
    const run = await runCli(['check', '--cluster', 'eks-workshop', '--json'], env);
    expect(run.code).toBe(0);
  });

  it('a CreateNodegroup event alerts at once and, by default, only plans the fix even under remediate', async () => {
    const event = JSON.parse(await readFile('events/eks-create-nodegroup.json', 'utf8'));
    const file = join(await mkdtemp(join(tmpdir(), 'ejr-')), 'create.json');
    await writeFile(file, JSON.stringify(event));

    const run = await runCli(['invoke', file], { ...env, POLICY: 'remediate' });

    expect(run.code, run.stderr).toBe(1);
    expect(JSON.parse(run.stdout).checks[0]).toMatchObject({ findings: ['NO_DEFAULT_ROUTE'], alerted: true });
    const [alert] = await readAlerts(moto.endpoint, seed.queueUrl, { waitMs: 5000 });
    const nodegroup = (JSON.parse(alert?.message ?? '{}') as Report).nodegroups[0];
    expect(nodegroup?.policy).toBe('dry-run');
    expect(nodegroup?.actions[0]).toMatchObject({ type: 'create-route', status: 'planned' });
    expect(await defaultRoute()).toBeUndefined();
    expect(await writes()).toEqual(['sns:Publish']);
  });

  it('fixes the route at preflight under PREFLIGHT_POLICY=remediate, and recycles nothing', async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'ejr-')), 'create.json');
    await writeFile(file, await readFile('events/eks-create-nodegroup.json', 'utf8'));

    const run = await runCli(['invoke', file], {
      ...env,
      POLICY: 'remediate',
      PREFLIGHT_POLICY: 'remediate',
    });

    expect(run.code, run.stderr).toBe(0);
    expect(await defaultRoute()).toMatchObject({ NatGatewayId: seed.natGatewayId });
    expect(await writes()).toEqual(['ec2:CreateRoute', 'sns:Publish']);
  });
});
