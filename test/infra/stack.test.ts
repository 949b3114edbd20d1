import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/config.js';
import { REPOSITORY_ROOT } from '../../infra/lib/paths.js';
import { STATE_TABLE_KEYS } from '../support/stateTable.js';
import { FULL_SETTINGS, synthStack } from './synthStack.js';

/** The Kubernetes group of the function's access entries, which infra/k8s/rbac.yaml binds. */
const READERS_GROUP = 'eks-join-remediator-readers';

type Resource = { Type: string; Properties: Record<string, unknown>; DependsOn?: string[] };

const defaults = synthStack({ clusters: ['eks-workshop'] });
/** arn:PARTITION:cloudwatch:REGION:ACCOUNT:alarm:* */
const THIS_ACCOUNTS_ALARMS = {
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      ':cloudwatch:',
      { Ref: 'AWS::Region' },
      ':',
      { Ref: 'AWS::AccountId' },
      ':alarm:*',
    ],
  ],
};
const full = synthStack(FULL_SETTINGS);

function only(template: typeof defaults.template, type: string): [string, Resource] {
  const found = Object.entries(template.findResources(type)) as [string, Resource][];
  expect(found, `exactly one ${type}`).toHaveLength(1);
  return found[0] as [string, Resource];
}

describe('EventBridge rules', () => {
  it('match instance launches, and failed launches, of Auto Scaling groups whose name starts with eks-', () => {
    defaults.template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.autoscaling'],
        'detail-type': ['EC2 Instance Launch Successful', 'EC2 Instance Launch Unsuccessful'],
        detail: { AutoScalingGroupName: [{ prefix: 'eks-' }] },
      },
      State: 'ENABLED',
    });
  });

  it('match the nodegroup API calls recorded by CloudTrail', () => {
    defaults.template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.eks'],
        'detail-type': ['AWS API Call via CloudTrail'],
        detail: {
          eventSource: ['eks.amazonaws.com'],
          eventName: ['CreateNodegroup', 'UpdateNodegroupConfig', 'UpdateNodegroupVersion'],
        },
      },
    });
  });

  it('send launches to the launch queue and nodegroup API calls to the preflight queue, with the DLQ', () => {
    const rules = Object.values(defaults.template.findResources('AWS::Events::Rule')) as Resource[];
    expect(rules).toHaveLength(2);
    const targetOf = (source: string) =>
      rules.find((r) => (r.Properties.EventPattern as { source: string[] }).source[0] === source)?.Properties
        .Targets;
    const dlq = { Arn: { 'Fn::GetAtt': [deadLetterQueue(defaults.template)[0], 'Arn'] } };
    expect(targetOf('aws.autoscaling')).toEqual([
      expect.objectContaining({
        Arn: { 'Fn::GetAtt': [mainQueue(defaults.template)[0], 'Arn'] },
        DeadLetterConfig: dlq,
      }),
    ]);
    expect(targetOf('aws.eks')).toEqual([
      expect.objectContaining({
        Arn: { 'Fn::GetAtt': [preflightQueue(defaults.template)[0], 'Arn'] },
        DeadLetterConfig: dlq,
      }),
    ]);
  });

  it('the sample events in events/ match the patterns', () => {
    const rules = Object.values(defaults.template.findResources('AWS::Events::Rule')) as Resource[];
    const patterns = rules.map((r) => r.Properties.EventPattern as Record<string, unknown>);
    for (const file of [
      'asg-launch-successful.json',
      'eks-create-nodegroup.json',
      'eks-update-nodegroup-config.json',
    ]) {
      const event = JSON.parse(readFileSync(path.join(REPOSITORY_ROOT, 'events', file), 'utf8'));
      expect(
        patterns.some((p) => matches(p, event)),
        `${file} matches a rule`,
      ).toBe(true);
    }
  });
});

