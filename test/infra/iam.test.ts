import type { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import type { DeploymentSettings } from '../../infra/config.js';
import { FULL_SETTINGS, synthStack } from './synthStack.js';

interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: unknown;
  NotResource?: unknown;
  Condition?: Record<string, unknown>;
}
interface Found {
  where: string;
  statement: Statement;
}

/** Every statement of every identity policy in the template: AWS::IAM::Policy, ManagedPolicy, Role inline. */
function identityStatements(template: Template): Found[] {
  const found: Found[] = [];
  const resources = template.toJSON().Resources as Record<
    string,
    { Type: string; Properties?: Record<string, unknown> }
  >;
  for (const [id, resource] of Object.entries(resources)) {
    const documents: unknown[] = [];
    if (resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy') {
      documents.push(resource.Properties?.PolicyDocument);
    }
    if (resource.Type === 'AWS::IAM::Role') {
      for (const policy of (resource.Properties?.Policies as { PolicyDocument: unknown }[] | undefined) ??
        []) {
        documents.push(policy.PolicyDocument);
      }
    }
    for (const document of documents) {
      for (const statement of (document as { Statement: Statement[] }).Statement)
        found.push({ where: id, statement });
    }
  }
  return found;
}

const asList = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];
const isRead = (action: string) => /^[a-z0-9-]+:(Describe|List|Get|Lookup)[A-Za-z0-9]*$/.test(action);

/** Least privilege: no `*` action (nor service:*), no write on Resource `*` without a condition. */
function violations(template: Template): string[] {
  const problems: string[] = [];
  for (const { where, statement } of identityStatements(template)) {
    if (statement.Effect !== 'Allow') continue;
    const label = `${where}${statement.Sid ? `/${statement.Sid}` : ''}`;
    if (statement.NotAction) problems.push(`${label}: NotAction grants everything else`);
    if (statement.NotResource) problems.push(`${label}: NotResource grants everything else`);
    const actions = asList(statement.Action);
    for (const action of actions) {
      if (action === '*' || action.endsWith(':*')) problems.push(`${label}: action ${action}`);
    }
    const onEverything = asList(statement.Resource).includes('*');
    const writes = actions.filter((a) => !isRead(a));
    if (onEverything && !statement.Condition && writes.length > 0) {
      problems.push(`${label}: ${writes.join(', ')} on Resource * without a condition`);
    }
  }
  return problems;
}

function allowedActions(template: Template): string[] {
  return identityStatements(template)
    .filter(({ statement }) => statement.Effect === 'Allow')
    .flatMap(({ statement }) => asList(statement.Action));
}

function statementWithSid(template: Template, sid: string): Statement | undefined {
  return identityStatements(template).find(({ statement }) => statement.Sid === sid)?.statement;
}

/** EC2 and Auto Scaling reads that have no resource-level permissions: on Resource `*`. */
const NETWORK_READS = [
  'autoscaling:DescribeAutoScalingGroups',
  'autoscaling:DescribeAutoScalingInstances',
  'ec2:DescribeInstances',
  'ec2:DescribeInternetGateways',
  'ec2:DescribeManagedPrefixLists',
  'ec2:DescribeNatGateways',
  'ec2:DescribeNetworkAcls',
  'ec2:DescribeRouteTables',
  'ec2:DescribeSecurityGroups',
  'ec2:DescribeSubnets',
  'ec2:DescribeVpcAttribute',
  'ec2:DescribeVpcs',
  'ec2:DescribeVpcEndpoints',
];

const REMEDIATION_WRITES = [
  'ec2:CreateRoute',
  'ec2:ReplaceRoute',
  'autoscaling:TerminateInstanceInAutoScalingGroup',
  'eks:UpdateNodegroupConfig',
];

const VARIANTS: Record<string, DeploymentSettings> = {
  'defaults (notify, no clusters)': {},
  'notify with clusters': { clusters: ['eks-workshop'] },
  'dry-run with a tag-scoped route table': { policy: 'dry-run', clusters: ['eks-workshop'] },
  'remediate with everything': FULL_SETTINGS,
};

