/**
 * The forwarding of a deployment over two regions, on moto's EventBridge: the rules of the synthesized
 * eu-west-1 stack and of the home stack are put on moto as the templates write them (patterns, targets),
 * then real events are put in eu-west-1. Launches of managed nodegroups and nodegroup API calls reach
 * the home region's queues through the home default bus; other groups' launches do not.
 *
 * moto re-creates a forwarded event from its source, detail type and detail, with the receiving region:
 * real EventBridge keeps the original event (its `region` too, which the function reads). So this checks
 * the routing; the function's handling of another region's events is multiRegion.test.ts.
 */
import { readFile } from 'node:fs/promises';
import {
  EventBridgeClient,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthDeployment } from '../infra/synthStack.js';
import {
  harnessClientConfig,
  type MotoServer,
  startMotoServer,
  TEST_ACCOUNT_ID,
} from '../support/motoServer.js';

const HOME = 'us-west-2';
const OTHER = 'eu-west-1';

type Json = Record<string, unknown>;
interface RuleResource {
  Properties: { EventPattern: Json; Targets: { Arn: unknown; Id: string }[] };
}

let moto: MotoServer;
const queueUrls: Record<'launch' | 'preflight', string> = { launch: '', preflight: '' };

/** A template value with its account and region references filled in, as CloudFormation would. */
function resolve(value: unknown, region: string): string {
  if (typeof value === 'string') return value;
  const join = (value as Json)['Fn::Join'] as [string, unknown[]] | undefined;
  if (join) return join[1].map((part) => resolve(part, region)).join(join[0]);
  const ref = (value as Json).Ref;
  if (ref === 'AWS::AccountId') return TEST_ACCOUNT_ID;
  if (ref === 'AWS::Region') return region;
  if (ref === 'AWS::Partition') return 'aws';
  throw new Error(`cannot resolve ${JSON.stringify(value)}`);
}

function rulesOf(template: Template): RuleResource[] {
  return Object.values(template.findResources('AWS::Events::Rule')) as RuleResource[];
}

beforeAll(async () => {
  moto = await startMotoServer();
  const [home, forwarding] = synthDeployment({ regions: `${HOME},${OTHER}`, region: HOME }).stacks.map(
    (stack) => Template.fromStack(stack),
  );
  const sqs = new SQSClient(harnessClientConfig(moto.endpoint));
  for (const name of ['launch', 'preflight'] as const) {
    queueUrls[name] = (await sqs.send(new CreateQueueCommand({ QueueName: `home-${name}` })))
      .QueueUrl as string;
  }
  const queueArn = async (url: string) =>
    (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] })))
      .Attributes?.QueueArn as string;

  // The home rules, each to its queue (the launch rule matches aws.autoscaling, the other aws.eks).
  const homeEvents = new EventBridgeClient(harnessClientConfig(moto.endpoint));
  // (Not the relay of the forwarding alarms to the topic: moto forwards an event with the receiving region,
  // which that rule's `region` condition rightly refuses.)
  const nodeRules = rulesOf(home as Template).filter(
    (rule) => !(rule.Properties.EventPattern.source as string[]).includes('aws.cloudwatch'),
  );
  expect(nodeRules).toHaveLength(2);
  for (const [i, rule] of nodeRules.entries()) {
    const pattern = rule.Properties.EventPattern;
    const queue = (pattern.source as string[]).includes('aws.autoscaling') ? 'launch' : 'preflight';
    const name = `home-${i}`;
    await homeEvents.send(new PutRuleCommand({ Name: name, EventPattern: JSON.stringify(pattern) }));
    await homeEvents.send(
      new PutTargetsCommand({
        Rule: name,
        Targets: [{ Id: 'queue', Arn: await queueArn(queueUrls[queue]) }],
      }),
    );
  }
  // The eu-west-1 rules exactly as synthesized: pattern and target (the home default bus).
  const otherEvents = new EventBridgeClient({ ...harnessClientConfig(moto.endpoint), region: OTHER });
  for (const [i, rule] of rulesOf(forwarding as Template).entries()) {
    const name = `forward-${i}`;
    await otherEvents.send(
      new PutRuleCommand({ Name: name, EventPattern: JSON.stringify(rule.Properties.EventPattern) }),
    );
    const [target] = rule.Properties.Targets;
    await otherEvents.send(
      new PutTargetsCommand({
        Rule: name,
        Targets: [
          {
            Id: 'home',
            Arn: resolve(target?.Arn, OTHER),
            RoleArn: `arn:aws:iam::${TEST_ACCOUNT_ID}:role/forwarding`,
          },
        ],
      }),
    );
  }
});

afterAll(async () => {
  await moto?.stop();
});

async function sample(file: string): Promise<Json> {
  return JSON.parse(await readFile(`events/${file}`, 'utf8')) as Json;
}

async function putInOtherRegion(event: Json): Promise<void> {
  const events = new EventBridgeClient({ ...harnessClientConfig(moto.endpoint), region: OTHER });
  const { FailedEntryCount } = await events.send(
    new PutEventsCommand({
      Entries: [
        {
          Source: event.source as string,
          DetailType: event['detail-type'] as string,
          Detail: JSON.stringify(event.detail),
          Resources: event.resources as string[],
        },
      ],
    }),
  );
  expect(FailedEntryCount).toBe(0);
}

async function received(queue: 'launch' | 'preflight'): Promise<Json[]> {
  const sqs = new SQSClient(harnessClientConfig(moto.endpoint));
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: queueUrls[queue], MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
  );
  return Messages.map((m) => JSON.parse(m.Body as string) as Json);
}

describe("another region's events, forwarded to the home region (moto EventBridge)", () => {
  it("a managed nodegroup's launch in eu-west-1 arrives on the home launch queue, its detail intact", async () => {
    const launch = await sample('asg-launch-successful.json');
    await putInOtherRegion(launch);
    const [arrived, ...more] = await received('launch');
    expect(more).toEqual([]);
    expect(arrived).toMatchObject({
      source: 'aws.autoscaling',
      'detail-type': 'EC2 Instance Launch Successful',
    });
    expect(arrived?.detail).toEqual(launch.detail);
    expect(await received('preflight')).toEqual([]);
  });

  it('a nodegroup API call in eu-west-1 arrives on the home preflight queue', async () => {
    const call = await sample('eks-create-nodegroup.json');
    await putInOtherRegion(call);
    const [arrived] = await received('preflight');
    expect(arrived).toMatchObject({ source: 'aws.eks', 'detail-type': 'AWS API Call via CloudTrail' });
    expect(arrived?.detail).toEqual(call.detail);
  });

  it("the launch of a group that is not a managed nodegroup's (not eks-*) is not forwarded", async () => {
    const launch = await sample('asg-launch-successful.json');
    await putInOtherRegion({
      ...launch,
      detail: { ...(launch.detail as Json), AutoScalingGroupName: 'web-servers' },
    });
    expect(await received('launch')).toEqual([]);
  });
});
