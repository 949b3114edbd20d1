import { describe, expect, it } from 'vitest';
import type { Cluster } from '../../../functions/core/model/types.js';
import {
  fixLines,
  identityFindings,
  NODE_ROLE,
  NODE_ROLE_NAME,
  nodeIdentity,
  onlyFinding,
} from '../../support/nodeIdentity.js';

type Mode = NonNullable<Cluster['authenticationMode']>;

const CREATE_ENTRY = `aws eks create-access-entry --cluster-name eks-workshop --principal-arn ${NODE_ROLE} --type EC2_LINUX --region us-west-2`;
const ROLE_WITHOUT_PATH = `arn:aws:iam::123456789012:role/${NODE_ROLE_NAME}`;

/** The nodegroup's role neither has an access entry nor is mapped in aws-auth. */
const unadmitted = (mode: Mode) =>
  onlyFinding(
    identityFindings(nodeIdentity({ accessEntries: [], awsAuthRoleArns: [] }), { authenticationMode: mode }),
    'NODE_ROLE_NOT_AUTHORIZED',
  );

/** The aws-auth snippet of a fix, uncommented. */
const awsAuthSnippet = (lines: string[]) =>
  lines.filter((l) => l.startsWith('#   ') && !l.includes('kubectl')).map((l) => l.slice(4));

describe('admission of the node role, by authentication mode', () => {
  it.each([
    ['API', 'access entries only'],
    ['API_AND_CONFIG_MAP', 'neither an access entry'],
    ['CONFIG_MAP', 'aws-auth ConfigMap only'],
  ] as const)('mode %s: a critical finding on the role that names the mode', (mode, reason) => {
    const finding = unadmitted(mode);
    expect(finding).toMatchObject({ severity: 'critical', resourceId: NODE_ROLE });
    expect(finding.message).toContain(`(authentication mode ${mode})`);
    expect(finding.message).toContain(reason);
    expect(finding.message).toContain(`node role ${NODE_ROLE_NAME} of nodegroup new_nodegroup_2`);
  });

  it('CONFIG_MAP: the fix is the aws-auth mapping, then the way to access entries', () => {
    const lines = fixLines(unadmitted('CONFIG_MAP').fix);
    expect(lines[0]).toMatch(/^# Add .*auth-configmap\.html/);
    expect(lines).toContain('#   kubectl edit configmap aws-auth -n kube-system');
    expect(awsAuthSnippet(lines)).toEqual([
      `- rolearn: ${ROLE_WITHOUT_PATH}`,
      '  username: system:node:{{EC2PrivateDNSName}}',
      '  groups:',
      '    - system:bootstrappers',
      '    - system:nodes',
    ]);
    expect(lines.filter((l) => l.startsWith('eksctl create iamidentitymapping'))).toHaveLength(1);
    expect(lines.at(-1)).toContain(
      'aws eks update-cluster-config --name eks-workshop --access-config authenticationMode=API_AND_CONFIG_MAP --region us-west-2',
    );
  });

  it('API_AND_CONFIG_MAP: an access entry first, then the aws-auth mapping as the alternative', () => {
    const lines = fixLines(unadmitted('API_AND_CONFIG_MAP').fix);
    expect(lines[0]).toMatch(/^# Preferred/);
    expect(lines[1]).toBe(CREATE_ENTRY);
    expect(lines[2]).toContain('--type EC2_WINDOWS');
    expect(lines[3]).toMatch(/^# Or add /);
    expect(awsAuthSnippet(lines)[0]).toBe(`- rolearn: ${ROLE_WITHOUT_PATH}`);
    expect(lines.some((l) => l.includes('update-cluster-config'))).toBe(false);
  });

  it('an access entry of the wrong type: names the entry and its type; the fix replaces it', () => {
    const finding = onlyFinding(
      identityFindings(nodeIdentity({ accessEntries: [{ principalArn: NODE_ROLE, type: 'STANDARD' }] })),
      'NODE_ROLE_NOT_AUTHORIZED',
    );
    expect(finding.message).toContain(`access entry ${NODE_ROLE} has type STANDARD`);
    // aws-auth is not looked at: the message ends with what the nodes cannot do, no note after it.
    expect(finding.message).toMatch(/register as Nodes\.$/);
    const lines = fixLines(finding.fix);
    expect(lines[0]).toMatch(/^# .*cannot be changed/);
    expect(lines.slice(1, 3)).toEqual([
      `aws eks delete-access-entry --cluster-name eks-workshop --principal-arn ${NODE_ROLE} --region us-west-2`,
      CREATE_ENTRY,
    ]);
    expect(lines).toHaveLength(4);
  });

  it('judges nothing under an authentication mode it does not know', () => {
    const mode = 'FUTURE_MODE' as Mode;
    expect(
      identityFindings(nodeIdentity({ accessEntries: [], awsAuthRoleArns: [] }), {
        authenticationMode: mode,
      }),
    ).toEqual([]);
  });
});

describe('an instance profile mapped in place of the role', () => {
  const dotted = 'arn:aws:iam::123456789012:role/eks.node-role';
  const findingFor = (mappedProfile: string) =>
    onlyFinding(
      identityFindings(
        nodeIdentity({ nodeRoleArn: dotted, accessEntries: [], awsAuthRoleArns: [mappedProfile] }),
        { authenticationMode: 'CONFIG_MAP' },
      ),
      'NODE_ROLE_NOT_AUTHORIZED',
    );

  it('is named when its name is the role name, dots and all, in any case', () => {
    const profile = 'arn:aws:iam::123456789012:instance-profile/nodes/EKS.Node-Role';
    expect(findingFor(profile).message).toContain(`instance profile ${profile}:`);
  });

  it('is not named when the name only matches with a dot read as any character', () => {
    const { message } = findingFor('arn:aws:iam::123456789012:instance-profile/eksXnode-role');
    expect(message).not.toContain('instance profile');
    expect(message).toMatch(/register as Nodes\.$/);
  });
});