describe('the queue', () => {
  it('delivers each launch at once (the function sends it back for its window), SQS-encrypted, TLS only, with a dead-letter queue', () => {
    const [, queue] = mainQueue(defaults.template);
    expect(queue.Properties).toMatchObject({
      DelaySeconds: 0,
      SqsManagedSseEnabled: true,
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [deadLetterQueue(defaults.template)[0], 'Arn'] },
        maxReceiveCount: 5,
      },
    });
    // Whatever the join window: the wait is per message, so a launch is looked at as it arrives.
    expect(full.template.toJSON().Resources[mainQueue(full.template)[0]].Properties.DelaySeconds).toBe(0);
  });

  it('judges with the full window when it is longer than the 900 s SQS allows per delay', () => {
    const { template } = synthStack({ joinWindowSeconds: 3600 });
    expect(mainQueue(template)[1].Properties.DelaySeconds).toBe(0);
    // The function sends launches back until their window is over.
    expect(functionResource(template).Properties).toMatchObject({
      Environment: { Variables: { JOIN_WINDOW_SECONDS: '3600' } },
    });
  });

  it('keeps dead letters 14 days, encrypted', () => {
    expect(deadLetterQueue(defaults.template)[1].Properties).toEqual({
      MessageRetentionPeriod: 14 * 86_400,
      SqsManagedSseEnabled: true,
    });
  });

  it('lets only its rule send to each queue (aws:SourceArn), and denies any call without TLS', () => {
    const policies = Object.values(defaults.template.findResources('AWS::SQS::QueuePolicy')) as Resource[];
    const senders = [mainQueue(defaults.template)[0], preflightQueue(defaults.template)[0]].flatMap(
      (queueId) => {
        const policy = policies.find(
          (p) => JSON.stringify(p.Properties.Queues) === JSON.stringify([{ Ref: queueId }]),
        );
        expect(policy, 'the queue policy').toBeDefined();
        const statements =
          (policy?.Properties.PolicyDocument as { Statement: Record<string, unknown>[] } | undefined)
            ?.Statement ?? [];
        expect(statements).toContainEqual(
          expect.objectContaining({
            Effect: 'Deny',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        );
        const allows = statements.filter((s) => s.Effect === 'Allow');
        expect(allows).toHaveLength(1);
        for (const s of allows) expect(s.Principal).toEqual({ Service: 'events.amazonaws.com' });
        return allows.map(
          (s) =>
            (s.Condition as { ArnEquals: Record<string, { 'Fn::GetAtt': string[] }> }).ArnEquals[
              'aws:SourceArn'
            ]?.['Fn::GetAtt'][0],
        );
      },
    );
    expect(senders.sort()).toEqual(Object.keys(defaults.template.findResources('AWS::Events::Rule')).sort());
  });

  it('has a preflight queue without delay, so nodegroup API calls are checked at once', () => {
    expect(preflightQueue(defaults.template)[1].Properties).not.toHaveProperty('DelaySeconds');
    expect(preflightQueue(defaults.template)[1].Properties).toMatchObject({ SqsManagedSseEnabled: true });
  });
});

describe('the function', () => {
  it('runs Node.js 22 on arm64 with a 10-minute timeout and reserved concurrency 5', () => {
    expect(functionResource(defaults.template).Properties).toMatchObject({
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      Timeout: 600,
      ReservedConcurrentExecutions: 5,
    });
  });

  it('reads from both queues in batches, reporting failed items only', () => {
    const found = mappings(defaults.template);
    expect(
      found.map((m) => (m.Properties.EventSourceArn as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0]).sort(),
    ).toEqual([mainQueue(defaults.template)[0], preflightQueue(defaults.template)[0]].sort());
    for (const mapping of found) {
      expect(mapping.Properties).toMatchObject({
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        BatchSize: 10,
        MaximumBatchingWindowInSeconds: 30,
        ScalingConfig: { MaximumConcurrency: 2 },
      });
    }
  });

  it('gets its configuration from the environment, as docs/configuration.md names it', () => {
    const variables = environmentOf(full.template);
    expect(variables).toEqual({
      NODE_OPTIONS: '--enable-source-maps',
      POLICY: 'remediate',
      JOIN_WINDOW_SECONDS: '600',
      ALERT_TOPIC_ARN: { Ref: only(full.template, 'AWS::SNS::Topic')[0] },
      RECYCLE_STRATEGY: 'scale-cycle',
      ALLOW_MAIN_ROUTE_TABLE: 'true',
      ALLOW_SHARED_ROUTE_TABLE: 'true',
      PREFLIGHT_POLICY: 'remediate',
      STATE_TABLE: { Ref: only(full.template, 'AWS::DynamoDB::Table')[0] },
      CLUSTERS: 'eks-workshop,prod_2',
      LOOP_GUARD_MAX_REMEDIATIONS: '3',
      LOOP_GUARD_WINDOW_SECONDS: '7200',
      ALERT_COOLDOWN_SECONDS: '1800',
    });
    expect(environmentOf(defaults.template)).toMatchObject({
      POLICY: 'notify',
      JOIN_WINDOW_SECONDS: '300',
      RECYCLE_STRATEGY: 'replace-unjoined',
      ALLOW_MAIN_ROUTE_TABLE: 'false',
      ALLOW_SHARED_ROUTE_TABLE: 'false',
      PREFLIGHT_POLICY: 'notify',
    });
  });

  it("sets an environment the function's own configuration parser accepts", () => {
    for (const { template } of [defaults, full]) {
      const variables = Object.fromEntries(
        Object.entries(environmentOf(template)).map(([name, value]) => [
          name,
          typeof value === 'string'
            ? value
            : name === 'ALERT_TOPIC_ARN'
              ? 'arn:aws:sns:us-west-2:123456789012:alerts'
              : 'state-table',
        ]),
      );
      expect(() => parseConfig(variables)).not.toThrow();
    }
  });

  it('writes to its own log group, which keeps logs for the configured days', () => {
    const [logGroupId, logGroup] = only(defaults.template, 'AWS::Logs::LogGroup');
    expect(logGroup.Properties).toEqual({ RetentionInDays: 90 });
    expect(functionResource(defaults.template).Properties.LoggingConfig).toEqual({
      LogGroup: { Ref: logGroupId },
    });
    expect(only(full.template, 'AWS::Logs::LogGroup')[1].Properties).toEqual({ RetentionInDays: 30 });
  });

  it('runs in the configured subnets and security groups when the cluster endpoint is private', () => {
    expect(functionResource(full.template).Properties.VpcConfig).toEqual({
      SubnetIds: [...FULL_SETTINGS.functionSubnetIds],
      SecurityGroupIds: [...FULL_SETTINGS.functionSecurityGroupIds],
    });
    expect(functionResource(defaults.template).Properties.VpcConfig).toBeUndefined();
  });
});

