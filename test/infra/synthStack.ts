import { readFileSync } from 'node:fs';
import path from 'node:path';
import { App, Aspects } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import cdkNag from 'cdk-nag';
import { type DeploymentSettings, parseDeploymentConfig } from '../../infra/config.js';
import { addDeploymentStacks } from '../../infra/lib/deploymentStacks.js';
import { EksJoinRemediatorStack } from '../../infra/lib/EksJoinRemediatorStack.js';
import { REPOSITORY_ROOT } from '../../infra/lib/paths.js';

const { AwsSolutionsChecks } = cdkNag;

/** The feature flags of cdk.json, so a test synthesizes what `npm run synth` does. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(path.join(REPOSITORY_ROOT, 'cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  };
  return cdkJson.context;
}

export interface SynthOptions {
  /** Run esbuild for the function (default false: the asset is not built, everything else is the same). */
  bundle?: boolean;
  /** Apply the cdk-nag AwsSolutions checks, as infra/bin/app.ts does. */
  nag?: boolean;
  outdir?: string;
}

/** An app with cdk.json's feature flags, bundling or not. */
function appWith(options: SynthOptions): App {
  return new App({
    context: {
      ...cdkJsonContext(),
      // Bundling is skipped for stacks not listed here.
      ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
    },
    ...(options.outdir && { outdir: options.outdir }),
  });
}

/** The ready-made stack with these settings, and its template. */
export function synthStack(settings: DeploymentSettings = {}, options: SynthOptions = {}) {
  const app = appWith(options);
  const stack = new EksJoinRemediatorStack(app, 'EksJoinRemediator', { settings });
  if (options.nag) Aspects.of(app).add(new AwsSolutionsChecks());
  const template = Template.fromStack(stack);
  return { app, stack, template };
}

/** Every stack `cdk deploy --all` deploys with these settings (infra/lib/deploymentStacks.ts), as infra/bin/app.ts makes them. */
export function synthDeployment(settings: DeploymentSettings, options: SynthOptions = {}) {
  const app = appWith(options);
  const stacks = addDeploymentStacks(app, 'EksJoinRemediator', parseDeploymentConfig(settings));
  if (options.nag) Aspects.of(app).add(new AwsSolutionsChecks());
  return { app, stacks };
}

/** Settings with every option on: remediation, Slack, e-mail, VPC scoping and a VPC-attached function. */
export const FULL_SETTINGS = {
  policy: 'remediate',
  joinWindowSeconds: 600,
  recycleStrategy: 'scale-cycle',
  allowMainRouteTable: true,
  allowSharedRouteTable: true,
  preflightPolicy: 'remediate',
  clusters: ['eks-workshop', 'prod_2'],
  alertEmails: ['platform@example.com', 'oncall@example.com'],
  slackWorkspaceId: 'T0123ABCD',
  slackChannelId: 'C0456EFGH',
  vpcIds: ['vpc-0a1b2c3d4e5f60718'],
  functionSubnetIds: ['subnet-0e5e4b6c1d2a3f405', 'subnet-0f6f5c7d2e3b4a516'],
  functionSecurityGroupIds: ['sg-0123456789abcdef0'],
  logRetentionDays: 30,
  loopGuardMaxRemediations: 3,
  loopGuardWindowSeconds: 7200,
  alertCooldownSeconds: 1800,
} as const satisfies DeploymentSettings;

/** Every option of one account over two regions: the home region us-west-2 and eu-west-1. */
export const MULTI_REGION_SETTINGS = {
  ...FULL_SETTINGS,
  region: 'us-west-2',
  regions: ['us-west-2', 'eu-west-1'],
  clusters: ['eks-workshop', 'prod_2', 'eu-west-1/prod', 'eu-west-1/eks-workshop'],
  centralTopicArn: 'arn:aws:sns:us-east-1:111122223333:eks-join-alerts',
} as const satisfies DeploymentSettings;

/** The organization: the stack in us-west-2 and forwarding from eu-west-1, in every account of two units. */
export const ORGANIZATION_SETTINGS = {
  policy: 'notify',
  region: 'us-west-2',
  regions: ['us-west-2', 'eu-west-1'],
  organizationalUnitIds: ['ou-ab12-cdef3456', 'ou-ab12-0123abcd'],
  assetBucketPrefix: 'acme-ejr-assets',
  centralTopicArn: 'arn:aws:sns:us-west-2:111122223333:eks-join-alerts',
  alertEmails: ['platform@example.com'],
} as const satisfies DeploymentSettings;
