/**
 * Failed launches read from Auto Scaling's message and confirmed against a snapshot: the KMS key of
 * the volumes (state, key policy for AWSServiceRoleForAutoScaling), the subnets' free addresses, and
 * everything else (or unconfirmed) as LAUNCH_FAILURES. Each cause has a failing case and a healthy twin.
 */
import { describe, expect, it } from 'vitest';
import { alertFingerprint } from '../../../functions/core/check/alertFingerprint.js';
import {
  autoScalingRoleArn,
  classifyLaunchFailure,
  diagnoseLaunchFailures,
  evaluateKeyPolicy,
  KEY_USE_ACTIONS,
  type KeyRead,
  type LaunchFailureInput,
} from '../../../functions/core/diagnose/diagnoseLaunchFailures.js';
import type { KmsKeyFacts } from '../../../functions/core/model/ports.js';
import type { LaunchFailure, NetworkSnapshot } from '../../../functions/core/model/types.js';
import { cluster, nodegroup, subnet, VPC } from '../../support/factories.js';

const ACCOUNT = '123456789012';
const ROLE = autoScalingRoleArn('aws', ACCOUNT);
const KEY_ID = '1234abcd-12ab-34cd-56ef-1234567890ab';
const KEY_ARN = `arn:aws:kms:us-west-2:${ACCOUNT}:key/${KEY_ID}`;
const ASG = 'eks-new_nodegroup_2-a6c9a1b2-3c4d-5e6f-7a8b-9c0d1e2f3a4b';
const KMS_MESSAGE = 'Client.InternalError: Client error on launch';
const UNHEALTHY_MESSAGE =
  'Instance became unhealthy while waiting for instance to be in InService state. Termination Reason: Client.InternalError: Client error on launch';
const SUBNET_A = 'subnet-0aaa00000000000a1';
const SUBNET_B = 'subnet-0bbb00000000000b2';
const SUBNET_C = 'subnet-0ccc00000000000c3';
const addressesMessage = (subnetId: string) =>
  `There are not enough free addresses in subnet '${subnetId}' to satisfy the requested number of instances. Launching EC2 instance failed.`;

const ROOT_ONLY = JSON.stringify({
  Version: '2012-10-17',
  Id: 'key-default-1',
  Statement: [
    {
      Sid: 'Enable IAM User Permissions',
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
      Action: 'kms:*',
      Resource: '*',
    },
  ],
});

/** The default policy plus the two statements AWS documents for the Auto Scaling role. */
const DOCUMENTED = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    ...JSON.parse(ROOT_ONLY).Statement,
    {
      Sid: 'Allow service-linked role use of the customer managed key',
      Effect: 'Allow',
      Principal: { AWS: [ROLE] },
      Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'],
      Resource: '*',
    },
    {
      Sid: 'Allow attachment of persistent resources',
      Effect: 'Allow',
      Principal: { AWS: [ROLE] },
      Action: ['kms:CreateGrant'],
      Resource: '*',
      Condition: { Bool: { 'kms:GrantIsForAWSResource': true } },
    },
  ],
});

function failure(overrides: Partial<LaunchFailure> = {}): LaunchFailure {
  return {
    autoScalingGroupName: ASG,
    statusMessage: KMS_MESSAGE,
    time: '2026-11-26T09:55:00Z',
    ...overrides,
  };
}

function key(overrides: Partial<KmsKeyFacts> = {}): KeyRead {
  return {
    kind: 'read',
    facts: {
      keyId: KEY_ID,
      keyArn: KEY_ARN,
      keyState: 'Enabled',
      keyManager: 'CUSTOMER',
      policy: DOCUMENTED,
      ...overrides,
    },
  };
}

function network(counts: Record<string, number | undefined>): NetworkSnapshot {
  return {
    vpcId: VPC,
    cidrBlocks: ['10.42.0.0/16'],
    subnets: Object.entries(counts).map(([id, count], n) => ({
      ...subnet(id, n === 0 ? 'us-west-2a' : 'us-west-2b', `10.42.${n * 16}.0/28`),
      ...(count !== undefined && { availableIpAddressCount: count }),
    })),
    routeTables: [],
    natGateways: [],
  };
}