describe('the bundle', () => {
  const outdir = mkdtempSync(path.join(tmpdir(), 'ejr-cdk-'));
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('is the handler built by the local esbuild: minified ESM with a require banner and a source map', () => {
    const { app } = synthStack({}, { bundle: true, outdir });
    app.synth();
    const assets = JSON.parse(readFileSync(path.join(outdir, 'EksJoinRemediator.assets.json'), 'utf8')) as {
      files: Record<string, { source: { path: string } }>;
    };
    const code = Object.values(assets.files)
      .map((f) => path.join(outdir, f.source.path))
      .find((dir) => existsSync(path.join(dir, 'index.mjs')));
    expect(code, 'a staged asset with index.mjs').toBeDefined();
    const bundle = readFileSync(path.join(code as string, 'index.mjs'), 'utf8');
    expect(
      bundle.startsWith(
        "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
      ),
    ).toBe(true);
    expect(bundle).toMatch(/export\s*\{[^}]*handler/);
    // Minified: long lines (a readable bundle averages well under 100 characters a line).
    expect(bundle.length / bundle.split('\n').length).toBeGreaterThan(1000);
    expect(existsSync(path.join(code as string, 'index.mjs.map'))).toBe(true);
  });
});

describe('alerts', () => {
  it('go to an SNS topic encrypted with a rotating customer-managed key', () => {
    const [keyId, key] = only(defaults.template, 'AWS::KMS::Key');
    expect(key.Properties.EnableKeyRotation).toBe(true);
    defaults.template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] },
    });
  });

  it('the key and the topic policy let only this account’s alarms in this region publish', () => {
    defaults.template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Condition: {
              ArnLike: { 'aws:SourceArn': THIS_ACCOUNTS_ALARMS },
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
            },
          }),
        ]),
      },
    });
    defaults.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Condition: {
              ArnLike: { 'aws:SourceArn': THIS_ACCOUNTS_ALARMS },
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
            },
          }),
        ]),
      },
    });
  });

  it('are e-mailed to each configured address', () => {
    full.template.resourceCountIs('AWS::SNS::Subscription', 2);
    for (const endpoint of FULL_SETTINGS.alertEmails) {
      full.template.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'email',
        Endpoint: endpoint,
      });
    }
    defaults.template.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  it('reach Slack through a channel configuration subscribed to the topic, with a read-only guardrail', () => {
    full.template.hasResourceProperties('AWS::Chatbot::SlackChannelConfiguration', {
      SlackWorkspaceId: 'T0123ABCD',
      SlackChannelId: 'C0456EFGH',
      SnsTopicArns: [{ Ref: only(full.template, 'AWS::SNS::Topic')[0] }],
      GuardrailPolicies: [
        { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/ReadOnlyAccess']] },
      ],
    });
    defaults.template.resourceCountIs('AWS::Chatbot::SlackChannelConfiguration', 0);
  });
});

describe('state', () => {
  it('is an on-demand DynamoDB table keyed pk/sk with TTL on expiresAt and point-in-time recovery', () => {
    defaults.template.hasResourceProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      ...STATE_TABLE_KEYS,
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
  });
});

