import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import {
  DescribeLaunchTemplateVersionsCommand,
  GetEbsDefaultKmsKeyIdCommand,
  GetEbsEncryptionByDefaultCommand,
} from '@aws-sdk/client-ec2';
import { DescribeKeyCommand, GetKeyPolicyCommand, KMSClient } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { AwsLaunchReader } from '../../../functions/aws/AwsLaunchReader.js';
import { AwsCallError, NotFoundError } from '../../../functions/core/model/errors.js';
import { nodegroup } from '../../support/factories.js';
import { mockedClients } from '../../support/sdkClients.js';
import { mockSdkClients } from '../../support/sdkMocks.js';

const { autoScaling: asgMock, ec2: ec2Mock } = mockSdkClients('autoScaling', 'ec2');
const kmsMock = mockClient(KMSClient);
beforeEach(() => {
  kmsMock.reset();
});

const ng = nodegroup();
const ASG = ng.autoScalingGroupNames[0] as string;
const KEY_ARN = 'arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

function awsError(name: string, status: number): Error {
  return Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
}

const reader = () => new AwsLaunchReader({ clients: mockedClients() });

function groupWith(template: object) {
  asgMock.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [template as never] });
}

describe('AwsLaunchReader.readLaunchVolumes', () => {
  it("reads the group's launch template version and its encrypted volumes, without asking for defaults it does not need", async () => {
    groupWith({ AutoScalingGroupName: ASG, LaunchTemplate: { LaunchTemplateId: 'lt-0eks', Version: '3' } });
    ec2Mock
      .on(DescribeLaunchTemplateVersionsCommand, { LaunchTemplateId: 'lt-0eks', Versions: ['3'] })
      .resolves({
        LaunchTemplateVersions: [
          {
            LaunchTemplateData: {
              BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { Encrypted: true, KmsKeyId: KEY_ARN } }],
            },
          },
        ],
      });
    const r = reader();
    expect(await r.readLaunchVolumes(ng)).toEqual([
      { deviceName: '/dev/xvda', encrypted: true, kmsKeyId: KEY_ARN },
    ]);
    await r.readLaunchVolumes(ng);
    expect(ec2Mock.commandCalls(DescribeLaunchTemplateVersionsCommand)).toHaveLength(1);
    expect(ec2Mock.commandCalls(GetEbsEncryptionByDefaultCommand)).toHaveLength(0);
    expect(ec2Mock.commandCalls(GetEbsDefaultKmsKeyIdCommand)).toHaveLength(0);
  });

  it("applies encryption by default and the account's default key; a mixed instances policy's template counts", async () => {
    groupWith({
      AutoScalingGroupName: ASG,
      MixedInstancesPolicy: {
        LaunchTemplate: { LaunchTemplateSpecification: { LaunchTemplateName: 'eks-lt' } },
      },
    });
    ec2Mock
      .on(DescribeLaunchTemplateVersionsCommand, { LaunchTemplateName: 'eks-lt', Versions: ['$Default'] })
      .resolves({
        LaunchTemplateVersions: [
          {
            LaunchTemplateData: {
              BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { VolumeSize: 20 } }],
            },
          },
        ],
      })
      .on(GetEbsEncryptionByDefaultCommand)
      .resolves({ EbsEncryptionByDefault: true })
      .on(GetEbsDefaultKmsKeyIdCommand)
      .resolves({ KmsKeyId: KEY_ARN });
    expect(await reader().readLaunchVolumes(ng)).toEqual([
      { deviceName: '/dev/xvda', encrypted: true, kmsKeyId: KEY_ARN },
    ]);
  });

  it('a template without volumes under encryption by default: the AMI root volume, encrypted', async () => {
    groupWith({ AutoScalingGroupName: ASG, LaunchTemplate: { LaunchTemplateId: 'lt-0eks', Version: '1' } });
    ec2Mock
      .on(DescribeLaunchTemplateVersionsCommand)
      .resolves({ LaunchTemplateVersions: [{ LaunchTemplateData: {} }] })
      .on(GetEbsEncryptionByDefaultCommand)
      .resolves({ EbsEncryptionByDefault: true })
      .on(GetEbsDefaultKmsKeyIdCommand)
      .rejects(awsError('UnauthorizedOperation', 403));
    expect(await reader().readLaunchVolumes(ng)).toEqual([{ encrypted: true }]);
  });

  it("falls back to the nodegroup's own launch template when the group cannot be read", async () => {
    asgMock.on(DescribeAutoScalingGroupsCommand).rejects(awsError('AccessDenied', 403));
    ec2Mock
      .on(DescribeLaunchTemplateVersionsCommand, { LaunchTemplateId: 'lt-0mine', Versions: ['2'] })
      .resolves({
        LaunchTemplateVersions: [
          {
            LaunchTemplateData: {
              BlockDeviceMappings: [{ DeviceName: '/dev/xvdb', Ebs: { Encrypted: false } }],
            },
          },
        ],
      })
      .on(GetEbsEncryptionByDefaultCommand)
      .resolves({ EbsEncryptionByDefault: false });
    const mine = nodegroup({ launchTemplate: { id: 'lt-0mine', version: '2' } });
    expect(await reader().readLaunchVolumes(mine)).toEqual([{ deviceName: '/dev/xvdb', encrypted: false }]);
  });

  it('is undefined when neither the group nor a template can be read', async () => {
    asgMock.on(DescribeAutoScalingGroupsCommand).rejects(awsError('AccessDenied', 403));
    expect(await reader().readLaunchVolumes(ng)).toBeUndefined();
  });

  it('throws an AwsCallError naming the action when throttled beyond retries', async () => {
    asgMock.on(DescribeAutoScalingGroupsCommand).rejects(awsError('Throttling', 400));
    await expect(reader().readLaunchVolumes(ng)).rejects.toThrow(AwsCallError);
    await expect(reader().readLaunchVolumes(ng)).rejects.toThrow(/autoscaling:DescribeAutoScalingGroups/);
  });
});

