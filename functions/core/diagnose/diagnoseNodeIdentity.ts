import type { Cluster, Finding, Nodegroup, NodeIdentity, Severity } from '../model/types.js';

/**
 * Node identity causes: the node role lacks the policies a node needs, or the cluster does not admit
 * the role (no EC2_LINUX access entry, no aws-auth mapping); and the nodegroup's own health issues.
 * Pure: everything comes from the Cluster, the Nodegroup and the NodeIdentity read for it. A part that
 * could not be read (undefined) is never judged, so a missing permission of the checker cannot raise
 * a false alarm.
 */

/** The AWS managed policies a managed node's role needs, by name (the ARN differs per partition). */
export const WORKER_NODE_POLICY = 'AmazonEKSWorkerNodePolicy';
export const ECR_READ_POLICIES = ['AmazonEC2ContainerRegistryPullOnly', 'AmazonEC2ContainerRegistryReadOnly'];
export const CNI_POLICY = 'AmazonEKS_CNI_Policy';
/** AWS managed policies that grant everything the ones above grant. */
export const GRANTS_EVERYTHING = new Set(['AdministratorAccess', 'PowerUserAccess']);
/** Access entry types that admit nodes of a managed nodegroup. */
export const NODE_ACCESS_ENTRY_TYPES = new Set(['EC2_LINUX', 'EC2_WINDOWS']);

const TROUBLESHOOTING_URL = 'https://docs.aws.amazon.com/eks/latest/userguide/troubleshooting.html';
const MANAGED_NODEGROUP_ERRORS_URL = `${TROUBLESHOOTING_URL}#troubleshoot-managed-node-groups`;
const NODE_ROLE_URL = 'https://docs.aws.amazon.com/eks/latest/userguide/create-node-role.html';
const AWS_AUTH_URL = 'https://docs.aws.amazon.com/eks/latest/userguide/auth-configmap.html';

export interface RoleArn {
  partition: string;
  accountId: string;
  /** The role name, without its path. */
  name: string;
  /** '/' or '/team/nodes/' */
  path: string;
}

/**
 * An IAM role ARN (`arn:aws:iam::111122223333:role/path/name`) or the assumed-role ARN of a session
 * of it (`arn:aws:sts::111122223333:assumed-role/name/session`). Anything else (a user, an instance
 * profile, a malformed string) is undefined.
 */
export function parseRoleArn(arn: string): RoleArn | undefined {
  const role = /^arn:(aws[a-z-]*):iam::(\d{12}):role(\/(?:[^/]+\/)*)([^/]+)$/.exec(arn.trim());
  if (role) {
    const [, partition = '', accountId = '', path = '/', name = ''] = role;
    return { partition, accountId, name, path };
  }
  const session = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([^/]+)\/[^/]+$/.exec(arn.trim());
  if (session) {
    const [, partition = '', accountId = '', name = ''] = session;
    return { partition, accountId, name, path: '/' };
  }
  return undefined;
}

/**
 * Whether two ARNs name the same IAM role: same partition and account, same name (IAM role names are
 * unique regardless of case), path and session ignored.
 */
export function sameRole(a: string, b: string): boolean {
  const x = parseRoleArn(a);
  const y = parseRoleArn(b);
  return (
    !!x &&
    !!y &&
    x.partition === y.partition &&
    x.accountId === y.accountId &&
    x.name.toLowerCase() === y.name.toLowerCase()
  );
}

/** The role name of an IAM role ARN: the last path segment. */
export function roleNameFromArn(arn: string): string | undefined {
  return parseRoleArn(arn)?.name;
}

export interface NodeIdentityInput {
  cluster: Cluster;
  nodegroup: Nodegroup;
  /** undefined: not read (no node role known): nothing is judged. */
  identity: NodeIdentity | undefined;
}

/** NODE_ROLE_MISSING_POLICY and NODE_ROLE_NOT_AUTHORIZED for one nodegroup. */
export function diagnoseNodeIdentity({ cluster, nodegroup, identity }: NodeIdentityInput): Finding[] {
  if (!identity) return [];
  const role = parseRoleArn(identity.nodeRoleArn);
  if (!role) return [];
  const subject: IdentitySubject = { cluster, nodegroup, identity, role };
  return [missingPolicyFinding(subject), notAuthorizedFinding(subject)].filter(
    (f): f is Finding => f !== undefined,
  );
}