describe('Kubernetes read access', () => {
  it('gives the function role an access entry in the readers group on each watched cluster', () => {
    full.template.resourceCountIs('AWS::EKS::AccessEntry', 2);
    for (const clusterName of FULL_SETTINGS.clusters) {
      full.template.hasResourceProperties('AWS::EKS::AccessEntry', {
        ClusterName: clusterName,
        PrincipalArn: functionResource(full.template).Properties.Role,
        KubernetesGroups: [READERS_GROUP],
        Type: 'STANDARD',
      });
    }
    synthStack({}).template.resourceCountIs('AWS::EKS::AccessEntry', 0);
  });

  it('infra/k8s/rbac.yaml lets that group read nodes and the aws-auth ConfigMap, and nothing else', () => {
    const manifest = readFileSync(path.join(REPOSITORY_ROOT, 'infra/k8s/rbac.yaml'), 'utf8');
    const documents = manifest.split(/^---$/m).map((d) => d.replace(/#.*$/gm, ''));
    const kind = (d: string) => d.match(/^kind:\s*(\S+)/m)?.[1];
    const clusterRole = documents.find((d) => kind(d) === 'ClusterRole') ?? '';
    expect(clusterRole.match(/resources:\s*\[.*\]/g)).toEqual(['resources: ["nodes"]']);
    expect(clusterRole).toMatch(/verbs:\s*\["get",\s*"list",\s*"watch"\]/);
    expect(clusterRole).toMatch(/apiGroups:\s*\[""\]/);
    for (const role of documents.filter((d) => kind(d) === 'Role')) {
      // Namespaced extras may only be named ConfigMaps in kube-system, read-only.
      expect(role).toMatch(/namespace:\s*kube-system/);
      expect(role.match(/resources:\s*\[.*\]/g)).toEqual(['resources: ["configmaps"]']);
      expect(role).toMatch(/resourceNames:\s*\["aws-auth"\]/);
      expect(role.match(/verbs:\s*\[.*\]/g)).toEqual(['verbs: ["get"]']);
    }
    expect(documents.join('\n')).not.toMatch(/secrets|"\*"|create|update|patch|delete/i);
    const bindings = documents.filter((d) => kind(d) === 'ClusterRoleBinding' || kind(d) === 'RoleBinding');
    expect(bindings.length).toBeGreaterThan(0);
    for (const binding of bindings) {
      expect(binding).toMatch(new RegExp(`kind:\\s*Group\\s*\\n\\s*name:\\s*${READERS_GROUP}\\b`));
    }
  });
});

describe('outputs', () => {
  it('name what the deployment guide uses', () => {
    expect(Object.keys(defaults.template.toJSON().Outputs).sort()).toEqual([
      'AlertTopicArn',
      'DeadLetterQueueArn',
      'DeadLetterQueueUrl',
      'FunctionName',
      'FunctionRoleArn',
      'InstanceLaunchRuleName',
      'NodegroupApiRuleName',
      'PreflightQueueUrl',
      'QueueUrl',
      'StateTableName',
    ]);
  });
});

function mainQueue(template: typeof defaults.template): [string, Resource] {
  const found = (Object.entries(template.findResources('AWS::SQS::Queue')) as [string, Resource][]).filter(
    ([, q]) => q.Properties.RedrivePolicy && q.Properties.DelaySeconds !== undefined,
  );
  expect(found).toHaveLength(1);
  return found[0] as [string, Resource];
}

function preflightQueue(template: typeof defaults.template): [string, Resource] {
  const found = (Object.entries(template.findResources('AWS::SQS::Queue')) as [string, Resource][]).filter(
    ([, q]) => q.Properties.RedrivePolicy && q.Properties.DelaySeconds === undefined,
  );
  expect(found).toHaveLength(1);
  return found[0] as [string, Resource];
}

function mappings(template: typeof defaults.template): Resource[] {
  return Object.values(template.findResources('AWS::Lambda::EventSourceMapping')) as Resource[];
}

function deadLetterQueue(template: typeof defaults.template): [string, Resource] {
  const found = (Object.entries(template.findResources('AWS::SQS::Queue')) as [string, Resource][]).filter(
    ([, q]) => !q.Properties.RedrivePolicy,
  );
  expect(found).toHaveLength(1);
  return found[0] as [string, Resource];
}

function functionResource(template: typeof defaults.template): Resource {
  return only(template, 'AWS::Lambda::Function')[1];
}

function environmentOf(template: typeof defaults.template): Record<string, unknown> {
  return (functionResource(template).Properties.Environment as { Variables: Record<string, unknown> })
    .Variables;
}

/** A small EventBridge matcher for the pattern forms the rules use: value lists and { prefix }. */
function matches(pattern: Record<string, unknown>, event: Record<string, unknown>): boolean {
  return Object.entries(pattern).every(([key, expected]) => {
    const actual = event[key];
    if (Array.isArray(expected)) {
      return expected.some((option) =>
        typeof option === 'object' && option !== null && 'prefix' in option
          ? typeof actual === 'string' && actual.startsWith((option as { prefix: string }).prefix)
          : option === actual,
      );
    }
    return (
      typeof actual === 'object' &&
      actual !== null &&
      matches(expected as Record<string, unknown>, actual as Record<string, unknown>)
    );
  });
}
