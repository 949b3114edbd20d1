import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  CreateLaunchTemplateVersionCommand,
  CreateSubnetCommand,
  EC2Client,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import {
  CreateKeyCommand,
  DisableKeyCommand,
  KMSClient,
  ScheduleKeyDeletionCommand,
} from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsAccountReader } from '../../functions/aws/AwsAccountReader.js';
import { AwsLaunchReader } from '../../functions/aws/AwsLaunchReader.js';
import { AwsRemediationWriter } from '../../functions/aws/AwsRemediationWriter.js';
import { createAwsClients } from '../../functions/aws/clients.js';
import { runCheck } from '../../functions/core/check/runCheck.js';
import { silentLog } from '../../functions/core/model/ports.js';
import type { Finding, LaunchFailure, NodegroupReport } from '../../functions/core/model/types.js';
import { MemoryStateStore } from '../../functions/state/MemoryStateStore.js';
import {
  harnessClientConfig,
  type MotoServer,
  startMotoServer,
  toolClientConfig,
} from '../support/motoServer.js';
import { buildSeedAccount, type SeedAccount } from '../support/seedAccount.js';

/**
 * Failed launches on moto 5.2.1, through runCheck with the real AwsAccountReader and AwsLaunchReader
 * under policy remediate: each cause has a failing scenario and a healthy twin, and the twin is made
 * by running the fix the finding prints (AWS CLI and jq, against moto).
 *
 * Real in moto: KMS CreateKey/DescribeKey/GetKeyPolicy/PutKeyPolicy/DisableKey/EnableKey/
 * ScheduleKeyDeletion/CancelKeyDeletion, launch template versions with encrypted volumes, and the
 * subnets' AvailableIpAddressCount (a /28 has 11; 11 instances bring it to 0). moto 5.2.1 does not
 * implement GetEbsDefaultKmsKeyId (500 NotImplementedError), so encryption by default is not run here.
 */
const run = promisify(execFile);
let moto: MotoServer;
let seed: SeedAccount;
let kms: KMSClient;
let ec2: EC2Client;

beforeAll(async () => {
  moto = await startMotoServer();
  seed = await buildSeedAccount(moto.endpoint);
  kms = new KMSClient(harnessClientConfig(moto.endpoint));
  ec2 = new EC2Client(harnessClientConfig(moto.endpoint));
});

afterAll(async () => {
  kms?.destroy();
  ec2?.destroy();
  await moto?.stop();
});

const NODEGROUP = 'new_nodegroup_2';
const KMS_MESSAGE =
  'Instance became unhealthy while waiting for instance to be in InService state. Termination Reason: Client.InternalError: Client error on launch';

/** One check of new_nodegroup_2 under remediate, with the given failed launches. */
async function check(failures: LaunchFailure[]): Promise<NodegroupReport> {
  const clients = createAwsClients(toolClientConfig(moto.env));
  const account = new AwsAccountReader(clients);
  const clock = { now: () => new Date() };
  const result = await runCheck(
    {
      clusterName: seed.clusterName,
      nodegroupNames: [NODEGROUP],
      policyOverride: 'remediate',
      defaultPolicy: 'notify',
      // The seed's instances are seconds old: pending, so the launch failures are all there is.
      joinWindowSeconds: 3600,
      launchFailures: failures,
    },
    {
      account,
      membership: { listNodes: async () => ({ kind: 'known', nodes: [] }) },
      writer: new AwsRemediationWriter(clients),
      launches: new AwsLaunchReader({ clients }),
      state: new MemoryStateStore({ clock }),
      clock,
      log: silentLog,
    },
  );
  const report = result.report.nodegroups[0] as NodegroupReport;
  // Alert only: nothing planned, nothing written.
  expect(report.actions.filter((a) => a.type !== 'notify')).toEqual([]);
  return report;
}

