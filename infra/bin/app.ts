#!/usr/bin/env node
// The CDK app of the ready-made stacks (cdk.json runs it with tsx): deploymentStacks.ts says which. Settings: infra/loadSettings.ts.
import { App, Aspects } from 'aws-cdk-lib';
import cdkNag from 'cdk-nag';
import { DeploymentConfigError } from '../config.js';
import { addDeploymentStacks } from '../lib/deploymentStacks.js';
import { loadDeploymentConfig } from '../loadSettings.js';

const { AwsSolutionsChecks } = cdkNag;
const DEFAULT_STACK_NAME = 'EksJoinRemediator';

const app = new App();
try {
  const config = loadDeploymentConfig(app.node);
  const stackName = stackNameFrom(app.node.tryGetContext('stackName'));
  addDeploymentStacks(app, stackName, config);
} catch (error) {
  if (!(error instanceof DeploymentConfigError)) throw error;
  // A configuration mistake: one line that names the setting, no stack trace.
  console.error(`eks-join-remediator: invalid configuration: ${error.message}`);
  process.exit(2);
}
// AWS Solutions checks on every synth: an unacknowledged finding fails it (acknowledgements with their
// reasons are in the construct, next to the resources).
Aspects.of(app).add(new AwsSolutionsChecks());

function stackNameFrom(value: unknown): string {
  if (value === undefined) return DEFAULT_STACK_NAME;
  if (typeof value !== 'string' || !/^[A-Za-z][A-Za-z0-9-]{0,127}$/.test(value)) {
    throw new DeploymentConfigError(
      `context 'stackName' must be a CloudFormation stack name (a letter, then letters, digits or -), got '${String(value)}'`,
    );
  }
  return value;
}