/** What both identity findings judge: the nodegroup's role, read and parsed. */
interface IdentitySubject {
  cluster: Cluster;
  nodegroup: Nodegroup;
  identity: NodeIdentity;
  role: RoleArn;
}

// --- NODE_ROLE_MISSING_POLICY ----------------------------------------------------------------------

/** The name of an AWS managed policy ARN (`arn:<partition>:iam::aws:policy/<path>/<name>`), else undefined. */
export function awsManagedPolicyName(arn: string): string | undefined {
  return /^arn:aws[a-z-]*:iam::aws:policy\/(?:[^/]+\/)*([^/]+)$/.exec(arn)?.[1];
}

function missingPolicyFinding({ cluster, nodegroup, identity, role }: IdentitySubject): Finding | undefined {
  const attached = identity.attachedPolicyArns;
  if (!attached) return undefined;
  const managed = new Set(attached.map(awsManagedPolicyName).filter((n): n is string => !!n));
  if ([...managed].some((name) => GRANTS_EVERYTHING.has(name))) return undefined;

  const missing: { policy: string; why: string }[] = [];
  if (!managed.has(WORKER_NODE_POLICY)) {
    missing.push({
      policy: WORKER_NODE_POLICY,
      why: 'the kubelet cannot describe its instance and the cluster',
    });
  }
  if (!ECR_READ_POLICIES.some((p) => managed.has(p))) {
    missing.push({
      policy:
        role.partition === 'aws'
          ? 'AmazonEC2ContainerRegistryPullOnly'
          : 'AmazonEC2ContainerRegistryReadOnly',
      why: 'the node cannot pull the pause, kube-proxy and VPC CNI images from ECR (AmazonEC2ContainerRegistryReadOnly or AmazonEC2ContainerRegistryPullOnly)',
    });
  }
  if (identity.cniUsesNodeRole === true && !managed.has(CNI_POLICY)) {
    missing.push({
      policy: CNI_POLICY,
      why: 'the vpc-cni add-on runs with the node role (no IRSA role or Pod Identity association) and cannot assign pod IPs, so the node never becomes Ready',
    });
  }
  if (missing.length === 0) return undefined;

  const inline = identity.inlinePolicyNames ?? [];
  const customerManaged = attached.filter((arn) => !awsManagedPolicyName(arn));
  const others = [
    ...inline.map((name) => `inline policy ${name}`),
    ...customerManaged.map((arn) => `customer managed policy ${arn}`),
  ];
  const severity: Severity = others.length > 0 ? 'warning' : 'critical';
  const names = missing.map((m) => m.policy);
  const region = cluster.region;
  return {
    code: 'NODE_ROLE_MISSING_POLICY',
    severity,
    resourceId: identity.nodeRoleArn,
    message: [
      `The node role ${role.name} of nodegroup ${nodegroup.name} (${identity.nodeRoleArn}) lacks the AWS managed polic${names.length === 1 ? 'y' : 'ies'} ${names.join(', ')}:`,
      `${missing.map((m) => `without ${m.policy}, ${m.why}`).join('; ')}.`,
      `Attached: ${attached.length > 0 ? attached.map((a) => awsManagedPolicyName(a) ?? a).join(', ') : 'none'}.`,
      others.length > 0
        ? `The role also has ${others.join(', ')}, which might grant the same permissions: check them before attaching.`
        : '',
    ]
      .filter(Boolean)
      .join(' '),
    fix: [
      `# Attach the missing managed polic${names.length === 1 ? 'y' : 'ies'} to ${role.name} (${NODE_ROLE_URL}):`,
      ...names.map(
        (name) =>
          `aws iam attach-role-policy --role-name ${role.name} --policy-arn arn:${role.partition}:iam::aws:policy/${name} --region ${region}`,
      ),
      '# then replace the unjoined instances so they start with the new permissions.',
    ].join('\n'),
  };
}

