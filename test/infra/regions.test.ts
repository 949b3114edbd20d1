import { Token } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { SETTINGS } from '../../functions/core/model/settings.js';
import { functionRoleName } from '../../infra/lib/names.js';
import { FULL_SETTINGS, MULTI_REGION_SETTINGS, synthDeployment } from './synthStack.js';

type Json = Record<string, unknown>;

function deployment(settings: Parameters<typeof synthDeployment>[0], nag = false) {
  const { stacks } = synthDeployment(settings, { nag });
  return stacks.map((stack) => ({ stack, template: Template.fromStack(stack) }));
}

/** Every string of a template value, with Fn::Join parts joined and other tokens as their JSON. */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === 'object') {
    const join = (value as Json)['Fn::Join'] as [string, unknown[]] | undefined;
    if (join)
      return [join[1].map((part) => (typeof part === 'string' ? part : JSON.stringify(part))).join(join[0])];
    return Object.values(value).flatMap(strings);
  }
  return [];
}

function policyStatements(template: Template): Json[] {
  return Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
    (policy) =>
      ((policy as Json).Properties as { PolicyDocument: { Statement: Json[] } }).PolicyDocument.Statement,
  );
}

describe('one deployment over several regions (-c regions=us-west-2,eu-west-1 -c region=us-west-2)', () => {
  const stacks = deployment({
    regions: 'us-west-2,eu-west-1',
    region: 'us-west-2',
    clusters: 'eks-workshop,eu-west-1/prod',
  });
  const [home, euWest1] = stacks;

  it('makes the home stack in us-west-2 and a forwarding stack in eu-west-1, deployed after it', () => {
    expect(stacks.map(({ stack }) => [stack.stackName, stack.region])).toEqual([
      ['EksJoinRemediator', 'us-west-2'],
      ['EksJoinRemediator-eu-west-1', 'eu-west-1'],
    ]);
    expect(euWest1?.stack.dependencies).toEqual([home?.stack]);
  });

  it("the eu-west-1 rules match what the home rules match and target the home region's default event bus, with a role", () => {
    const template = euWest1?.template as Template;
    const patternOf = (rule: unknown) => ((rule as Json).Properties as Json).EventPattern as Json;
    // The rules of launches and nodegroup calls (the third of each stack is about alarms).
    const nodeEvents = (t: Template | undefined) =>
      Object.values(t?.findResources('AWS::Events::Rule') ?? {})
        .map(patternOf)
        .filter((pattern) => !(pattern.source as string[]).includes('aws.cloudwatch'));
    const rules = Object.values(template.findResources('AWS::Events::Rule')) as Json[];
    expect(rules).toHaveLength(3);
    expect(nodeEvents(template)).toHaveLength(2);
    expect(nodeEvents(template)).toEqual(nodeEvents(home?.template));
    for (const rule of rules) {
      const [target] = (rule.Properties as { Targets: Json[] }).Targets;
      expect(strings(target?.Arn)).toEqual([
        'arn:aws:events:us-west-2:{"Ref":"AWS::AccountId"}:event-bus/default',
      ]);
      expect(target?.RoleArn).toEqual({
        'Fn::GetAtt': [expect.stringMatching(/^ForwardingForwardingRole/), 'Arn'],
      });
      expect(target?.DeadLetterConfig).toEqual({
        Arn: { 'Fn::GetAtt': [expect.stringMatching(/DeadLetterQueue/), 'Arn'] },
      });
    }
    // The role may put events on that bus, nothing else, and only EventBridge of this account assumes it.
    expect(policyStatements(template)).toEqual([
      expect.objectContaining({ Action: 'events:PutEvents', Effect: 'Allow', Resource: expect.anything() }),
    ]);
    expect(strings(policyStatements(template)[0]?.Resource)).toEqual([
      'arn:aws:events:us-west-2:{"Ref":"AWS::AccountId"}:event-bus/default',
    ]);
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Principal: { Service: 'events.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          }),
        ],
      },
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: 'EksJoinRemediator-forwarding-dlq',
      MessageRetentionPeriod: 14 * 24 * 3600,
    });
  });

  it("the eu-west-1 dead-letter queue's alarm reaches the home alert topic through the home event bus", () => {
    const forwarding = euWest1?.template as Template;
    forwarding.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'EksJoinRemediator-forwarding-dlq-alarm',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: Match.anyValue() }],
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    const alarmRules = (t: Template | undefined) =>
      (Object.values(t?.findResources('AWS::Events::Rule') ?? {}) as Json[]).filter((rule) =>
        JSON.stringify(rule).includes('aws.cloudwatch'),
      );
    const sent = alarmRules(forwarding)[0] as Json;
    expect((sent.Properties as Json).EventPattern).toEqual({
      source: ['aws.cloudwatch'],
      'detail-type': ['CloudWatch Alarm State Change'],
      detail: { alarmName: ['EksJoinRemediator-forwarding-dlq-alarm'] },
    });
    expect(strings((sent.Properties as { Targets: Json[] }).Targets[0]?.Arn)).toEqual([
      'arn:aws:events:us-west-2:{"Ref":"AWS::AccountId"}:event-bus/default',
    ]);
    // At home: that alarm's changes from eu-west-1, one readable line, published with a role of its own.
    const relays = alarmRules(home?.template);
    expect(relays).toHaveLength(1);
    const relay = relays[0] as Json;
    expect((relay.Properties as Json).EventPattern).toEqual({
      source: ['aws.cloudwatch'],
      'detail-type': ['CloudWatch Alarm State Change'],
      region: ['eu-west-1'],
      detail: { alarmName: ['EksJoinRemediator-forwarding-dlq-alarm'] },
    });
    const [target] = (relay.Properties as { Targets: Json[] }).Targets;
    expect(target?.Arn).toEqual({ Ref: expect.stringMatching(/^RemediatorAlertTopic/) });
    expect(target?.RoleArn).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/^RemediatorForwardingAlarmRelayRole/), 'Arn'],
    });
    expect(JSON.stringify(target?.InputTransformer)).toContain('could not be put on this region');
    // Neither the topic's nor the key's policy lets EventBridge in: the role does, for this account's rules.
    const policies = JSON.stringify([
      home?.template.findResources('AWS::SNS::TopicPolicy'),
      home?.template.findResources('AWS::KMS::Key'),
    ]);
    expect(policies).not.toContain('events.amazonaws.com');
    home?.template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Principal: { Service: 'events.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          }),
        ],
      },
      Description: Match.stringLikeRegexp('forwarding regions'),
    });
  });

  it("each region's clusters get their access entry in that region's stack, for the function's named role", () => {
    const roleName = functionRoleName('EksJoinRemediator', 'us-west-2');
    expect(roleName).toBe('EksJoinRemediator-JoinCheck-us-west-2');
    home?.template.hasResourceProperties('AWS::IAM::Role', { RoleName: roleName });
    const entries = (template: Template | undefined) =>
      Object.values(template?.findResources('AWS::EKS::AccessEntry') ?? {}).map(
        (r) => (r as Json).Properties as Json,
      );
    expect(entries(home?.template).map((e) => e.ClusterName)).toEqual(['eks-workshop']);
    expect(entries(euWest1?.template)).toEqual([
      expect.objectContaining({ ClusterName: 'prod', KubernetesGroups: ['eks-join-remediator-readers'] }),
    ]);
    expect(strings(entries(euWest1?.template)[0]?.PrincipalArn)).toEqual([
      `arn:aws:iam::{"Ref":"AWS::AccountId"}:role/${roleName}`,
    ]);
  });

  it('tells the function its regions and each cluster with its region', () => {
    const variables = Object.values(home?.template.findResources('AWS::Lambda::Function') ?? {}).map(
      (f) => ((f as Json).Properties as { Environment: { Variables: Json } }).Environment.Variables,
    );
    expect(variables[0]).toMatchObject({
      [SETTINGS.regions.env]: 'us-west-2,eu-west-1',
      [SETTINGS.clusters.env]: 'us-west-2/eks-workshop,eu-west-1/prod',
    });
  });

  it('limits IAM to the listed regions: regional ARNs name one of them, the rest is conditioned on aws:RequestedRegion', () => {
    const statements = policyStatements(home?.template as Template);
    for (const statement of statements) {
      const resources = strings(statement.Resource);
      if (resources.includes('*')) {
        expect(statement.Condition, String(statement.Sid)).toMatchObject({
          StringEquals: { 'aws:RequestedRegion': ['us-west-2', 'eu-west-1'] },
        });
        continue;
      }
      for (const arn of resources.filter((r) => r.startsWith('arn:'))) {
        const region = arn.split(':')[3];
        expect(['', 'us-west-2', 'eu-west-1'], `${String(statement.Sid)}: ${arn}`).toContain(region);
      }
    }
    // A cluster's ARNs are of its own region only.
    const clusters = statements.find((s) => s.Sid === 'ReadWatchedClusters');
    expect(strings(clusters?.Resource).sort()).toEqual([
      'arn:aws:eks:eu-west-1:{"Ref":"AWS::AccountId"}:cluster/prod',
      'arn:aws:eks:us-west-2:{"Ref":"AWS::AccountId"}:cluster/eks-workshop',
    ]);
    // IAM is global: its reads have no region and no region condition.
    const iam = statements.find((s) => s.Sid === 'ReadNodeRolePolicies');
    expect(iam?.Condition).toBeUndefined();
  });

  it('shows every forwarding dead-letter queue on the home dashboard', () => {
    const body = JSON.stringify(home?.template.findResources('AWS::CloudWatch::Dashboard'));
    expect(body).toContain('EksJoinRemediator-forwarding-dlq');
    expect(body).toContain('\\"label\\":\\"not forwarded from eu-west-1\\",\\"region\\":\\"eu-west-1\\"');
  });
});

