import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteNatGatewayCommand, EC2Client } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Report } from '../../functions/core/model/types.js';
import { readAlerts } from '../support/alertQueue.js';
import {
  nonReadActions,
  recordedActions,
  snapshotWritableState,
  startRecording,
} from '../support/awsWrites.js';
import { type KubernetesStub, startKubernetesStub } from '../support/kubernetesStub.js';
import { harnessClientConfig, type MotoServer, startMotoServer } from '../support/motoServer.js';
import { runCli } from '../support/runCli.js';
import { buildSeedAccount, type SeedAccount } from '../support/seedAccount.js';

/**
 * The seed replayed on a real AWS emulator: `default` joined behind the NAT gateway, `new_nodegroup_2`
 * in a subnet whose route table holds only the local route. Everything runs through the CLI, as a
 * person would run it.
 */
let moto: MotoServer;
let stub: KubernetesStub;
let seed: SeedAccount;
let env: Record<string, string>;
let tmp: string;

beforeAll(async () => {
  [moto, stub] = await Promise.all([startMotoServer(), startKubernetesStub({ clusterName: 'eks-workshop' })]);
  seed = await buildSeedAccount(moto.endpoint);
  env = { ...moto.env, KUBERNETES_API_URL: stub.url };
  tmp = await mkdtemp(join(tmpdir(), 'ejr-it-'));
});

afterAll(async () => {
  await Promise.all([moto?.stop(), stub?.close(), tmp && rm(tmp, { recursive: true, force: true })]);
});

beforeEach(async () => {
  stub.setMode('ok');
  stub.setNodes(
    seed.nodegroups.default.instanceIds.map((instanceId) => ({
      instanceId,
      availabilityZone: seed.availabilityZone,
      nodegroup: 'default',
    })),
  );
  await readAlerts(moto.endpoint, seed.queueUrl, { waitMs: 0, min: 0 });
});

const check = (...args: string[]) => runCli(['check', '--cluster', 'eks-workshop', ...args], env);

