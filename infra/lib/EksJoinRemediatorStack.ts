import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { DeploymentSettings } from '../config.js';
import { EksJoinRemediator, type EksJoinRemediatorProps } from './EksJoinRemediator.js';

export interface EksJoinRemediatorStackProps
  extends StackProps,
    Pick<EksJoinRemediatorProps, 'functionRoleName' | 'forwarding'> {
  readonly settings: DeploymentSettings;
}

export const STACK_DESCRIPTION =
  'eks-join-remediator: finds EKS nodes that never joined their cluster, says why, alerts and fixes it';

/**
 * The ready-made stack: the EksJoinRemediator construct and the outputs the deployment guide uses.
 * Environment-agnostic unless `env` is given: it makes no lookups, so it synthesizes offline.
 */
export class EksJoinRemediatorStack extends Stack {
  readonly remediator: EksJoinRemediator;

  constructor(scope: Construct, id: string, props: EksJoinRemediatorStackProps) {
    const { settings, functionRoleName, forwarding, ...stackProps } = props;
    super(scope, id, { description: STACK_DESCRIPTION, ...stackProps });
    this.remediator = new EksJoinRemediator(this, 'Remediator', {
      ...settings,
      functionRoleName,
      forwarding,
    });
    addRemediatorOutputs(this, this.remediator);
  }
}

/** The outputs the deployment guide uses; also on a StackSet's member template. */
export function addRemediatorOutputs(stack: Stack, remediator: EksJoinRemediator): void {
  const outputs: Record<string, [string, string]> = {
    FunctionName: [remediator.function.functionName, 'The join-check function (aws lambda invoke)'],
    FunctionRoleArn: [
      remediator.role.roleArn,
      'Role of the function: the principal of the EKS access entries',
    ],
    AlertTopicArn: [remediator.topic.topicArn, 'Alert topic (subscribe more endpoints here)'],
    QueueUrl: [remediator.queue.queueUrl, 'Delaying queue between the launch rule and the function'],
    PreflightQueueUrl: [remediator.preflightQueue.queueUrl, 'Queue of nodegroup API calls, checked at once'],
    DeadLetterQueueUrl: [remediator.deadLetterQueue.queueUrl, 'Events that failed repeatedly (alarmed)'],
    DeadLetterQueueArn: [
      remediator.deadLetterQueue.queueArn,
      'For aws sqs start-message-move-task (redrive)',
    ],
    StateTableName: [remediator.stateTable.tableName, 'De-duplication and loop-guard state'],
    InstanceLaunchRuleName: [remediator.launchRule.ruleName, 'EventBridge rule: nodegroup instance launched'],
    NodegroupApiRuleName: [remediator.nodegroupApiRule.ruleName, 'EventBridge rule: nodegroup API calls'],
  };
  for (const [name, [value, description]] of Object.entries(outputs)) {
    new CfnOutput(stack, name, { value, description });
  }
}