const failure = (statusMessage: string): LaunchFailure => ({
  autoScalingGroupName: seed.nodegroups.new.autoScalingGroupName,
  statusMessage,
  time: new Date().toISOString(),
});

const find = (report: NodegroupReport, code: Finding['code']) => report.findings.find((f) => f.code === code);

/** Runs a finding's fix as a person would, with the AWS CLI pointed at moto. */
async function runFix(fix: string): Promise<void> {
  const dir = await import('node:fs/promises').then((fs) => fs.mkdtemp('/tmp/ejr-fix-'));
  await run('bash', ['-euo', 'pipefail', '-c', fix], {
    cwd: dir,
    env: { ...process.env, ...moto.env, AWS_PAGER: '' },
  });
}

/** A customer key (moto's default policy: the account root only) on the nodegroup's volumes. */
async function encryptVolumesWithNewKey(policy?: object): Promise<string> {
  const key = await kms.send(new CreateKeyCommand({ Description: 'nodes' }));
  const keyArn = key.KeyMetadata?.Arn as string;
  if (policy) {
    // Through the CLI: moto 5.2.1 answers the SDK's PutKeyPolicy with a 500 page here.
    await run(
      'aws',
      [
        'kms',
        'put-key-policy',
        '--key-id',
        keyArn,
        '--policy-name',
        'default',
        '--policy',
        JSON.stringify(policy),
      ],
      {
        env: { ...process.env, ...moto.env },
      },
    );
  }
  // The group launches from $Latest of the nodegroup's template: a new version with the volume.
  await ec2.send(
    new CreateLaunchTemplateVersionCommand({
      LaunchTemplateId: seed.nodegroups.new.launchTemplateId,
      SourceVersion: '$Latest',
      LaunchTemplateData: {
        BlockDeviceMappings: [
          { DeviceName: '/dev/xvda', Ebs: { VolumeSize: 20, Encrypted: true, KmsKeyId: keyArn } },
        ],
      },
    }),
  );
  return keyArn;
}

const ROLE = `arn:aws:iam::123456789012:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`;
const DOCUMENTED = {
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'Root',
      Effect: 'Allow',
      Principal: { AWS: 'arn:aws:iam::123456789012:root' },
      Action: 'kms:*',
      Resource: '*',
    },
    {
      Effect: 'Allow',
      Principal: { AWS: ROLE },
      Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'],
      Resource: '*',
    },
    {
      Effect: 'Allow',
      Principal: { AWS: ROLE },
      Action: 'kms:CreateGrant',
      Resource: '*',
      Condition: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
    },
  ],
};

describe('EBS_KMS_KEY_UNUSABLE on moto', () => {
  it('a key policy that leaves out the Auto Scaling role; the printed fix makes the healthy twin', async () => {
    const keyArn = await encryptVolumesWithNewKey();
    const failing = await check([failure(KMS_MESSAGE), failure(KMS_MESSAGE)]);
    const finding = find(failing, 'EBS_KMS_KEY_UNUSABLE');
    expect(finding).toMatchObject({
      resourceId: keyArn,
      kmsKey: { keyArn, state: 'Enabled', missing: ['NO_USE_GRANT', 'NO_CREATE_GRANT'] },
      launchFailures: { count: 2, statusMessages: [KMS_MESSAGE] },
    });

    await runFix(finding?.fix as string);
    const healthy = await check([failure(KMS_MESSAGE)]);
    expect(find(healthy, 'EBS_KMS_KEY_UNUSABLE')).toBeUndefined();
    expect(healthy.findings.map((f) => f.code)).toEqual(['LAUNCH_FAILURES']);
  });

  it('a disabled key; enabling it (the fix) is the healthy twin', async () => {
    const keyArn = await encryptVolumesWithNewKey(DOCUMENTED);
    // By id: moto 5.2.1 answers DisableKey and ScheduleKeyDeletion of a key ARN with a 500.
    await kms.send(new DisableKeyCommand({ KeyId: keyArn.split('/')[1] }));
    const finding = find(await check([failure(KMS_MESSAGE)]), 'EBS_KMS_KEY_UNUSABLE');
    expect(finding?.kmsKey).toMatchObject({ state: 'Disabled', missing: ['KEY_DISABLED'] });
    await runFix(finding?.fix as string);
    expect(find(await check([failure(KMS_MESSAGE)]), 'EBS_KMS_KEY_UNUSABLE')).toBeUndefined();
  });

  it('a key pending deletion; cancelling and enabling (the fix) is the healthy twin', async () => {
    const keyArn = await encryptVolumesWithNewKey(DOCUMENTED);
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyArn.split('/')[1], PendingWindowInDays: 7 }));
    const finding = find(await check([failure(KMS_MESSAGE)]), 'EBS_KMS_KEY_UNUSABLE');
    expect(finding?.kmsKey).toMatchObject({ state: 'PendingDeletion', missing: ['KEY_PENDING_DELETION'] });
    await runFix(finding?.fix as string);
    expect(find(await check([failure(KMS_MESSAGE)]), 'EBS_KMS_KEY_UNUSABLE')).toBeUndefined();
  });
});

