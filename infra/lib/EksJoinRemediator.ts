import { ArnFormat, Aws, aws_chatbot as chatbot, Duration, Fn, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { Alarm, Dashboard } from 'aws-cdk-lib/aws-cloudwatch';
import { AttributeType, BillingMode, Table } from 'aws-cdk-lib/aws-dynamodb';
import { CfnAccessEntry } from 'aws-cdk-lib/aws-eks';
import { type EventPattern, Match, Rule } from 'aws-cdk-lib/aws-events';
import { SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import { ManagedPolicy, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import cdkNag from 'cdk-nag';
import { Construct } from 'constructs';
import { READER_GROUP, SETTINGS } from '../../functions/core/model/settings.js';
import {
  AUTOSCALING_SOURCE,
  CLOUDTRAIL_CALL,
  EKS_SOURCE,
  LAUNCH_SUCCESSFUL,
  LAUNCH_UNSUCCESSFUL,
  NODEGROUP_CALLS,
} from '../../functions/events/parseEvent.js';
import {
  clustersOf,
  type DeploymentConfig,
  type DeploymentSettings,
  functionEnvironment,
  parseDeploymentConfig,
} from '../config.js';
import { addAlarms } from './alarms.js';
import { addDashboard } from './dashboard.js';
import { FunctionWithLogGroup } from './FunctionWithLogGroup.js';
import { relayForwardingAlarms } from './forwardedAlarms.js';
import type { ForwardingRegions } from './names.js';
import { centralTopicStatements, functionStatements } from './permissions.js';

// cdk-nag is CommonJS whose named exports Node's ESM loader cannot see: take them from the default export.
const { NagSuppressions } = cdkNag;

/** SQS holds a message back for at most 15 minutes; a longer join window is for the handler to re-queue (it may send to the queue). */
export const MAX_DELIVERY_DELAY_SECONDS = 900;
/**
 * Long enough for `scale-cycle`, and kept at 10 minutes for it: the executor starts a cycle only with
 * 300 s (SCALE_CYCLE_MIN_SECONDS) still left after the reads, and the cycle may spend most of that
 * waiting for the nodegroup to be ACTIVE at 0 before it scales back; a batch checks its nodegroups one
 * after another. Lambda allows up to 15.
 */
export const FUNCTION_TIMEOUT = Duration.minutes(10);
/** A burst of launches (a nodegroup scaling out) waits this long to fill one batch: one check per nodegroup. */
export const MAX_BATCHING_WINDOW = Duration.seconds(30);
export const BATCH_SIZE = 10;
/**
 * Invocations each queue's event source may run at once: 2, the lowest SQS event sources allow. Two
 * invocations never work on the same nodegroup at once: the per-nodegroup lock in the state table
 * (STATE_TABLE, always set) lets one check it and the other skip it.
 */
export const EVENT_SOURCE_MAX_CONCURRENCY = 2;
/** Room for a person's `aws lambda invoke` (docs/deployment.md, "Try it") beside the event sources. */
export const DIRECT_INVOCATION_CONCURRENCY = 1;

/**
 * The function's reserved concurrency: every event source at its maximum, plus room for a direct
 * invocation. The function's own limit then never throttles a batch (a throttled batch would wait a
 * whole visibility timeout and use up one of its receives for nothing).
 */
export function reservedConcurrency(eventSources: number): number {
  return eventSources * EVENT_SOURCE_MAX_CONCURRENCY + DIRECT_INVOCATION_CONCURRENCY;
}

/**
 * Between a receive and the function's end: the batching window (the event source holds received
 * messages while it fills a batch), then at most one run. The margin covers starting the invocation and
 * deleting the batch afterwards.
 */
const VISIBILITY_MARGIN = Duration.minutes(1);
/**
 * How long a received message stays invisible, so when a failed (or timed-out) batch item reappears: about
 * 11.5 minutes. Lambda requires at least the function timeout. AWS recommends six times the function timeout
 * where the function may be throttled, so that the event source can retry a throttled invocation
 * before the messages reappear; here throttling is designed away (reservedConcurrency), so one run
 * plus the batching window plus a margin is enough, and a failed item is retried within minutes.
 */
export const VISIBILITY_TIMEOUT = FUNCTION_TIMEOUT.plus(MAX_BATCHING_WINDOW).plus(VISIBILITY_MARGIN);
/**
 * Receives before a message goes to the dead-letter queue (and its alarm fires): the first try and 4
 * retries, a visibility timeout apart, so a message that keeps failing is dead-lettered about 58 minutes
 * after its first receive. Checks are idempotent (lock, state table), so retrying is safe; a passing
 * cause (API throttling, a 5xx spell, a cluster endpoint briefly unreachable, an alert that could not be
 * published) clears within those ~46 minutes of retries, and one that does not (a missing permission, a
 * bad setting) reaches a person within the hour. Throttles no longer use up receives.
 */
export const MAX_RECEIVE_COUNT = 5;

/** What the rules match: the events the function's parser handles (functions/events/parseEvent.ts). */
export const EVENT_SOURCES = {
  launch: {
    source: [AUTOSCALING_SOURCE],
    detailType: [LAUNCH_SUCCESSFUL, LAUNCH_UNSUCCESSFUL],
    // EKS names a managed nodegroup's Auto Scaling group eks-<nodegroup>-<uuid>.
    detail: { AutoScalingGroupName: Match.prefix('eks-') },
  },
  nodegroupApi: {
    source: [EKS_SOURCE],
    detailType: [CLOUDTRAIL_CALL],
    detail: {
      eventSource: ['eks.amazonaws.com'],
      eventName: [...NODEGROUP_CALLS],
    },
  },
} as const satisfies Record<string, EventPattern>;

export type EksJoinRemediatorProps = DeploymentSettings & {
  /**
   * A fixed name for the function's role, where something outside the stack names it (the access
   * entries of other regions, a central topic's policy); names.ts. Default: a generated name.
   */
  readonly functionRoleName?: string;
  /** The other regions' forwarding stacks: their dead-letter queues on the dashboard, their alarms to the topic. */
  readonly forwarding?: ForwardingRegions;
};

/**
 * Everything eks-join-remediator needs in one account and region: the EventBridge rules, the delaying
 * queue and its dead-letter queue, the join-check function and its role, the state table, the
 * KMS-encrypted alert topic (e-mail, optional Slack), the alarms, the dashboard, and the EKS access entries.
 *
 * Props are the deployment settings (infra/config.ts); they are checked here, so a bad value fails at
 * synth with a message that names the setting, in this stack or in a platform team's own app.
 */
export class EksJoinRemediator extends Construct {
  readonly config: DeploymentConfig;
  readonly topic: Topic;
  readonly topicKey: Key;
  readonly stateTable: Table;
  readonly queue: Queue;
  /** Nodegroup API calls, without delay: preflight checks run at once. */
  readonly preflightQueue: Queue;
  readonly deadLetterQueue: Queue;
  readonly launchRule: Rule;
  readonly nodegroupApiRule: Rule;
  readonly role: Role;
  readonly function: FunctionWithLogGroup;
  readonly accessEntries: CfnAccessEntry[];
  readonly slackChannel?: chatbot.SlackChannelConfiguration;
  readonly alarms: Alarm[];
  /** With other regions: the rule that publishes their forwarding alarms to the topic. */
  readonly forwardingAlarmRelay?: Rule;
  /** The CloudWatch dashboard (dashboard.ts; docs/operations.md shows and explains it). */
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: EksJoinRemediatorProps = {}) {
    super(scope, id);
    const { functionRoleName, forwarding, ...settings } = props;
    this.config = parseDeploymentConfig(settings);
    const config = this.config;
    const stack = Stack.of(this);

    // Alerts -------------------------------------------------------------------------------------------
    this.topicKey = new Key(this, 'AlertKey', {
      description: 'Encrypts the eks-join-remediator alert topic',
      enableKeyRotation: true,
      // Messages are transient: nothing needs the key once the stack is gone.
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    // CloudWatch alarms publish to the topic, so CloudWatch must be able to use the key, but only on
    // behalf of this account's alarms in this region (aws:SourceAccount, aws:SourceArn: no confused
    // deputy). It is the only service principal in the key and topic policies: EventBridge does not
    // publish to this topic (the rules target the queues, which are SQS-encrypted), and the Slack
    // channel receives from SNS, which needs no key grant.
    const thisAccountsAlarms = {
      ArnLike: {
        'aws:SourceArn': stack.formatArn({
          service: 'cloudwatch',
          resource: 'alarm',
          resourceName: '*',
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      },
      StringEquals: { 'aws:SourceAccount': stack.account },
    };
    this.topicKey.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: thisAccountsAlarms,
      }),
    );
    this.topic = new Topic(this, 'AlertTopic', {
      displayName: 'EKS nodes that did not join',
      masterKey: this.topicKey,
      enforceSSL: true,
    });
    // The topic policy (made for enforceSSL) replaces SNS's default one: let this account's alarms publish.
    this.topic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowThisAccountsAlarmsToPublish',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: thisAccountsAlarms,
      }),
    );
    for (const email of config.alertEmails) this.topic.addSubscription(new EmailSubscription(email));
    if (config.slackWorkspaceId && config.slackChannelId) {
      this.slackChannel = new chatbot.SlackChannelConfiguration(this, 'SlackChannel', {
        // Channel configuration names are unique per account across regions: name the region too.
        slackChannelConfigurationName: Fn.join('-', [stack.stackName.slice(0, 100), Aws.REGION]),
        slackWorkspaceId: config.slackWorkspaceId,
        slackChannelId: config.slackChannelId,
        notificationTopics: [this.topic],
        // The channel only receives notifications; the guardrail caps anything run from Slack at reading.
        guardrailPolicies: [ManagedPolicy.fromAwsManagedPolicyName('ReadOnlyAccess')],
      });
    }

    // State: alert de-duplication and the remediation loop guard -----------------------------------
    this.stateTable = new Table(this, 'StateTable', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: 'expiresAt',
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // Only short-lived state (cooldowns, loop guard): nothing to keep once the stack is gone.
      removalPolicy: RemovalPolicy.DESTROY,
    });

    // Queue: Auto Scaling launch events, delivered at once ------------------------------------------------
    // A launch is checked for static causes as it arrives (an alert in seconds), then the function sends
    // it back with a per-message delay until its join window is over (at most 15 minutes per send).
    const launchDelay = Duration.seconds(Math.min(config.joinWindowSeconds, MAX_DELIVERY_DELAY_SECONDS));
    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new Queue(this, 'Queue', {
      // SQS-managed encryption: EventBridge can send without a key grant.
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // No queue delay: the wait for the window is the function's re-queue (SendMessage DelaySeconds).
      deliveryDelay: Duration.seconds(0),
      visibilityTimeout: VISIBILITY_TIMEOUT,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: MAX_RECEIVE_COUNT },
    });

    // Preflight: nodegroup API calls are checked at once (subnets, routes, node role), before any
    // instance has to fail, so their queue has no delay.
    this.preflightQueue = new Queue(this, 'PreflightQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: VISIBILITY_TIMEOUT,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: MAX_RECEIVE_COUNT },
    });

    // Rules: the launch (or failed launch) of a managed nodegroup's instance, and the nodegroup API calls -
    // Each target gets a queue policy statement for events.amazonaws.com conditioned on aws:SourceArn =
    // that rule: only these two rules can send. Events EventBridge cannot deliver go to the DLQ.
    this.launchRule = new Rule(this, 'InstanceLaunchRule', {
      description:
        'eks-join-remediator: an instance of an EKS managed nodegroup (Auto Scaling group eks-*) launched or failed to launch',
      eventPattern: EVENT_SOURCES.launch,
      targets: [new SqsQueue(this.queue, { deadLetterQueue: this.deadLetterQueue })],
    });
    this.nodegroupApiRule = new Rule(this, 'NodegroupApiRule', {
      description: `eks-join-remediator: ${NODEGROUP_CALLS.slice(0, -1).join(', ')} or ${NODEGROUP_CALLS.at(-1)} was called`,
      eventPattern: EVENT_SOURCES.nodegroupApi,
      targets: [new SqsQueue(this.preflightQueue, { deadLetterQueue: this.deadLetterQueue })],
    });

    // Function ---------------------------------------------------------------------------------------
    // The queues the function reads; reserved concurrency is derived from their number.
    const sourceQueues = [this.queue, this.preflightQueue];
    this.role = new Role(this, 'FunctionRole', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: 'eks-join-remediator join-check function',
      ...(functionRoleName !== undefined && { roleName: functionRoleName }),
    });
    for (const statement of functionStatements(stack, config)) this.role.addToPrincipalPolicy(statement);

    this.function = new FunctionWithLogGroup(this, 'JoinCheck', {
      entry: 'functions/join-check/handler.ts',
      description: 'Finds EKS nodes that never joined, says why, alerts and (by policy) fixes it',
      role: this.role,
      memorySize: 512,
      timeout: FUNCTION_TIMEOUT,
      // Adds up by design: never fewer than the event sources may start, so none of their batches is
      // throttled; the per-nodegroup lock keeps concurrent runs off each other's nodegroups.
      reservedConcurrentExecutions: reservedConcurrency(sourceQueues.length),
      logRetention: config.logRetentionDays as RetentionDays,
      environment: {
        ...functionEnvironment(config),
        // Alerts go to the central topic when there is one; the alarms stay with the stack's topic.
        [SETTINGS.alertTopicArn.env]: config.centralTopicArn ?? this.topic.topicArn,
        [SETTINGS.stateTable.env]: this.stateTable.tableName,
      },
    });
    if (config.functionSubnetIds.length > 0) {
      // Set on the resource: the subnets are given by ID, no VPC lookup (synth stays offline). The role
      // gets the network-interface permissions in permissions.ts.
      (this.function.node.defaultChild as CfnFunction).vpcConfig = {
        subnetIds: [...config.functionSubnetIds],
        securityGroupIds: [...config.functionSecurityGroupIds],
      };
    }
    for (const queue of sourceQueues) {
      this.function.addEventSource(
        new SqsEventSource(queue, {
          batchSize: BATCH_SIZE,
          maxBatchingWindow: MAX_BATCHING_WINDOW,
          reportBatchItemFailures: true,
          maxConcurrency: EVENT_SOURCE_MAX_CONCURRENCY,
        }),
      );
    }
    this.function.logGroup.grantWrite(this.role);
    if (config.centralTopicArn === undefined) this.topic.grantPublish(this.role);
    else
      for (const statement of centralTopicStatements(config.centralTopicArn))
        this.role.addToPrincipalPolicy(statement);
    this.stateTable.grant(
      this.role,
      // Exactly what functions/state/DynamoDbStateStore.ts calls.
      'dynamodb:Query',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
      'dynamodb:BatchGetItem',
    );
    // Re-queuing what is not yet due (a join window longer than the 900 s delivery delay).
    this.queue.grantSendMessages(this.role);

    // Kubernetes read access: the access entry maps the role to a group; infra/k8s/rbac.yaml gives the
    // group get/list/watch on nodes (nothing else) -----------------------------------------------------
    // Only this region's clusters: the other regions' entries are made by their forwarding stacks.
    this.accessEntries = clustersOf(config, config.region).map(
      (clusterName) =>
        new CfnAccessEntry(this, `AccessEntry-${clusterName}`, {
          clusterName,
          principalArn: this.role.roleArn,
          type: 'STANDARD',
          kubernetesGroups: [READER_GROUP],
        }),
    );

    // Alarms, to the same topic (alarms.ts; docs/operations.md says what to do for each) ---------------
    this.alarms = addAlarms(this, {
      topic: this.topic,
      function: this.function,
      logGroup: this.function.logGroup,
      launchQueue: this.queue,
      launchDelay,
      preflightQueue: this.preflightQueue,
      deadLetterQueue: this.deadLetterQueue,
    });
    // The other regions' forwarding alarms reach the topic through the home event bus (forwardedAlarms.ts).
    this.forwardingAlarmRelay = relayForwardingAlarms(this, {
      topic: this.topic,
      forwarding,
    });
    // Dashboard: the function's metrics, the queues and the function, and the alarms' state (dashboard.ts).
    this.dashboard = addDashboard(this, {
      function: this.function,
      functionTimeout: FUNCTION_TIMEOUT,
      launchQueue: this.queue,
      launchDelay,
      preflightQueue: this.preflightQueue,
      deadLetterQueue: this.deadLetterQueue,
      alarms: this.alarms,
      forwarding,
    });

    this.#acknowledgeNagFindings();
  }

  /** cdk-nag AwsSolutions findings that are intended, each with its reason. */
  #acknowledgeNagFindings(): void {
    NagSuppressions.addResourceSuppressions(
      this.role,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'EC2 and Auto Scaling Describe* calls have no resource-level permissions, so their Resource must be *; ' +
            'they are reads only.',
          appliesTo: ['Resource::*'],
        },
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'EKS reads and eks:UpdateNodegroupConfig are scoped to the watched clusters; the nodegroups, add-ons and ' +
            'access entries of a cluster are not known at deploy time (their ARNs end in generated IDs).',
          appliesTo: [
            {
              regex:
                '/^Resource::arn:(?:<AWS::Partition>|[^:]+):eks:(?:<AWS::Region>|[^:]+):<AWS::AccountId>:(cluster|nodegroup|access-entry|addon)\\/.*\\*$/g',
            },
          ],
        },
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'iam:ListAttachedRolePolicies and iam:ListRolePolicies (reads) on any role: the node roles to check are named by the nodegroups, ' +
            'not known at deploy time.',
          appliesTo: [inAnyRegion('Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:role/*')],
        },
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'ec2:GetManagedPrefixListEntries (a read) on any prefix list in the region: the lists named by routes and ' +
            'security group rules are not known at deploy time, and may be AWS-managed or shared from another account.',
          appliesTo: [inAnyRegion('Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:*:prefix-list/*')],
        },
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'Route writes are limited by condition to route tables of the configured VPCs (ec2:Vpc) or tagged ' +
            'eks-join-remediator/managed=true; the route table IDs are not known at deploy time.',
          appliesTo: [
            inAnyRegion('Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:route-table/*'),
          ],
        },
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'Instance termination is limited to groups named eks-* whose eks:cluster-name tag is a watched cluster; ' +
            'the group names end in generated IDs.',
          appliesTo: [
            inAnyRegion(
              'Resource::arn:<AWS::Partition>:autoscaling:<AWS::Region>:<AWS::AccountId>:autoScalingGroup:*:autoScalingGroupName/eks-*',
            ),
          ],
        },
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'Lambda network interfaces in the configured subnets: their IDs are made by Lambda; deletion and address ' +
            'changes are limited by the ec2:Subnet condition.',
          appliesTo: [
            inAnyRegion(
              'Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:network-interface/*',
            ),
          ],
        },
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'kms:GenerateDataKey* on the alert key only: the grant CDK makes for publishing to the encrypted topic.',
          appliesTo: ['Action::kms:GenerateDataKey*'],
        },
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'kms:DescribeKey and kms:GetKeyPolicy (reads, never a use of a key) on any key: a failed launch names ' +
            'the key of its launch template, which is not known at deploy time and may be shared from another account.',
          appliesTo: [inAnyRegion('Resource::arn:<AWS::Partition>:kms:<AWS::Region>:*:key/*')],
        },
        {
          id: 'AwsSolutions-IAM5',
          reason:
            "kms:GenerateDataKey* and kms:Decrypt on the keys of the central topic's account and region, only through SNS " +
            "(kms:ViaService): the topic's key is not known at deploy time and its own policy must allow the use too.",
          appliesTo: [{ regex: '/^Resource::arn:[^:]+:kms:[^:]+:[0-9]{12}:key\\/\\*$/g' }],
        },
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'ec2:GetConsoleOutput on instances: their IDs are made by Auto Scaling; limited by the condition to ' +
            "instances tagged with a watched cluster's eks:cluster-name.",
          appliesTo: [
            inAnyRegion('Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:instance/*'),
          ],
        },
      ],
      true,
    );
  }
}

/**
 * A cdk-nag finding on a resource ARN of any region: `<AWS::Region>` and `<AWS::Partition>` in an
 * environment-agnostic stack, a listed region's name (and its partition) when the stack has a home region
 * and the ARNs are made per region.
 */
function inAnyRegion(finding: string): { regex: string } {
  const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const pattern = finding
    .split(/<AWS::(?:Region|Partition)>/)
    .map(literal)
    .join('(?:<AWS::[A-Za-z]+>|[^:]+)');
  return { regex: `/^${pattern}$/g` };
}