function input(overrides: Partial<LaunchFailureInput> = {}): LaunchFailureInput {
  return {
    cluster: cluster(),
    nodegroup: nodegroup({
      subnetIds: [SUBNET_A, SUBNET_B, SUBNET_C],
      nodeRoleArn: `arn:aws:iam::${ACCOUNT}:role/eks-workshop-node-role`,
      instanceTypes: ['t3.medium'],
    }),
    failures: [failure()],
    volumes: [{ deviceName: '/dev/xvda', encrypted: true, kmsKeyId: KEY_ARN }],
    keys: new Map([[KEY_ARN, key()]]),
    networks: [],
    ...overrides,
  };
}

const codes = (i: LaunchFailureInput) => diagnoseLaunchFailures(i).map((f) => f.code);

describe('classifyLaunchFailure', () => {
  it.each([
    [KMS_MESSAGE, 'kms'],
    [UNHEALTHY_MESSAGE, 'kms'],
    ['Client.InvalidKMSKey.InvalidState: The KMS key provided is in an incorrect state', 'kms'],
    [addressesMessage(SUBNET_A), 'addresses'],
    ['InsufficientFreeAddressesInSubnet: no free addresses. Launching EC2 instance failed.', 'addresses'],
    [
      'We currently do not have sufficient t3.medium capacity in the Availability Zone you requested',
      'other',
    ],
    ['You have requested more vCPU capacity than your current vCPU limit of 32 allows', 'other'],
  ])('reads %j as %s', (statusMessage, kind) => {
    expect(classifyLaunchFailure(failure({ statusMessage })).kind).toBe(kind);
  });

  it('takes the subnet from the message, else from the event', () => {
    expect(classifyLaunchFailure(failure({ statusMessage: addressesMessage(SUBNET_B) }))).toEqual({
      kind: 'addresses',
      subnetId: SUBNET_B,
    });
    expect(
      classifyLaunchFailure(
        failure({ statusMessage: 'InsufficientFreeAddressesInSubnet', subnetId: SUBNET_C }),
      ),
    ).toEqual({ kind: 'addresses', subnetId: SUBNET_C });
  });
});

describe('evaluateKeyPolicy', () => {
  const context = { roleArn: ROLE, accountId: ACCOUNT, region: 'us-west-2', keyArn: KEY_ARN };
  const all = [...KEY_USE_ACTIONS, 'kms:CreateGrant'];
  const policy = (...Statement: object[]) => JSON.stringify({ Version: '2012-10-17', Statement });

  it('the documented statements let the role use the key and create grants', () => {
    expect(evaluateKeyPolicy(DOCUMENTED, all, context)).toEqual({ missing: [], deniedBy: [] });
  });

  it('the account principal alone does not: the role gets nothing on customer keys from IAM', () => {
    expect(evaluateKeyPolicy(ROOT_ONLY, all, context)?.missing).toEqual(all);
  });

  it('reads a string principal, "*" and wildcard actions', () => {
    expect(
      evaluateKeyPolicy(
        policy({ Effect: 'Allow', Principal: { AWS: ROLE }, Action: 'kms:*', Resource: '*' }),
        all,
        context,
      )?.missing,
    ).toEqual([]);
    expect(
      evaluateKeyPolicy(
        policy({
          Effect: 'Allow',
          Principal: '*',
          Action: '*',
          Resource: '*',
          Condition: { StringEquals: { 'kms:CallerAccount': ACCOUNT } },
        }),
        all,
        context,
      )?.missing,
    ).toEqual([]);
  });

  it('a use statement without CreateGrant leaves only the grant missing', () => {
    const use = {
      Effect: 'Allow',
      Principal: { AWS: [ROLE] },
      Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'],
      Resource: '*',
    };
    expect(evaluateKeyPolicy(policy(use), all, context)?.missing).toEqual(['kms:CreateGrant']);
  });

  it('a grant statement whose condition excludes AWS resources does not allow CreateGrant', () => {
    const grant = {
      Effect: 'Allow',
      Principal: { AWS: ROLE },
      Action: 'kms:CreateGrant',
      Resource: '*',
      Condition: { Bool: { 'kms:GrantIsForAWSResource': 'false' } },
    };
    expect(evaluateKeyPolicy(policy(grant), ['kms:CreateGrant'], context)?.missing).toEqual([
      'kms:CreateGrant',
    ]);
  });

  it('a Deny for the account covers the role, and is named', () => {
    const deny = {
      Sid: 'NoDecrypt',
      Effect: 'Deny',
      Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
      Action: 'kms:Decrypt',
      Resource: '*',
    };
    const verdict = evaluateKeyPolicy(
      JSON.stringify({ Statement: [...JSON.parse(DOCUMENTED).Statement, deny] }),
      all,
      context,
    );
    expect(verdict).toEqual({ missing: ['kms:Decrypt'], deniedBy: ['NoDecrypt'] });
  });

  it('a Deny whose condition cannot be judged is not taken to apply', () => {
    const deny = {
      Effect: 'Deny',
      Principal: '*',
      Action: 'kms:*',
      Resource: '*',
      Condition: { IpAddress: { 'aws:SourceIp': '203.0.113.0/24' } },
    };
    const verdict = evaluateKeyPolicy(
      JSON.stringify({ Statement: [...JSON.parse(DOCUMENTED).Statement, deny] }),
      all,
      context,
    );
    expect(verdict?.missing).toEqual([]);
  });

  it('a Deny on everyone but the role does not cover it', () => {
    const deny = { Effect: 'Deny', NotPrincipal: { AWS: [ROLE] }, Action: 'kms:*', Resource: '*' };
    const verdict = evaluateKeyPolicy(
      JSON.stringify({ Statement: [...JSON.parse(DOCUMENTED).Statement, deny] }),
      all,
      context,
    );
    expect(verdict?.missing).toEqual([]);
  });

  it('is undefined for a document that is not a policy', () => {
    expect(evaluateKeyPolicy('not json', all, context)).toBeUndefined();
  });
});

