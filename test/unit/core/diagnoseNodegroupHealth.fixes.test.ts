import { describe, expect, it } from 'vitest';
import { diagnoseNodegroupHealth } from '../../../functions/core/diagnose/diagnoseNodeIdentity.js';
import type { Finding, Nodegroup } from '../../../functions/core/model/types.js';
import { NEW_SUBNET, nodegroup } from '../../support/factories.js';
import { fixLines } from '../../support/nodeIdentity.js';

const INSTANCE = 'i-0a1b2c3d4e5f60718';
const SUBNET_A = 'subnet-0aa0000000000aa01';
const SUBNET_B = 'subnet-0bb0000000000bb02';

/** The one finding for one health issue on the seed's nodegroup (or `group`). */
function healthFinding(
  code: string,
  resourceIds: string[] = [],
  message = 'Something went wrong.',
  group: Partial<Nodegroup> = {},
): Finding {
  const findings = diagnoseNodegroupHealth({
    region: 'us-west-2',
    nodegroup: nodegroup({ ...group, healthIssues: [{ code, message, resourceIds }] }),
  });
  expect(findings).toHaveLength(1);
  return findings[0] as Finding;
}

describe('the resources a health issue names', () => {
  it('takes only instance ids as instances and a single subnet id as the subnet', () => {
    const finding = healthFinding('NodeCreationFailure', [
      INSTANCE,
      SUBNET_A,
      `arn:aws:ec2:us-west-2:123456789012:instance/${INSTANCE}`,
      `arn:aws:ec2:us-west-2:123456789012:subnet/${SUBNET_B}`,
      `${INSTANCE} (terminated)`,
      `${SUBNET_B} (deleted)`,
    ]);
    expect(finding.instanceIds).toEqual([INSTANCE]);
    expect(finding.subnetId).toBe(SUBNET_A);
    expect(finding.message).toContain(`Resources: ${INSTANCE}, ${SUBNET_A}, `);
  });

  it('sets no instances, no subnet and no resource list when the issue names none', () => {
    const finding = healthFinding('NodeCreationFailure');
    expect(finding).not.toHaveProperty('instanceIds');
    expect(finding).not.toHaveProperty('subnetId');
    expect(finding.message).not.toContain('Resources');
    expect(finding.message).toMatch(/\.$/);
    expect(finding.fix).toContain(`WorkerID=<instance-id> `);
  });

  it('sets no subnet when the issue names two', () => {
    expect(healthFinding('InsufficientFreeAddresses', [SUBNET_A, SUBNET_B])).not.toHaveProperty('subnetId');
  });
});

describe("the issue's own text", () => {
  it('is trimmed and ends in one full stop', () => {
    expect(healthFinding('PodEvictionFailure', [], '  Reached max retries  ').message).toContain(
      'new_nodegroup_2: Reached max retries.',
    );
  });

  it('is left out when blank', () => {
    expect(
      healthFinding('PodEvictionFailure', [], '   ').message.endsWith('nodegroup new_nodegroup_2.'),
    ).toBe(true);
  });
});

describe('the fix for each health issue code', () => {
  it.each([
    [
      'NodeCreationFailure',
      'aws ssm start-automation-execution --document-name AWSSupport-TroubleshootEKSWorkerNode',
    ],
    ['AsgInstanceLaunchFailures', 'aws autoscaling describe-scaling-activities'],
    ['InstanceLimitExceeded', 'aws service-quotas request-service-quota-increase'],
    ['Ec2SubnetInvalidConfiguration', 'aws ec2 modify-subnet-attribute'],
    ['InsufficientFreeAddresses', 'aws ec2 describe-subnets'],
    [
      'IamNodeRoleNotFound',
      'aws eks describe-nodegroup --cluster-name eks-workshop --nodegroup-name new_nodegroup_2 --query nodegroup.nodeRole',
    ],
    [
      'IamInstanceProfileNotFound',
      'aws eks describe-nodegroup --cluster-name eks-workshop --nodegroup-name new_nodegroup_2 --query nodegroup.nodeRole',
    ],
    ['AccessDenied', 'aws iam get-role --role-name AWSServiceRoleForAmazonEKSNodegroup'],
    [
      'PodEvictionFailure',
      'aws eks describe-nodegroup --cluster-name eks-workshop --nodegroup-name new_nodegroup_2 --query nodegroup.health',
    ],
  ])('%s: runs %s on a line of its own, and ends with the docs for the code', (code, command) => {
    const lines = fixLines(healthFinding(code).fix);
    expect(lines.some((l) => l.startsWith(command))).toBe(true);
    expect(lines.at(-1)).toMatch(new RegExp(`^# ${code}: .*#troubleshoot-managed-node-groups$`));
  });

  it.each([
    'Ec2SecurityGroupNotFound',
    'Ec2LaunchTemplateNotFound',
    'Ec2LaunchTemplateVersionMismatch',
    'Ec2SubnetNotFound',
    'AutoScalingGroupNotFound',
  ])('%s: says the resource must be restored before describing the nodegroup', (code) => {
    const lines = fixLines(healthFinding(code).fix);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^# .*restore/);
    expect(lines[1]).toContain('--query nodegroup.health');
  });

  it('describes the subnets of the issue, else those of the nodegroup, else a placeholder', () => {
    const describeSubnets = (resourceIds: string[], subnetIds: string[]) =>
      fixLines(
        healthFinding('InsufficientFreeAddresses', resourceIds, 'No free addresses.', { subnetIds }).fix,
      ).find((l) => l.startsWith('aws ec2 describe-subnets'));
    expect(describeSubnets([SUBNET_A, SUBNET_B], [NEW_SUBNET])).toContain(
      `--subnet-ids ${SUBNET_A} ${SUBNET_B} `,
    );
    expect(describeSubnets([], [NEW_SUBNET, SUBNET_B])).toContain(`--subnet-ids ${NEW_SUBNET} ${SUBNET_B} `);
    expect(describeSubnets([], [])).toContain('--subnet-ids <subnet-id> ');
  });

  it('uses placeholders for a subnet or an Auto Scaling group it does not know', () => {
    expect(healthFinding('Ec2SubnetInvalidConfiguration').fix).toContain(
      'aws ec2 modify-subnet-attribute --subnet-id <subnet-id> --map-public-ip-on-launch',
    );
    expect(healthFinding('AsgInstanceLaunchFailures', [], 'x', { autoScalingGroupNames: [] }).fix).toContain(
      '--auto-scaling-group-name <auto-scaling-group-name> ',
    );
  });
});
