import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { StackSetStack } from 'cdk-stacksets';
import { describe, expect, it } from 'vitest';
import { OrganizationStack } from '../../infra/lib/OrganizationStack.js';
import { ORGANIZATION_SETTINGS, synthDeployment } from './synthStack.js';

type Json = Record<string, unknown>;

function organization(settings: Parameters<typeof synthDeployment>[0] = ORGANIZATION_SETTINGS, nag = false) {
  // Bundled: the StackSet's asset copy reads the function's staged code at synth.
  const { app, stacks } = synthDeployment(settings, { nag, bundle: true });
  expect(stacks).toHaveLength(1);
  const stack = stacks[0] as OrganizationStack;
  expect(stack).toBeInstanceOf(OrganizationStack);
  const template = Template.fromStack(stack);
  const assembly = app.synth();
  /** A StackSet's member template: a file of the assembly, not a stack artifact. */
  const member = (id: 'Home' | 'Forwarding') =>
    Template.fromJSON(
      JSON.parse(
        readFileSync(
          path.join(assembly.directory, (stack.node.findChild(id) as StackSetStack).templateFile),
          'utf8',
        ),
      ),
    );
  /** Every AwsSolutions error or warning in the assembly, the members' included. */
  const nagFindings = () =>
    assembly.stacks
      .flatMap((artifact) => Object.values(artifact.manifest.metadata ?? {}).flat())
      .filter((entry) => ['aws:cdk:error', 'aws:cdk:warning'].includes(entry.type))
      .map((entry) => String(entry.data))
      .filter((data) => data.startsWith('AwsSolutions-'));
  return { stack, template, member, nagFindings };
}

function stackSets(template: Template): Json[] {
  return Object.values(template.findResources('AWS::CloudFormation::StackSet')) as Json[];
}

describe('the organization (-c organizationalUnitIds=ou-…)', () => {
  const { stack, template, member } = organization();

  it('is one stack in the home region holding service-managed StackSets with automatic deployment', () => {
    expect(stack.region).toBe('us-west-2');
    const [home, forwarding] = stackSets(template).map((s) => s.Properties as Json);
    expect(home).toMatchObject({
      StackSetName: 'EksJoinRemediator',
      PermissionModel: 'SERVICE_MANAGED',
      AutoDeployment: { Enabled: true, RetainStacksOnAccountRemoval: false },
      CallAs: 'SELF',
      Capabilities: ['CAPABILITY_NAMED_IAM'],
      StackInstancesGroup: [
        {
          DeploymentTargets: { OrganizationalUnitIds: ['ou-ab12-cdef3456', 'ou-ab12-0123abcd'] },
          Regions: ['us-west-2'],
        },
      ],
    });
    expect(forwarding).toMatchObject({
      StackSetName: 'EksJoinRemediator-forwarding',
      PermissionModel: 'SERVICE_MANAGED',
      AutoDeployment: { Enabled: true },
      StackInstancesGroup: [
        {
          DeploymentTargets: { OrganizationalUnitIds: ['ou-ab12-cdef3456', 'ou-ab12-0123abcd'] },
          Regions: ['eu-west-1'],
        },
      ],
    });
  });

  it('deploys the forwarding stack set after the home one', () => {
    const [homeId, forwardingId] = Object.keys(template.findResources('AWS::CloudFormation::StackSet'));
    const forwarding = template.findResources('AWS::CloudFormation::StackSet')[
      forwardingId as string
    ] as Json;
    expect(forwarding.DependsOn).toContain(homeId);
  });

  it("member accounts read the function's code from <assetBucketPrefix>-<their region>, which the deployment fills", () => {
    const memberTemplate = member('Home');
    const [fn] = Object.values(memberTemplate.findResources('AWS::Lambda::Function')) as Json[];
    expect((fn?.Properties as Json | undefined)?.Code).toEqual({
      S3Bucket: { 'Fn::Join': ['-', ['acme-ejr-assets', { Ref: 'AWS::Region' }]] },
      S3Key: expect.stringMatching(/^[0-9a-f]{64}\.zip$/),
    });
    // The copy: a BucketDeployment puts that very object (same key, not extracted) into acme-ejr-assets-us-west-2,
    // before the stack sets are made or updated.
    const key = ((fn?.Properties as Json | undefined)?.Code as { S3Key?: string } | undefined)?.S3Key;
    template.hasResourceProperties('Custom::CDKBucketDeployment', {
      DestinationBucketName: 'acme-ejr-assets-us-west-2',
      SourceObjectKeys: [key],
      Extract: false,
    });
    const [copyId] = Object.keys(template.findResources('Custom::CDKBucketDeployment'));
    for (const set of stackSets(template)) expect(set.DependsOn).toContain(copyId);
  });

  it("the member stack is the account's stack: fixed role name, central topic, forwarding DLQs on its dashboard", () => {
    const home = member('Home');
    home.hasResourceProperties('AWS::IAM::Role', { RoleName: 'EksJoinRemediator-JoinCheck-us-west-2' });
    home.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          ALERT_TOPIC_ARN: ORGANIZATION_SETTINGS.centralTopicArn,
          REGIONS: 'us-west-2,eu-west-1',
        }),
      },
    });
    const forwarding = member('Forwarding');
    // Launches, nodegroup calls, and the state changes of the dead-letter alarm.
    expect(Object.keys(forwarding.findResources('AWS::Events::Rule'))).toHaveLength(3);
    forwarding.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'EksJoinRemediator-forwarding-dlq-alarm',
    });
    home.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({ source: ['aws.cloudwatch'], region: ['eu-west-1'] }),
    });
    expect(forwarding.findResources('AWS::EKS::AccessEntry')).toEqual({});
  });

  it('a delegated administrator manages the stack sets with stackSetCallAs=DELEGATED_ADMIN', () => {
    const delegated = organization({ ...ORGANIZATION_SETTINGS, stackSetCallAs: 'DELEGATED_ADMIN' });
    for (const set of stackSets(delegated.template))
      expect((set.Properties as Json).CallAs).toBe('DELEGATED_ADMIN');
  });

  it('one region: one stack set, no forwarding', () => {
    const single = organization({ ...ORGANIZATION_SETTINGS, regions: 'us-west-2' });
    expect(stackSets(single.template)).toHaveLength(1);
  });

  it('passes the cdk-nag AwsSolutions checks with every finding acknowledged in code', () => {
    const findings = organization(ORGANIZATION_SETTINGS, true).nagFindings();
    expect(findings).toEqual([]);
  });
});