describe('check on the seed account', () => {
  it('names the route table without a default route, keeps default clean, alerts once and writes nothing', async () => {
    const before = await snapshotWritableState(moto.endpoint, {
      vpcId: seed.vpcId,
      clusterName: seed.clusterName,
    });
    await startRecording(moto.endpoint);

    const run = await check('--join-window', '0', '--json', '--topic-arn', seed.topicArn);

    expect(run.stderr).toBe('');
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as Report;
    const byName = Object.fromEntries(report.nodegroups.map((n) => [n.name, n]));
    expect(byName.default?.findings).toEqual([]);
    expect(byName.default?.instances.map((i) => i.joined)).toEqual([true]);

    const broken = byName.new_nodegroup_2;
    expect(broken?.instances).toEqual([
      expect.objectContaining({
        instanceId: seed.nodegroups.new.instanceIds[0],
        joined: false,
        pending: false,
      }),
    ]);
    expect(broken?.findings.map((f) => f.code)).toEqual(['NO_DEFAULT_ROUTE', 'NODES_NOT_JOINED']);
    expect(broken?.findings[0]).toMatchObject({
      resourceId: seed.nodegroups.new.routeTableId,
      subnetId: seed.nodegroups.new.subnetId,
      routeTableSource: 'explicit',
      natGatewayId: seed.natGatewayId,
      fix: `aws ec2 create-route --route-table-id ${seed.nodegroups.new.routeTableId} --destination-cidr-block 0.0.0.0/0 --nat-gateway-id ${seed.natGatewayId} --region us-west-2`,
    });

    const alerts = await readAlerts(moto.endpoint, seed.queueUrl, { waitMs: 5000, min: 1 });
    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.messageAttributes).toMatchObject({
      cluster: { value: 'eks-workshop' },
      nodegroup: { value: 'new_nodegroup_2' },
      severity: { value: 'critical' },
    });
    const alerted = JSON.parse(alerts[0]?.message ?? '{}') as Report;
    expect(alerted.nodegroups.map((n) => n.name)).toEqual(['new_nodegroup_2']);
    expect(alerted.nodegroups[0]?.findings[0]?.resourceId).toBe(seed.nodegroups.new.routeTableId);

    const actions = await recordedActions(moto.endpoint);
    expect(nonReadActions(actions)).toEqual(['sns:Publish']);
    expect(
      await snapshotWritableState(moto.endpoint, { vpcId: seed.vpcId, clusterName: seed.clusterName }),
    ).toEqual(before);
  });

  it('prints a report that reads like the manual investigation', async () => {
    const run = await check('--nodegroup', 'new_nodegroup_2', '--join-window', '0');
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('Nodegroup new_nodegroup_2 — ACTIVE, policy notify');
    expect(run.stdout).toContain(`${seed.nodegroups.new.instanceIds[0]}  ${seed.nodegroups.new.subnetId}`);
    expect(run.stdout).toContain(`Route table ${seed.nodegroups.new.routeTableId} (explicit association`);
    expect(run.stdout).toContain('10.42.0.0/16 → local (active)');
    expect(run.stdout).toContain('Verdict: CRITICAL — NO_DEFAULT_ROUTE, NODES_NOT_JOINED');
    expect(run.stdout).not.toContain('Nodegroup default');
  });

  it('waits quietly while the instances are inside the join window', async () => {
    const run = await check('--json', '--topic-arn', seed.topicArn);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as Report;
    const broken = report.nodegroups.find((n) => n.name === 'new_nodegroup_2');
    expect(broken?.instances[0]).toMatchObject({ pending: true });
    expect(broken?.findings).toEqual([]);
    expect(await readAlerts(moto.endpoint, seed.queueUrl, { waitMs: 1500, min: 1 })).toEqual([]);
  });

  it('reports the missing RBAC instead of guessing when the API server refuses to list nodes', async () => {
    stub.setMode('forbidden');
    const run = await check('--nodegroup', 'new_nodegroup_2', '--join-window', '0', '--json');
    expect(run.code).toBe(3);
    const report = JSON.parse(run.stdout) as Report;
    expect(report.nodegroups[0]?.findings.map((f) => f.code)).toEqual(['NODE_LIST_FORBIDDEN']);
    expect(report.nodegroups[0]?.instances[0]?.joined).toBeNull();
    expect(report.nodegroups[0]?.findings[0]?.fix).toContain('kubectl apply -f infra/k8s/rbac.yaml');
  });

  it('reports an unreachable API server', async () => {
    const run = await runCli(
      [
        'check',
        '--cluster',
        'eks-workshop',
        '--nodegroup',
        'new_nodegroup_2',
        '--join-window',
        '0',
        '--json',
      ],
      { ...env, KUBERNETES_API_URL: 'http://127.0.0.1:9' },
    );
    expect(run.code).toBe(3);
    expect(JSON.parse(run.stdout).nodegroups[0].findings[0].code).toBe('CLUSTER_API_UNREACHABLE');
  });

  it('exits 2 with one line for an unknown cluster, an unknown nodegroup and bad usage', async () => {
    for (const args of [
      ['check', '--cluster', 'no-such-cluster'],
      ['check', '--cluster', 'eks-workshop', '--nodegroup', 'no_such_nodegroup'],
      ['check'],
      ['check', '--cluster', 'eks-workshop', '--policy', 'fix-everything'],
    ]) {
      const run = await runCli(args, env);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(run.stderr).toMatch(/^eks-join-remediator: /);
    }
  });

  it('runs the Lambda handler on a launch event with invoke: one check, one alert', async () => {
    const event = JSON.parse(await readFile('events/asg-launch-successful.json', 'utf8'));
    event.detail.AutoScalingGroupName = seed.nodegroups.new.autoScalingGroupName;
    event.detail.EC2InstanceId = seed.nodegroups.new.instanceIds[0];
    const batch = JSON.parse(await readFile('events/sqs-batch.json', 'utf8'));
    for (const record of batch.Records) {
      const body = JSON.parse(record.body);
      if (body.source === 'aws.autoscaling')
        body.detail.AutoScalingGroupName = seed.nodegroups.new.autoScalingGroupName;
      record.body = JSON.stringify(body);
    }
    const file = join(tmp, 'sqs-batch.json');
    await writeFile(file, JSON.stringify(batch));

    const run = await runCli(['invoke', file], {
      ...env,
      JOIN_WINDOW_SECONDS: '0',
      ALERT_TOPIC_ARN: seed.topicArn,
    });

    // The problem was alerted, not fixed: exit 1, as for check.
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toEqual({ batchItemFailures: [] });
    expect(run.stderr).toContain('"message":"nodegroup checked"');
    const alerts = await readAlerts(moto.endpoint, seed.queueUrl, { waitMs: 5000, min: 1 });
    expect(alerts).toHaveLength(1);
  });

  it('exits 2 on an event file that cannot be read or is not an event', async () => {
    const notEvent = join(tmp, 'not-an-event.json');
    await writeFile(notEvent, '{"hello": "world"}');
    for (const file of [join(tmp, 'missing.json'), notEvent]) {
      const run = await runCli(['invoke', file], env);
      expect(run.code).toBe(2);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  // Last: it deletes the NAT gateway the default nodegroup routes through.
  it('sees a dead NAT gateway behind an active route as a blackhole (moto, like EC2 for a while, keeps the route active)', async () => {
    const ec2 = new EC2Client(harnessClientConfig(moto.endpoint));
    await ec2.send(new DeleteNatGatewayCommand({ NatGatewayId: seed.natGatewayId }));
    stub.setNodes([]);
    const run = await check('--nodegroup', 'default', '--join-window', '0', '--json');
    expect(run.code).toBe(1);
    const finding = JSON.parse(run.stdout).nodegroups[0].findings[0];
    expect(finding).toMatchObject({
      code: 'BLACKHOLE_DEFAULT_ROUTE',
      resourceId: seed.nodegroups.default.routeTableId,
    });
    expect(finding.message).toContain(`${seed.natGatewayId} is deleted`);
  });
});