describe('one region, named', () => {
  it('is one stack in that region that handles that region; its role keeps a generated name', () => {
    const stacks = deployment({ region: 'eu-central-1', clusters: 'eks-workshop' });
    expect(stacks.map(({ stack }) => stack.region)).toEqual(['eu-central-1']);
    const [only] = stacks;
    only?.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ REGIONS: 'eu-central-1', CLUSTERS: 'eu-central-1/eks-workshop' }),
      },
    });
    const roleNames = Object.values(only?.template.findResources('AWS::IAM::Role') ?? {}).map(
      (r) => ((r as Json).Properties as Json).RoleName,
    );
    expect(roleNames.filter((name) => name !== undefined)).toEqual([]);
    // No other region: no alarm relay.
    expect(JSON.stringify(only?.template.findResources('AWS::Events::Rule'))).not.toContain('aws.cloudwatch');
  });

  it('without a region, is the environment-agnostic stack of before, with no REGIONS', () => {
    const stacks = deployment({});
    expect(stacks).toHaveLength(1);
    expect(Token.isUnresolved(stacks[0]?.stack.region)).toBe(true);
    const variables = JSON.stringify(stacks[0]?.template.findResources('AWS::Lambda::Function'));
    expect(variables).not.toContain('"REGIONS"');
  });
});

