import type { App, Stack } from 'aws-cdk-lib';
import { clustersOf, type DeploymentConfig, otherRegionsOf } from '../config.js';
import { EksJoinRemediatorStack } from './EksJoinRemediatorStack.js';
import { EventForwardingStack } from './EventForwardingStack.js';
import { forwardingDeadLetterQueueName, forwardingStackName, functionRoleName } from './names.js';
import { OrganizationStack } from './OrganizationStack.js';

/**
 * The stacks of a deployment (what `cdk deploy --all` deploys): with organizationalUnitIds, the one
 * stack of the StackSets; otherwise this account's stack and a forwarding stack per other region.
 */
export function addDeploymentStacks(app: App, stackName: string, config: DeploymentConfig): Stack[] {
  if (config.organizationalUnitIds.length > 0) {
    return [
      new OrganizationStack(app, stackName, { config, baseName: stackName, env: { region: config.region } }),
    ];
  }
  return addAccountStacks(app, stackName, config);
}

/**
 * One account: the stack, in the home region when one is set (else wherever the CLI deploys it), and
 * a forwarding stack in each other listed region, deployed after it (`cdk deploy --all`).
 */
function addAccountStacks(app: App, stackName: string, config: DeploymentConfig): Stack[] {
  const homeRegion = config.region;
  const otherRegions = otherRegionsOf(config);
  // A role name only where other stacks name it; a single-region stack keeps its generated one.
  const roleName =
    homeRegion !== undefined && (otherRegions.length > 0 || config.centralTopicArn !== undefined)
      ? functionRoleName(stackName, homeRegion)
      : undefined;
  const deadLetterQueueName = forwardingDeadLetterQueueName(stackName);
  const home = new EksJoinRemediatorStack(app, stackName, {
    settings: config,
    ...(homeRegion !== undefined && { env: { region: homeRegion } }),
    functionRoleName: roleName,
    forwarding: { regions: otherRegions, deadLetterQueueName },
  });
  const stacks: Stack[] = [home];
  for (const region of otherRegions) {
    const forwarding = new EventForwardingStack(app, forwardingStackName(stackName, region), {
      env: { region },
      homeRegion: homeRegion as string,
      functionRoleName: roleName as string,
      clusters: clustersOf(config, region),
      deadLetterQueueName,
    });
    // The access entries name the home stack's role: it must exist first.
    forwarding.addStackDependency(home);
    stacks.push(forwarding);
  }
  return stacks;
}