// --- NODE_ROLE_NOT_AUTHORIZED ----------------------------------------------------------------------

function notAuthorizedFinding({ cluster, nodegroup, identity, role }: IdentitySubject): Finding | undefined {
  const mode = cluster.authenticationMode;
  if (!mode) return undefined;
  const apiAllowed = mode === 'API' || mode === 'API_AND_CONFIG_MAP';
  const configMapAllowed = mode === 'CONFIG_MAP' || mode === 'API_AND_CONFIG_MAP';

  // Access entries: an entry for the role decides alone (EKS ignores aws-auth for a principal that has one).
  let entryProblem: string | undefined;
  let noEntry = false;
  if (apiAllowed) {
    const entries = identity.accessEntries;
    if (!entries) return undefined;
    const entry = entries.find((e) => sameRole(e.principalArn, identity.nodeRoleArn));
    if (entry) {
      if (entry.type === undefined || NODE_ACCESS_ENTRY_TYPES.has(entry.type)) return undefined;
      entryProblem = `its access entry ${entry.principalArn} has type ${entry.type}, which does not admit nodes (EC2_LINUX or EC2_WINDOWS does); an entry of another type also makes EKS ignore any aws-auth mapping of the role`;
    } else {
      noEntry = true;
    }
  }

  // aws-auth: counts only where the mode allows it, and only for a role without an access entry.
  let mappingNote = '';
  if (!entryProblem) {
    if (configMapAllowed) {
      const mapped = identity.awsAuthRoleArns;
      if (!mapped) return undefined;
      if (mapped.some((arn) => sameRole(arn, identity.nodeRoleArn))) return undefined;
      mappingNote = instanceProfileHint(mapped, role);
    } else if (!noEntry) {
      return undefined;
    }
  }

  const why =
    entryProblem ??
    (mode === 'API'
      ? 'the cluster admits principals through access entries only (authentication mode API) and has no access entry for the role'
      : mode === 'API_AND_CONFIG_MAP'
        ? 'the cluster has neither an access entry for the role nor an aws-auth mapping of it (authentication mode API_AND_CONFIG_MAP)'
        : 'the cluster admits principals through the aws-auth ConfigMap only (authentication mode CONFIG_MAP) and kube-system/aws-auth does not map the role');
  return {
    code: 'NODE_ROLE_NOT_AUTHORIZED',
    severity: 'critical',
    resourceId: identity.nodeRoleArn,
    message: `Cluster ${cluster.name} does not admit the node role ${role.name} of nodegroup ${nodegroup.name}: ${why}. Its nodes authenticate to the API server but cannot register as Nodes.${mappingNote}`,
    fix: authorizationFix(cluster, identity.nodeRoleArn, role, mode, entryProblem !== undefined),
  };
}

/** aws-auth mapping an instance profile ARN with the role's name: a classic slip worth naming. */
function instanceProfileHint(mapped: string[], role: RoleArn): string {
  const profile = mapped.find((arn) =>
    new RegExp(
      `^arn:${role.partition}:iam::${role.accountId}:instance-profile/(?:[^/]+/)*${escapeRegExp(role.name)}$`,
      'i',
    ).test(arn),
  );
  return profile
    ? ` aws-auth maps the instance profile ${profile}: mapRoles needs the role ARN, not the instance profile ARN.`
    : '';
}