describe('a central alert topic (centralTopicArn)', () => {
  const [home] = deployment(MULTI_REGION_SETTINGS);

  it('is where the function publishes, with its key used only through SNS; the stack topic keeps the alarms', () => {
    home?.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ ALERT_TOPIC_ARN: MULTI_REGION_SETTINGS.centralTopicArn }),
      },
    });
    const statements = policyStatements(home?.template as Template);
    expect(statements).toContainEqual(
      expect.objectContaining({
        Sid: 'PublishToCentralTopic',
        Action: 'sns:Publish',
        Resource: MULTI_REGION_SETTINGS.centralTopicArn,
      }),
    );
    expect(statements).toContainEqual(
      expect.objectContaining({
        Sid: 'EncryptForCentralTopic',
        Resource: 'arn:aws:kms:us-east-1:111122223333:key/*',
        Condition: { StringEquals: { 'kms:ViaService': 'sns.us-east-1.amazonaws.com' } },
      }),
    );
    // The function no longer publishes to the stack's own topic.
    const functionPolicy = Object.values(home?.template.findResources('AWS::IAM::Policy') ?? {}).find(
      (policy) => JSON.stringify(policy).includes('RemediatorFunctionRole'),
    ) as { Properties: { PolicyDocument: { Statement: Json[] } } };
    const publishing = functionPolicy.Properties.PolicyDocument.Statement.filter(
      (s) => s.Action === 'sns:Publish',
    );
    expect(publishing.map((s) => s.Resource)).toEqual([MULTI_REGION_SETTINGS.centralTopicArn]);
  });
});

describe('cdk-nag AwsSolutions checks over several regions', () => {
  for (const [name, settings] of Object.entries({
    'every option': MULTI_REGION_SETTINGS,
    notify: {
      ...FULL_SETTINGS,
      policy: 'notify',
      preflightPolicy: 'notify',
      regions: 'us-west-2,eu-west-1,ap-south-1',
    },
  })) {
    it(`pass on every stack with every finding acknowledged in code (${name})`, () => {
      const findings = deployment(settings, true).flatMap(({ stack }) => {
        const annotations = Annotations.fromStack(stack);
        return [
          ...annotations.findError('*', Match.stringLikeRegexp('AwsSolutions-.*')),
          ...annotations.findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*')),
        ].map((m) => `${stack.stackName} ${m.id}: ${String(m.entry.data).split('\n')[0]}`);
      });
      expect(findings).toEqual([]);
    });
  }
});