describe('EBS_KMS_KEY_UNUSABLE', () => {
  it('a key policy without the Auto Scaling role: the statements to add, as JSON, in runnable commands', () => {
    const [finding, ...rest] = diagnoseLaunchFailures(
      input({ keys: new Map([[KEY_ARN, key({ policy: ROOT_ONLY })]]) }),
    );
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({
      code: 'EBS_KMS_KEY_UNUSABLE',
      severity: 'critical',
      resourceId: KEY_ARN,
      kmsKey: {
        keyId: KEY_ID,
        keyArn: KEY_ARN,
        state: 'Enabled',
        missing: ['NO_USE_GRANT', 'NO_CREATE_GRANT'],
      },
      launchFailures: { statusMessages: [KMS_MESSAGE], count: 1 },
    });
    expect(finding?.message).toContain(`the KMS key ${KEY_ARN} of its encrypted EBS volume(s) (/dev/xvda)`);
    const fix = finding?.fix ?? '';
    expect(fix).toContain(
      `aws kms put-key-policy --key-id ${KEY_ID} --policy-name default --policy file://key-policy.json --region us-west-2`,
    );
    const json = fix.slice(fix.indexOf('[\n'), fix.indexOf('\nEOF'));
    const statements = JSON.parse(json);
    expect(statements).toEqual(
      JSON.parse(DOCUMENTED)
        .Statement.slice(1)
        .map((s: { Principal: unknown }) => ({ ...s, Principal: { AWS: ROLE } })),
    );
    // Added to the policy, they close both gaps.
    const fixed = JSON.stringify({ Statement: [...JSON.parse(ROOT_ONLY).Statement, ...statements] });
    expect(
      evaluateKeyPolicy(fixed, [...KEY_USE_ACTIONS, 'kms:CreateGrant'], {
        roleArn: ROLE,
        accountId: ACCOUNT,
        region: 'us-west-2',
      })?.missing,
    ).toEqual([]);
    expect(fix).not.toContain('enable-key');
  });

  it('a disabled key: enable it, and nothing about the policy when the policy is fine', () => {
    const [finding] = diagnoseLaunchFailures(
      input({ keys: new Map([[KEY_ARN, key({ keyState: 'Disabled' })]]) }),
    );
    expect(finding?.kmsKey).toMatchObject({ state: 'Disabled', missing: ['KEY_DISABLED'] });
    expect(finding?.fix).toContain(`aws kms enable-key --key-id ${KEY_ID} --region us-west-2`);
    expect(finding?.fix).not.toContain('put-key-policy');
  });

  it('a key pending deletion: cancel the deletion, then enable it', () => {
    const [finding] = diagnoseLaunchFailures(
      input({ keys: new Map([[KEY_ARN, key({ keyState: 'PendingDeletion', policy: undefined })]]) }),
    );
    expect(finding?.kmsKey?.missing).toEqual(['KEY_PENDING_DELETION']);
    const fix = finding?.fix ?? '';
    expect(fix.indexOf(`aws kms cancel-key-deletion --key-id ${KEY_ID} --region us-west-2`)).toBeGreaterThan(
      -1,
    );
    expect(fix.indexOf('cancel-key-deletion')).toBeLessThan(fix.indexOf('enable-key'));
  });

  it('the account default key (encryption by default) counts like a named one', () => {
    const findings = diagnoseLaunchFailures(
      input({
        volumes: [{ encrypted: true, kmsKeyId: KEY_ARN }],
        keys: new Map([[KEY_ARN, key({ policy: ROOT_ONLY })]]),
      }),
    );
    expect(findings[0]?.message).toContain('(root volume)');
  });

  it('healthy twin: the documented policy, enabled key → no KMS finding, the message alone', () => {
    const findings = diagnoseLaunchFailures(input());
    expect(findings.map((f) => f.code)).toEqual(['LAUNCH_FAILURES']);
    expect(findings[0]?.message).toContain('not confirmed');
  });

  it('healthy twin: the AWS managed key, by alias or by KeyManager, is always usable', () => {
    expect(
      codes(input({ volumes: [{ encrypted: true, kmsKeyId: 'alias/aws/ebs' }], keys: new Map() })),
    ).toEqual(['LAUNCH_FAILURES']);
    expect(
      codes(input({ keys: new Map([[KEY_ARN, key({ keyManager: 'AWS', policy: ROOT_ONLY })]]) })),
    ).toEqual(['LAUNCH_FAILURES']);
  });

  it('unencrypted volumes, an unread policy or unread volumes leave it unconfirmed, with why', () => {
    const unencrypted = diagnoseLaunchFailures(
      input({ volumes: [{ deviceName: '/dev/xvda', encrypted: false }] }),
    );
    expect(unencrypted.map((f) => f.code)).toEqual(['LAUNCH_FAILURES']);
    expect(unencrypted[0]?.message).toContain('not encrypted');
    const unread = diagnoseLaunchFailures(input({ keys: new Map([[KEY_ARN, key({ policy: undefined })]]) }));
    expect(unread[0]?.message).toContain(`the key policy of ${KEY_ARN} could not be read`);
    const noVolumes = diagnoseLaunchFailures(input({ volumes: undefined, volumesUnread: 'access denied' }));
    expect(noVolumes[0]?.message).toContain('could not be read (access denied)');
  });

  it('a key that no longer exists is unusable', () => {
    const [finding] = diagnoseLaunchFailures(input({ keys: new Map([[KEY_ARN, { kind: 'not-found' }]]) }));
    expect(finding).toMatchObject({
      code: 'EBS_KMS_KEY_UNUSABLE',
      kmsKey: { state: 'NotFound', missing: ['KEY_NOT_ENABLED'] },
    });
  });
});