describe('SUBNET_ADDRESSES_EXHAUSTED on moto', () => {
  it('a /28 filled with instances; the same subnet with its instances gone is the healthy twin', async () => {
    const subnet = await ec2.send(
      new CreateSubnetCommand({
        VpcId: seed.vpcId,
        CidrBlock: '10.42.250.0/28',
        AvailabilityZone: seed.availabilityZone,
      }),
    );
    const subnetId = subnet.Subnet?.SubnetId as string;
    const launched = await ec2.send(
      new RunInstancesCommand({
        ImageId: 'ami-0eks0join0seed0001',
        MinCount: 11,
        MaxCount: 11,
        SubnetId: subnetId,
      }),
    );
    const message = `There are not enough free addresses in subnet '${subnetId}' to satisfy the requested number of instances. Launching EC2 instance failed.`;

    const failing = await check([failure(message)]);
    expect(find(failing, 'SUBNET_ADDRESSES_EXHAUSTED')).toMatchObject({
      resourceId: subnetId,
      subnetId,
      availableIpAddresses: 0,
      launchFailures: { count: 1, statusMessages: [message] },
    });

    // Healthy twin: the same kind of subnet with its addresses free (moto 5.2.1 keeps a terminated
    // instance's address, so terminating the 11 does not give them back).
    const roomy = await ec2.send(
      new CreateSubnetCommand({
        VpcId: seed.vpcId,
        CidrBlock: '10.42.251.0/28',
        AvailabilityZone: seed.availabilityZone,
      }),
    );
    const roomyId = roomy.Subnet?.SubnetId as string;
    const healthy = await check([failure(message.replace(subnetId, roomyId))]);
    expect(find(healthy, 'SUBNET_ADDRESSES_EXHAUSTED')).toBeUndefined();
    expect(find(healthy, 'LAUNCH_FAILURES')?.message).toContain(`${roomyId} has 11 free address(es) now`);
    expect(launched.Instances).toHaveLength(11);
  });
});

describe('LAUNCH_FAILURES on moto', () => {
  it("anything else is said with Auto Scaling's message; no failure, no finding", async () => {
    const capacity =
      'We currently do not have sufficient t3.medium capacity in the Availability Zone you requested (us-west-2a).';
    const failing = await check([failure(capacity)]);
    expect(failing.findings.map((f) => f.code)).toEqual(['LAUNCH_FAILURES']);
    expect(find(failing, 'LAUNCH_FAILURES')).toMatchObject({
      resourceId: seed.nodegroups.new.arn,
      launchFailures: { statusMessages: [capacity], count: 1 },
    });
    expect((await check([])).findings).toEqual([]);
  });
});