function authorizationFix(
  cluster: Cluster,
  nodeRoleArn: string,
  role: RoleArn,
  mode: NonNullable<Cluster['authenticationMode']>,
  wrongType: boolean,
): string {
  const region = cluster.region;
  const create = `aws eks create-access-entry --cluster-name ${cluster.name} --principal-arn ${nodeRoleArn} --type EC2_LINUX --region ${region}`;
  const windows = '# (use --type EC2_WINDOWS for a Windows nodegroup)';
  if (wrongType) {
    return [
      '# The type of an access entry cannot be changed: replace the entry with an EC2_LINUX one.',
      `aws eks delete-access-entry --cluster-name ${cluster.name} --principal-arn ${nodeRoleArn} --region ${region}`,
      create,
      windows,
    ].join('\n');
  }
  // aws-auth wants the role ARN without its path.
  const mapRoles = [
    `- rolearn: arn:${role.partition}:iam::${role.accountId}:role/${role.name}`,
    '  username: system:node:{{EC2PrivateDNSName}}',
    '  groups:',
    '    - system:bootstrappers',
    '    - system:nodes',
  ];
  const configMapFix = [
    `# ${mode === 'CONFIG_MAP' ? 'Add' : 'Or add'} this entry to mapRoles in kube-system/aws-auth (${AWS_AUTH_URL}), keeping the existing entries:`,
    '#   kubectl edit configmap aws-auth -n kube-system',
    ...mapRoles.map((line) => `#   ${line}`),
    '# or, with eksctl:',
    `eksctl create iamidentitymapping --cluster ${cluster.name} --region ${region} --arn arn:${role.partition}:iam::${role.accountId}:role/${role.name} --group system:bootstrappers --group system:nodes --username 'system:node:{{EC2PrivateDNSName}}'`,
  ];
  if (mode === 'CONFIG_MAP') {
    return [
      ...configMapFix,
      `# (or switch the cluster to access entries: aws eks update-cluster-config --name ${cluster.name} --access-config authenticationMode=API_AND_CONFIG_MAP --region ${region}, then create an EC2_LINUX entry)`,
    ].join('\n');
  }
  if (mode === 'API') return [create, windows].join('\n');
  return [`# Preferred: an access entry for the node role.`, create, windows, ...configMapFix].join('\n');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// --- NODEGROUP_HEALTH_ISSUE ------------------------------------------------------------------------

/** Health issue codes that mean instances are not launching or not joining: the nodegroup cannot grow. */
const CRITICAL_HEALTH_CODES = new Set([
  'AccessDenied',
  'AmiIdNotFound',
  'AsgInstanceLaunchFailures',
  'AutoScalingGroupInvalidConfiguration',
  'AutoScalingGroupNotFound',
  'AutoScalingGroupOptInRequired',
  'ClusterUnreachable',
  'Ec2InstanceTypeDoesNotExist',
  'Ec2LaunchTemplateInvalidConfiguration',
  'Ec2LaunchTemplateNotFound',
  'Ec2LaunchTemplateVersionMismatch',
  'Ec2SecurityGroupNotFound',
  'Ec2SubnetInvalidConfiguration',
  'Ec2SubnetMissingIpv6Assignment',
  'Ec2SubnetNotFound',
  'IamInstanceProfileNotFound',
  'IamNodeRoleNotFound',
  'InstanceLimitExceeded',
  'InsufficientFreeAddresses',
  'NodeCreationFailure',
]);

export interface HealthInput {
  region: string;
  nodegroup: Nodegroup;
}

/** One finding per health issue EKS reports on the nodegroup. */
export function diagnoseNodegroupHealth({ region, nodegroup }: HealthInput): Finding[] {
  return nodegroup.healthIssues.map((issue) => {
    const instanceIds = issue.resourceIds.filter((id) => /^i-[0-9a-f]+$/.test(id));
    const subnetIds = issue.resourceIds.filter((id) => /^subnet-[0-9a-f]+$/.test(id));
    const resources = issue.resourceIds.length > 0 ? ` Resources: ${issue.resourceIds.join(', ')}.` : '';
    const text = issue.message.trim();
    return {
      code: 'NODEGROUP_HEALTH_ISSUE',
      severity: CRITICAL_HEALTH_CODES.has(issue.code) ? 'critical' : 'warning',
      // The nodegroup, not the issue's resources: instance ids change with every launch, and the alert
      // fingerprint must not.
      resourceId: nodegroup.arn ?? nodegroup.name,
      ...(subnetIds.length === 1 && { subnetId: subnetIds[0] }),
      ...(instanceIds.length > 0 && { instanceIds }),
      message: `EKS reports health issue ${issue.code} on nodegroup ${nodegroup.name}${text ? `: ${text.replace(/\.?$/, '.')}` : '.'}${resources}`,
      fix: healthFix(region, nodegroup, issue.code, { instanceIds, subnetIds }),
    };
  });
}

function healthFix(
  region: string,
  nodegroup: Nodegroup,
  code: string,
  { instanceIds, subnetIds }: { instanceIds: string[]; subnetIds: string[] },
): string {
  const cluster = nodegroup.clusterName;
  const describe = `aws eks describe-nodegroup --cluster-name ${cluster} --nodegroup-name ${nodegroup.name} --query nodegroup.health --region ${region}`;
  const docs = `# ${code}: ${MANAGED_NODEGROUP_ERRORS_URL}`;
  const asg = nodegroup.autoScalingGroupNames[0] ?? '<auto-scaling-group-name>';
  const subnets = subnetIds.length > 0 ? subnetIds.join(' ') : nodegroup.subnetIds.join(' ') || '<subnet-id>';
  switch (code) {
    case 'NodeCreationFailure':
      return [
        '# Instances launched but could not register with the cluster: see the other findings (route, endpoints, node role, access entry).',
        '# AWS Systems Manager runbook that checks one node end to end:',
        `aws ssm start-automation-execution --document-name AWSSupport-TroubleshootEKSWorkerNode --parameters ClusterName=${cluster},WorkerID=${instanceIds[0] ?? '<instance-id>'} --region ${region}`,
        docs,
      ].join('\n');
    case 'AsgInstanceLaunchFailures':
      return [
        '# The Auto Scaling group fails to launch instances; its activities say why:',
        `aws autoscaling describe-scaling-activities --auto-scaling-group-name ${asg} --max-items 5 --region ${region}`,
        docs,
      ].join('\n');
    case 'InstanceLimitExceeded':
      return [
        '# The account has reached its EC2 instance quota in this region (Running On-Demand Standard instances: L-1216C47A):',
        `aws service-quotas get-service-quota --service-code ec2 --quota-code L-1216C47A --region ${region}`,
        `aws service-quotas request-service-quota-increase --service-code ec2 --quota-code L-1216C47A --desired-value <vCPUs> --region ${region}`,
        docs,
      ].join('\n');
    case 'Ec2SubnetInvalidConfiguration':
      return [
        '# A public subnet of the nodegroup does not assign public IPv4 addresses on launch: enable it (or use private subnets with a NAT gateway):',
        ...(subnetIds.length > 0 ? subnetIds : ['<subnet-id>']).map(
          (id) =>
            `aws ec2 modify-subnet-attribute --subnet-id ${id} --map-public-ip-on-launch --region ${region}`,
        ),
        docs,
      ].join('\n');
    case 'InsufficientFreeAddresses':
      return [
        '# The subnets have no free IP addresses left: free some, or add subnets (or a secondary CIDR) to the nodegroup:',
        `aws ec2 describe-subnets --subnet-ids ${subnets} --query 'Subnets[].[SubnetId,AvailableIpAddressCount]' --region ${region}`,
        docs,
      ].join('\n');
    case 'IamNodeRoleNotFound':
    case 'IamInstanceProfileNotFound':
      return [
        '# The node role or its instance profile was deleted: recreate it with the same name, or create a nodegroup with an existing role:',
        `aws eks describe-nodegroup --cluster-name ${cluster} --nodegroup-name ${nodegroup.name} --query nodegroup.nodeRole --region ${region}`,
        docs,
      ].join('\n');
    case 'AccessDenied':
      return [
        "# EKS's service-linked role cannot act on the nodegroup's resources (check SCPs and the role's policy):",
        `aws iam get-role --role-name AWSServiceRoleForAmazonEKSNodegroup --region ${region}`,
        docs,
      ].join('\n');
    case 'Ec2SecurityGroupNotFound':
    case 'Ec2LaunchTemplateNotFound':
    case 'Ec2LaunchTemplateVersionMismatch':
    case 'Ec2SubnetNotFound':
    case 'AutoScalingGroupNotFound':
      return [
        '# A resource the nodegroup was created with no longer exists or was changed outside EKS; restore it or recreate the nodegroup.',
        describe,
        docs,
      ].join('\n');
    default:
      return [describe, docs].join('\n');
  }
}