describe('SUBNET_ADDRESSES_EXHAUSTED', () => {
  const full = input({
    failures: [
      failure({ statusMessage: addressesMessage(SUBNET_A), time: '2026-11-26T09:50:00Z' }),
      failure({ statusMessage: addressesMessage(SUBNET_A), time: '2026-11-26T09:58:00Z' }),
    ],
    networks: [network({ [SUBNET_A]: 0, [SUBNET_B]: 7, [SUBNET_C]: 40 })],
  });

  it('a full subnet: free addresses, the subnets with room, and commands to get room', () => {
    const [finding, ...rest] = diagnoseLaunchFailures(full);
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({
      code: 'SUBNET_ADDRESSES_EXHAUSTED',
      severity: 'critical',
      resourceId: SUBNET_A,
      subnetId: SUBNET_A,
      availableIpAddresses: 0,
      subnetsWithRoom: [
        { subnetId: SUBNET_C, availableIpAddresses: 40 },
        { subnetId: SUBNET_B, availableIpAddresses: 7 },
      ],
      launchFailures: { count: 2, firstAt: '2026-11-26T09:50:00Z', lastAt: '2026-11-26T09:58:00Z' },
    });
    expect(finding?.fix).toContain(
      `aws eks create-nodegroup --cluster-name eks-workshop --nodegroup-name new_nodegroup_2-2 --subnets ${SUBNET_C} ${SUBNET_B} --node-role arn:aws:iam::${ACCOUNT}:role/eks-workshop-node-role --scaling-config minSize=0,maxSize=2,desiredSize=1 --instance-types t3.medium --region us-west-2`,
    );
    expect(finding?.fix).toContain(
      `aws ec2 associate-vpc-cidr-block --vpc-id ${VPC} --cidr-block 100.64.0.0/16 --region us-west-2`,
    );
    expect(finding?.fix).toContain(`Name=subnet-id,Values=${SUBNET_A}`);
  });

  it('healthy twin: the subnet has room now → no address finding, the message alone', () => {
    const findings = diagnoseLaunchFailures({
      ...full,
      networks: [network({ [SUBNET_A]: 9, [SUBNET_B]: 7 })],
    });
    expect(findings.map((f) => f.code)).toEqual(['LAUNCH_FAILURES']);
    expect(findings[0]?.message).toContain(`${SUBNET_A} has 9 free address(es) now`);
  });

  it('unread subnets leave it unconfirmed', () => {
    expect(codes({ ...full, networks: [] })).toEqual(['LAUNCH_FAILURES']);
  });
});