describe('IAM', () => {
  for (const [name, settings] of Object.entries(VARIANTS)) {
    it(`has no * action and no unconditioned write on Resource * (${name})`, () => {
      const { template } = synthStack(settings);
      expect(identityStatements(template).length).toBeGreaterThan(0);
      expect(violations(template)).toEqual([]);
    });
  }

  it('the check catches a write on Resource * without a condition, and a * action', () => {
    const { template } = synthStack({});
    const json = template.toJSON();
    type PolicyResource = { Type: string; Properties: { PolicyDocument: { Statement: Statement[] } } };
    const policy = Object.values(json.Resources as Record<string, PolicyResource>).find(
      (r) => r.Type === 'AWS::IAM::Policy',
    );
    policy?.Properties.PolicyDocument.Statement.push(
      { Effect: 'Allow', Action: 'ec2:CreateRoute', Resource: '*' },
      { Effect: 'Allow', Action: '*', Resource: 'arn:aws:s3:::bucket' },
    );
    const tampered = { toJSON: () => json } as unknown as Template;
    expect(violations(tampered)).toEqual([
      expect.stringContaining('ec2:CreateRoute on Resource * without a condition'),
      expect.stringContaining('action *'),
    ]);
  });

  it('reads the evidence of failed launches, boot output and who changed what, scoped where IAM allows', () => {
    const { template } = synthStack({ clusters: ['eks-workshop'] });
    const volumes = statementWithSid(template, 'ReadLaunchVolumes');
    expect(asList(volumes?.Action).sort()).toEqual([
      'ec2:DescribeLaunchTemplateVersions',
      'ec2:GetEbsDefaultKmsKeyId',
      'ec2:GetEbsEncryptionByDefault',
    ]);
    expect(volumes?.Resource).toBe('*');
    const keys = statementWithSid(template, 'ReadLaunchVolumeKeys');
    expect(keys?.Action).toEqual(['kms:DescribeKey', 'kms:GetKeyPolicy']);
    expect(JSON.stringify(keys?.Resource)).toContain(':kms:');
    const boot = statementWithSid(template, 'ReadBootEvidence');
    expect(boot?.Action).toBe('ec2:GetConsoleOutput');
    expect(JSON.stringify(boot?.Resource)).toContain(':instance/*');
    // Only the watched clusters' nodes.
    expect(boot?.Condition).toEqual({ StringLike: { 'aws:ResourceTag/eks:cluster-name': ['eks-workshop'] } });
    expect(statementWithSid(template, 'ReadWhoChangedIt')).toMatchObject({
      Action: 'cloudtrail:LookupEvents',
      Resource: '*',
    });
  });

  it('under policy notify (and off) the role gets no remediation write at all', () => {
    for (const policy of ['notify', 'off'] as const) {
      const { template } = synthStack({ policy, clusters: ['eks-workshop'] });
      const actions = allowedActions(template);
      for (const write of REMEDIATION_WRITES) expect(actions, `${policy}: ${write}`).not.toContain(write);
      // Nothing that changes EC2, Auto Scaling or EKS.
      expect(actions.filter((a) => /^(ec2|autoscaling|eks):/.test(a) && !isRead(a))).toEqual([]);
    }
  });

  it('under dry-run and remediate the role may make exactly the remediation writes', () => {
    for (const policy of ['dry-run', 'remediate'] as const) {
      const { template } = synthStack({ policy, clusters: ['eks-workshop'], recycleStrategy: 'scale-cycle' });
      const writes = allowedActions(template).filter((a) => /^(ec2|autoscaling|eks):/.test(a) && !isRead(a));
      expect(writes.sort()).toEqual([...REMEDIATION_WRITES].sort());
    }
  });

  it('may change a nodegroup’s scaling (eks:UpdateNodegroupConfig) only with the scale-cycle strategy', () => {
    for (const recycleStrategy of [undefined, 'replace-unjoined'] as const) {
      const { template } = synthStack({
        policy: 'remediate',
        clusters: ['eks-workshop'],
        ...(recycleStrategy && { recycleStrategy }),
      });
      const writes = allowedActions(template).filter((a) => /^(ec2|autoscaling|eks):/.test(a) && !isRead(a));
      expect(writes.sort(), String(recycleStrategy)).toEqual(
        ['autoscaling:TerminateInstanceInAutoScalingGroup', 'ec2:CreateRoute', 'ec2:ReplaceRoute'].sort(),
      );
      expect(statementWithSid(template, 'ScaleCycleNodegroups')).toBeUndefined();
    }
    const { template } = synthStack({
      policy: 'remediate',
      clusters: ['eks-workshop'],
      recycleStrategy: 'scale-cycle',
    });
    expect(allowedActions(template)).toContain('eks:UpdateNodegroupConfig');
    // eks:DescribeNodegroup stays a read of the watched clusters, whatever the strategy.
    expect(statementWithSid(template, 'ReadWatchedNodegroups')?.Action).toBe('eks:DescribeNodegroup');
  });

  it('patches route tables only in the configured VPCs (ec2:Vpc)', () => {
    const { template } = synthStack(FULL_SETTINGS);
    const statement = statementWithSid(template, 'PatchDefaultRoute');
    expect(statement?.Action).toEqual(['ec2:CreateRoute', 'ec2:ReplaceRoute']);
    expect(JSON.stringify(statement?.Resource)).toContain(':route-table/*');
    const vpcs = (statement?.Condition as { ArnEquals: { 'ec2:Vpc': unknown[] } } | undefined)?.ArnEquals[
      'ec2:Vpc'
    ];
    expect(JSON.stringify(vpcs)).toContain(':vpc/vpc-0a1b2c3d4e5f60718');
  });

  it('without vpcIds, patches only route tables tagged for it', () => {
    const { template } = synthStack({ policy: 'remediate', clusters: ['eks-workshop'] });
    expect(statementWithSid(template, 'PatchDefaultRoute')?.Condition).toEqual({
      StringEquals: { 'aws:ResourceTag/eks-join-remediator/managed': 'true' },
    });
  });

  it('terminates instances only in eks-* groups tagged with a watched cluster', () => {
    const { template } = synthStack(FULL_SETTINGS);
    const statement = statementWithSid(template, 'ReplaceUnjoinedInstances');
    expect(statement?.Action).toBe('autoscaling:TerminateInstanceInAutoScalingGroup');
    expect(JSON.stringify(statement?.Resource)).toContain(':autoScalingGroup:*:autoScalingGroupName/eks-*');
    expect(statement?.Condition).toEqual({
      StringEquals: { 'aws:ResourceTag/eks:cluster-name': ['eks-workshop', 'prod_2'] },
    });
  });

  it("scale-cycle updates only the watched clusters' nodegroups, in this account and region", () => {
    const { template } = synthStack(FULL_SETTINGS);
    const statement = statementWithSid(template, 'ScaleCycleNodegroups');
    expect(statement?.Action).toBe('eks:UpdateNodegroupConfig');
    // The ARN names the cluster. No aws:ResourceTag/eks:cluster-name condition: EKS puts that tag on the
    // nodegroup's Auto Scaling group and instances, not on the nodegroup, so it would deny every call.
    expect(statement?.Condition).toBeUndefined();
    // Nothing else may call it.
    const granting = identityStatements(template).filter(
      ({ statement: s }) => s.Effect === 'Allow' && asList(s.Action).includes('eks:UpdateNodegroupConfig'),
    );
    expect(granting).toHaveLength(1);
    const resources = asList(statement?.Resource);
    expect(resources).toHaveLength(2);
    for (const [i, cluster] of ['eks-workshop', 'prod_2'].entries()) {
      expect(resources[i]).toEqual({
        'Fn::Join': [
          '',
          [
            'arn:',
            { Ref: 'AWS::Partition' },
            ':eks:',
            { Ref: 'AWS::Region' },
            ':',
            { Ref: 'AWS::AccountId' },
            `:nodegroup/${cluster}/*/*`,
          ],
        ],
      });
    }
  });

  it('reads EKS only on the watched clusters, and EC2/Auto Scaling with Describe calls only', () => {
    const { template } = synthStack({ clusters: ['eks-workshop'] });
    const clusters = statementWithSid(template, 'ReadWatchedClusters');
    expect(JSON.stringify(clusters?.Resource)).toContain(':cluster/eks-workshop"');
    const nodegroups = statementWithSid(template, 'ReadWatchedNodegroups');
    expect(nodegroups?.Action).toBe('eks:DescribeNodegroup');
    expect(JSON.stringify(nodegroups?.Resource)).toContain(':nodegroup/eks-workshop/*/*"');
    const network = statementWithSid(template, 'ReadNetworkInstancesAndGroups');
    expect(asList(network?.Action).every((a) => /^(ec2|autoscaling):Describe/.test(a))).toBe(true);
    expect(network?.Resource).toBe('*');
    expect(asList(network?.Action).sort()).toEqual([...NETWORK_READS].sort());
  });

  it("limits the reads on * to the stack's own region (aws:RequestedRegion)", () => {
    const { template } = synthStack({});
    for (const sid of ['ReadNetworkInstancesAndGroups', 'ReadLaunchVolumes', 'ReadWhoChangedIt']) {
      const statement = statementWithSid(template, sid);
      expect(statement?.Resource, sid).toBe('*');
      expect(statement?.Condition, sid).toEqual({
        StringEquals: { 'aws:RequestedRegion': [{ Ref: 'AWS::Region' }] },
      });
    }
  });

  it('reads prefix list entries on prefix lists of this region only, of any owner (AWS-managed, shared)', () => {
    const { template } = synthStack({});
    const statement = statementWithSid(template, 'ReadPrefixListEntries');
    expect(statement?.Action).toBe('ec2:GetManagedPrefixListEntries');
    expect(statement?.Condition).toBeUndefined();
    expect(statement?.Resource).toEqual({
      'Fn::Join': [
        '',
        ['arn:', { Ref: 'AWS::Partition' }, ':ec2:', { Ref: 'AWS::Region' }, ':*:prefix-list/*'],
      ],
    });
  });

  it('grants exactly these EC2, Auto Scaling and EKS reads, whatever the policy', () => {
    for (const policy of ['notify', 'remediate'] as const) {
      const { template } = synthStack({ policy, clusters: ['eks-workshop'] });
      const reads = allowedActions(template).filter((a) => /^(ec2|autoscaling|eks):/.test(a) && isRead(a));
      expect(reads.sort(), policy).toEqual(
        [
          ...NETWORK_READS,
          'ec2:GetManagedPrefixListEntries',
          'ec2:DescribeLaunchTemplateVersions',
          'ec2:GetEbsEncryptionByDefault',
          'ec2:GetEbsDefaultKmsKeyId',
          'ec2:GetConsoleOutput',
          'eks:DescribeAccessEntry',
          'eks:DescribeAddon',
          'eks:DescribeCluster',
          'eks:DescribeNodegroup',
          'eks:ListAccessEntries',
          'eks:ListNodegroups',
          'eks:ListPodIdentityAssociations',
        ].sort(),
      );
    }
  });

  it('publishes to the topic, uses its key, and reaches the state table and queue only', () => {
    const { template } = synthStack({});
    const actions = allowedActions(template);
    expect(actions).toEqual(
      expect.arrayContaining(['sns:Publish', 'kms:GenerateDataKey*', 'dynamodb:PutItem']),
    );
    // The state store's calls: records, locks, alert claims, and the last checks read in batches.
    expect(actions.filter((a) => a.startsWith('dynamodb:')).sort()).toEqual(
      [
        'dynamodb:BatchGetItem',
        'dynamodb:DeleteItem',
        'dynamodb:PutItem',
        'dynamodb:Query',
        'dynamodb:UpdateItem',
      ].sort(),
    );
    for (const { statement } of identityStatements(template)) {
      const services = new Set(asList(statement.Action).map((a) => a.split(':')[0]));
      if (services.has('sns') || services.has('kms') || services.has('dynamodb') || services.has('sqs')) {
        expect(statement.Resource, JSON.stringify(statement)).not.toBe('*');
        expect(JSON.stringify(statement.Resource)).toMatch(/"(Ref|Fn::GetAtt)"/);
      }
    }
  });

  it('the network-interface permissions of a VPC function are limited to its subnets', () => {
    const { template } = synthStack(FULL_SETTINGS);
    const create = JSON.stringify(statementWithSid(template, 'CreateFunctionNetworkInterfaces')?.Resource);
    expect(create).toContain(':subnet/subnet-0e5e4b6c1d2a3f405');
    expect(create).toContain(':security-group/sg-0123456789abcdef0');
    expect(statementWithSid(template, 'ManageFunctionNetworkInterfaces')?.Condition).toHaveProperty([
      'ArnEquals',
      'ec2:Subnet',
    ]);
    expect(statementWithSid(synthStack({}).template, 'CreateFunctionNetworkInterfaces')).toBeUndefined();
  });
});