describe('AwsLaunchReader.readKmsKey', () => {
  it('reads the state, the manager and the default policy, once per key', async () => {
    kmsMock
      .on(DescribeKeyCommand, { KeyId: 'alias/nodes' })
      .resolves({ KeyMetadata: { KeyId: 'k-1', Arn: KEY_ARN, KeyState: 'Disabled', KeyManager: 'CUSTOMER' } })
      .on(GetKeyPolicyCommand, { KeyId: KEY_ARN, PolicyName: 'default' })
      .resolves({ Policy: '{"Statement":[]}' });
    const r = reader();
    const facts = await r.readKmsKey('alias/nodes');
    await r.readKmsKey('alias/nodes');
    expect(facts).toEqual({
      keyId: 'k-1',
      keyArn: KEY_ARN,
      keyState: 'Disabled',
      keyManager: 'CUSTOMER',
      policy: '{"Statement":[]}',
    });
    expect(kmsMock.commandCalls(DescribeKeyCommand)).toHaveLength(1);
  });

  it('leaves out what access denied hides, and reads no policy of an AWS managed key', async () => {
    kmsMock.on(DescribeKeyCommand).rejects(awsError('AccessDeniedException', 400));
    kmsMock.on(GetKeyPolicyCommand).rejects(awsError('AccessDeniedException', 400));
    expect(await reader().readKmsKey(KEY_ARN)).toEqual({ keyId: KEY_ARN });
    kmsMock.reset();
    kmsMock
      .on(DescribeKeyCommand)
      .resolves({ KeyMetadata: { KeyId: 'aws-1', Arn: KEY_ARN, KeyState: 'Enabled', KeyManager: 'AWS' } });
    expect(await reader().readKmsKey('alias/aws/ebs')).toMatchObject({ keyManager: 'AWS' });
    expect(kmsMock.commandCalls(GetKeyPolicyCommand)).toHaveLength(0);
  });

  it('throws NotFoundError for a key that does not exist', async () => {
    kmsMock.on(DescribeKeyCommand).rejects(awsError('NotFoundException', 400));
    await expect(reader().readKmsKey(KEY_ARN)).rejects.toThrow(NotFoundError);
  });
});