describe('LAUNCH_FAILURES', () => {
  it("anything else: Auto Scaling's messages (distinct), the count, and the nodegroup's health issues", () => {
    const capacity =
      'We currently do not have sufficient t3.medium capacity in the Availability Zone you requested (us-west-2a).';
    const [finding] = diagnoseLaunchFailures(
      input({
        failures: [
          failure({ statusMessage: capacity, time: '2026-11-26T09:59:00Z' }),
          failure({ statusMessage: capacity, time: '2026-11-26T09:51:00Z' }),
        ],
        nodegroup: nodegroup({
          healthIssues: [
            { code: 'AsgInstanceLaunchFailures', message: 'Instance launches failed.', resourceIds: [ASG] },
          ],
        }),
      }),
    );
    expect(finding).toMatchObject({
      code: 'LAUNCH_FAILURES',
      severity: 'critical',
      resourceId: nodegroup().arn,
      launchFailures: {
        statusMessages: [capacity],
        count: 2,
        firstAt: '2026-11-26T09:51:00Z',
        lastAt: '2026-11-26T09:59:00Z',
      },
    });
    expect(finding?.message).toContain(
      'EKS health issues: AsgInstanceLaunchFailures: Instance launches failed.',
    );
    expect(finding?.fix).toContain(
      `aws autoscaling describe-scaling-activities --auto-scaling-group-name ${ASG}`,
    );
  });

  it('no failures, no finding', () => {
    expect(diagnoseLaunchFailures(input({ failures: [] }))).toEqual([]);
  });
});

describe('alert fingerprint', () => {
  it('does not change with the count, the times or the messages of the failures', () => {
    const once = diagnoseLaunchFailures(input({ keys: new Map([[KEY_ARN, key({ policy: ROOT_ONLY })]]) }));
    const again = diagnoseLaunchFailures(
      input({
        keys: new Map([[KEY_ARN, key({ policy: ROOT_ONLY })]]),
        failures: [
          failure({ time: '2026-11-26T10:10:00Z' }),
          failure({ statusMessage: UNHEALTHY_MESSAGE, time: '2026-11-26T10:20:00Z' }),
        ],
      }),
    );
    expect(again[0]?.launchFailures?.count).toBe(2);
    expect(alertFingerprint('problem', again)).toBe(alertFingerprint('problem', once));
    const other = (statusMessage: string, time: string) =>
      diagnoseLaunchFailures(input({ failures: [failure({ statusMessage, time })] }));
    expect(alertFingerprint('problem', other('Capacity A', '2026-11-26T10:00:00Z'))).toBe(
      alertFingerprint('problem', other('Capacity B', '2026-11-26T11:00:00Z')),
    );
  });
});
