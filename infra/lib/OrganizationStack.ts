import { Stack, type StackProps } from 'aws-cdk-lib';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import cdkNag from 'cdk-nag';
import {
  Capability,
  DeploymentType,
  RegionConcurrencyType,
  StackSet,
  StackSetStack,
  StackSetTarget,
  StackSetTemplate,
} from 'cdk-stacksets';
import type { Construct } from 'constructs';
import { type DeploymentConfig, otherRegionsOf } from '../config.js';
import { EksJoinRemediator } from './EksJoinRemediator.js';
import { addRemediatorOutputs, STACK_DESCRIPTION } from './EksJoinRemediatorStack.js';
import { EventForwarding } from './EventForwarding.js';
import { forwardingDescription } from './EventForwardingStack.js';
import { forwardingDeadLetterQueueName, functionRoleName } from './names.js';

const { NagSuppressions } = cdkNag;

export interface OrganizationStackProps extends StackProps {
  /** Checked settings with organizationalUnitIds, region and assetBucketPrefix set (parseDeploymentConfig). */
  readonly config: DeploymentConfig;
  /** The name the stacks of a single account would have: it names the stack sets and the function's role. */
  readonly baseName: string;
}

/**
 * Deployed once, in the management account or a delegated administrator, in the home region: two
 * service-managed StackSets with automatic deployment, so every account of the organizational units
 * gets the stack in the home region and the forwarding stacks in the other listed regions, and an
 * account that joins later gets them when it joins.
 *
 * The function's code reaches every account through the bucket `<assetBucketPrefix>-<home region>`
 * (cdk-stacksets copies the asset there on each deployment; the organization must be allowed to read
 * it: docs/organization.md). The forwarding stack set waits for the home one: its rules need the home
 * stack's event bus rules to be there to be of use.
 */
export class OrganizationStack extends Stack {
  readonly homeStackSet: StackSet;
  readonly forwardingStackSet?: StackSet;

  constructor(scope: Construct, id: string, props: OrganizationStackProps) {
    const { config, baseName, ...stackProps } = props;
    super(scope, id, {
      description:
        'eks-join-remediator: StackSets that deploy it to every account of the organizational units',
      ...stackProps,
    });
    const homeRegion = config.region as string;
    const assetBucketPrefix = config.assetBucketPrefix as string;
    const otherRegions = otherRegionsOf(config);
    // Fixed, so that a central topic's policy can name the role of every account (docs/organization.md).
    const roleName = functionRoleName(baseName, homeRegion);
    const deploymentType = DeploymentType.serviceManaged({
      delegatedAdmin: config.stackSetCallAs === 'DELEGATED_ADMIN',
      autoDeployEnabled: true,
      // An account that leaves the units loses the stacks with it.
      autoDeployRetainStacks: false,
    });
    /** A StackSet of `template` in every account of the units, in these regions; the rest is shared. */
    const stackSet = (
      id: string,
      name: string,
      description: string,
      regions: string[],
      template: StackSetStack,
    ) =>
      new StackSet(this, id, {
        stackSetName: name,
        description,
        target: StackSetTarget.fromOrganizationalUnits({
          regions,
          organizationalUnits: [...config.organizationalUnitIds],
        }),
        template: StackSetTemplate.fromStackSetStack(template),
        deploymentType,
        capabilities: [Capability.NAMED_IAM],
        managedExecution: true,
        // A quarter of the accounts at a time; stop when more than a tenth fail.
        operationPreferences: {
          regionConcurrencyType: RegionConcurrencyType.PARALLEL,
          maxConcurrentPercentage: 25,
          failureTolerancePercentage: 10,
        },
      });

    const home = new StackSetStack(this, 'Home', {
      assetBuckets: [Bucket.fromBucketName(this, 'AssetBucket', `${assetBucketPrefix}-${homeRegion}`)],
      assetBucketPrefix,
    });
    home.templateOptions.description = STACK_DESCRIPTION;
    const deadLetterQueueName = forwardingDeadLetterQueueName(baseName);
    const remediator = new EksJoinRemediator(home, 'Remediator', {
      ...config,
      functionRoleName: roleName,
      forwarding: { regions: otherRegions, deadLetterQueueName },
    });
    addRemediatorOutputs(home, remediator);
    this.homeStackSet = stackSet('HomeStackSet', baseName, STACK_DESCRIPTION, [homeRegion], home);

    if (otherRegions.length > 0) {
      const forwarding = new StackSetStack(this, 'Forwarding');
      forwarding.templateOptions.description = forwardingDescription(homeRegion);
      new EventForwarding(forwarding, 'Forwarding', {
        homeRegion,
        functionRoleName: roleName,
        // parseDeploymentConfig allows only home-region clusters with organizationalUnitIds.
        clusters: [],
        deadLetterQueueName,
      });
      this.forwardingStackSet = stackSet(
        'ForwardingStackSet',
        `${baseName}-forwarding`,
        forwardingDescription(homeRegion),
        otherRegions,
        forwarding,
      );
      this.forwardingStackSet.node.addDependency(this.homeStackSet);
    }
    this.#acknowledgeAssetCopyFindings();
  }

  /**
   * cdk-stacksets copies the function's code to the asset bucket with a BucketDeployment (a custom
   * resource of aws-cdk-lib, made while the member stack's asset is added): its findings, with reasons.
   */
  #acknowledgeAssetCopyFindings(): void {
    const copies = this.node.children.filter((child) =>
      /^Custom::CDKBucketDeployment|AssetBucketDeployment/.test(child.node.id),
    );
    NagSuppressions.addResourceSuppressions(
      copies,
      [
        {
          id: 'AwsSolutions-IAM4',
          reason:
            "AWSLambdaBasicExecutionRole on aws-cdk-lib's BucketDeployment handler, which copies the function's code " +
            'to the asset bucket at deployment; only its logs.',
        },
        {
          id: 'AwsSolutions-IAM5',
          reason:
            "BucketDeployment's grants (s3 Get*, List*, DeleteObject*, Abort*) on the CDK asset bucket and the " +
            'StackSet asset bucket, which are where it reads and writes the code; no other bucket.',
        },
        {
          id: 'AwsSolutions-L1',
          reason:
            "The runtime of aws-cdk-lib's BucketDeployment handler is chosen by aws-cdk-lib and moves with it; it " +
            'runs only during deployments, in the administrator account.',
        },
      ],
      true,
    );
  }
}
