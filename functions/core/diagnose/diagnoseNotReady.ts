import type {
  Cluster,
  Finding,
  InstanceVerdict,
  NetworkSnapshot,
  Nodegroup,
  NodeIdentity,
  NotReadyCause,
} from '../model/types.js';
import { awsManagedPolicyName, CNI_POLICY, GRANTS_EVERYTHING, parseRoleArn } from './diagnoseNodeIdentity.js';

/**
 * NODES_NOT_READY: nodes past the join window that registered but whose Ready condition is not True,
 * with the condition's reason and message and the common causes the account shows: the vpc-cni
 * add-on missing or degraded, aws-node running with a node role that lacks AmazonEKS_CNI_Policy, the
 * node's subnet out of addresses. Pure; a part of the account that could not be read (undefined) is
 * named as not checked, never judged.
 *
 * Not a remediation: the planner recycles only unjoined instances, and new instances would meet the
 * same cause. The fix is for a person.
 */

/**
 * What the kubelet says when the pod network is not up (container runtime network not ready,
 * NetworkPluginNotReady, cni plugin not initialized): the CNI causes are looked for then, and when
 * the condition says nothing at all. A node not Ready for another reason (its kubelet stopped
 * posting status, disk pressure) is not blamed on the CNI.
 */
const POD_NETWORK_NOT_READY = /NetworkPluginNotReady|NetworkReady=false|network plugin|\bcni\b/i;

/**
 * A subnet counts as out of addresses at 0 free, not below some threshold: how many addresses a node
 * needs for pods depends on its instance type's ENI limits and the CNI's warm-pool settings
 * (WARM_ENI_TARGET, WARM_IP_TARGET, MINIMUM_IP_TARGET, prefix delegation), none of which the check
 * reads. A guessed threshold would blame small subnets that work; 0 is a fact.
 */
const NO_FREE_ADDRESSES = 0;

/** Nodes named one by one in the message per condition; the rest are counted. */
const NODES_NAMED = 5;
/** `kubectl describe node` lines in the fix. */
const NODES_DESCRIBED = 3;

const CNI_ROLE_URL = 'https://docs.aws.amazon.com/eks/latest/userguide/cni-iam-role.html';
const VPC_CNI = 'vpc-cni';

export interface NotReadyInput {
  cluster: Cluster;
  nodegroup: Nodegroup;
  /** Registered nodes past the join window whose Ready condition is not True (notReadyOf). */
  notReady: InstanceVerdict[];
  /** undefined: not read; the add-on and the CNI's permission are then not checked. */
  identity?: NodeIdentity;
  /** The networks of the not-ready nodes' VPCs: their subnets' free addresses. */
  networks: NetworkSnapshot[];
  joinWindowSeconds: number;
}

/** One cause found: what it is, what the message says of it, and the commands that fix it. */
interface Cause {
  cause: NotReadyCause;
  says: string;
  fix: string[];
}

interface Search {
  causes: Cause[];
  /** Parts of the account that could not be read, so no cause could be found there. */
  unchecked: string[];
}

export function diagnoseNotReady(input: NotReadyInput): Finding[] {
  const { nodegroup, notReady, joinWindowSeconds } = input;
  if (notReady.length === 0) return [];
  const nodes = notReady.map((v) => ({
    nodeName: v.nodeName ?? v.instanceId,
    instanceId: v.instanceId,
    ...(v.readyReason && { reason: v.readyReason }),
    ...(v.readyMessage && { message: v.readyMessage }),
  }));
  const podNetwork = nodes.every((n) => !n.reason && !n.message)
    ? true
    : nodes.some((n) => POD_NETWORK_NOT_READY.test(`${n.reason ?? ''} ${n.message ?? ''}`));
  const search: Search = podNetwork ? findCauses(input) : { causes: [], unchecked: [] };

  const message = [
    `${nodes.length} node(s) of nodegroup ${nodegroup.name} registered but are not Ready ${joinWindowSeconds} s or more after launch: ${conditions(nodes)}.`,
    causeSentence(search, podNetwork),
  ].join(' ');
  return [
    {
      code: 'NODES_NOT_READY',
      severity: 'critical',
      resourceId: nodegroup.arn ?? nodegroup.name,
      instanceIds: nodes.map((n) => n.instanceId),
      notReadyNodes: nodes,
      notReadyCauses: search.causes.map((c) => c.cause),
      message,
      fix: fixOf(input, nodes, search),
    },
  ];
}

type NotReadyNode = NonNullable<Finding['notReadyNodes']>[number];

/** The nodes grouped by their condition: `ip-… (i-…), ip-… (i-…): KubeletNotReady: …; …`. */
function conditions(nodes: NotReadyNode[]): string {
  const groups = new Map<string, NotReadyNode[]>();
  for (const node of nodes) {
    const key = `${node.reason ?? ''}\u0000${node.message ?? ''}`;
    groups.set(key, [...(groups.get(key) ?? []), node]);
  }
  return [...groups.values()]
    .map((group) => {
      const [first] = group as [NotReadyNode];
      const named = group.slice(0, NODES_NAMED).map((n) => `${n.nodeName} (${n.instanceId})`);
      const more = group.length > NODES_NAMED ? ` and ${group.length - NODES_NAMED} more` : '';
      const condition =
        [first.reason, first.message].filter(Boolean).join(': ') || 'Ready is not True, no reason given';
      return `${named.join(', ')}${more}: ${condition.replace(/\.$/, '')}`;
    })
    .join('; ');
}

function causeSentence({ causes, unchecked }: Search, podNetwork: boolean): string {
  if (!podNetwork) {
    return 'The condition does not point at the pod network, so the CNI causes were not looked for.';
  }
  const notChecked = unchecked.length > 0 ? ` Not checked: ${unchecked.join('; ')}.` : '';
  if (causes.length === 0) {
    return `No common cause found in the account (vpc-cni add-on, its IAM permission, free subnet addresses).${notChecked}`;
  }
  return `Cause${causes.length === 1 ? '' : 's'} found: ${causes.map((c) => c.says).join('; ')}.${notChecked}`;
}

// --- the causes ------------------------------------------------------------------------------------

function findCauses(input: NotReadyInput): Search {
  const causes: Cause[] = [];
  const unchecked: string[] = [];
  const { identity } = input;
  if (!identity) {
    unchecked.push('the vpc-cni add-on and the node role (not read)');
  } else {
    const addon = addonCause(input, identity);
    if (addon) causes.push(addon);
    else if (!identity.vpcCniAddon) unchecked.push('the vpc-cni add-on (eks:DescribeAddon not readable)');
    const policy = cniPolicyCause(input, identity);
    if (policy && 'cause' in policy) causes.push(policy);
    else if (policy) unchecked.push(policy.unchecked);
  }
  const subnets = subnetCause(input);
  if (subnets.cause) causes.push(subnets.cause);
  unchecked.push(...subnets.unchecked);
  return { causes, unchecked };
}

/** VPC_CNI_MISSING or VPC_CNI_DEGRADED, from the add-on as EKS reports it. */
function addonCause({ cluster }: NotReadyInput, identity: NodeIdentity): Cause | undefined {
  const addon = identity.vpcCniAddon;
  if (!addon) return undefined;
  const region = cluster.region;
  const describe = `aws eks describe-addon --cluster-name ${cluster.name} --addon-name ${VPC_CNI} --query 'addon.[status,health.issues]' --region ${region}`;
  if (!addon.installed) {
    const role = parseRoleArn(identity.nodeRoleArn);
    const lacksPolicy = role && nodeRoleLacksCniPolicy(identity) === 'certain';
    return {
      cause: 'VPC_CNI_MISSING',
      says: `the vpc-cni add-on is not installed on cluster ${cluster.name} (unless a self-managed aws-node DaemonSet or another CNI stands in, no CNI sets up the pod network)`,
      fix: [
        '# Is a self-managed aws-node DaemonSet there? If so, add --resolve-conflicts OVERWRITE to create-addon.',
        'kubectl -n kube-system get daemonset aws-node',
        `# Install the vpc-cni add-on and wait for ACTIVE:`,
        `aws eks create-addon --cluster-name ${cluster.name} --addon-name ${VPC_CNI} --region ${region}`,
        describe,
        ...(lacksPolicy
          ? [
              `# Without --service-account-role-arn the add-on runs with the node role ${role.name}, which lacks ${CNI_POLICY} (${CNI_ROLE_URL}):`,
              attachCommand(role.name, role.partition, region),
            ]
          : []),
      ],
    };
  }
  if (addon.status === 'ACTIVE' && addon.issues.length === 0) return undefined;
  const issues = addon.issues.map((i) => `${i.code}: ${i.message.trim().replace(/\.$/, '')}`);
  const fix = [`# The vpc-cni add-on's status and health issues:`, describe];
  if (addon.issues.some((i) => i.code === 'ConfigurationConflict')) {
    fix.push(
      '# aws-node was changed outside the add-on: let the add-on take its fields back.',
      `aws eks update-addon --cluster-name ${cluster.name} --addon-name ${VPC_CNI} --resolve-conflicts OVERWRITE --region ${region}`,
    );
  }
  const irsaRole = addon.serviceAccountRoleArn && parseRoleArn(addon.serviceAccountRoleArn);
  if (irsaRole && addon.issues.some((i) => /AccessDenied|Permission/i.test(i.code))) {
    fix.push(
      `# The add-on's own role ${irsaRole.name} needs ${CNI_POLICY}:`,
      `aws iam list-attached-role-policies --role-name ${irsaRole.name} --region ${region}`,
    );
  }
  return {
    cause: 'VPC_CNI_DEGRADED',
    says: `the vpc-cni add-on${addon.version ? ` ${addon.version}` : ''} is ${addon.status}${issues.length > 0 ? ` with health issues ${issues.join('; ')}` : ''}`,
    fix,
  };
}

/**
 * Whether the node role lacks AmazonEKS_CNI_Policy: `certain` when no other policy of the role could
 * grant it, `maybe` when inline or customer managed policies might (or the inline ones were not read),
 * `no` when it has it (or a policy granting everything), undefined when its policies were not read.
 */
function nodeRoleLacksCniPolicy(identity: NodeIdentity): 'certain' | 'maybe' | 'no' | undefined {
  const attached = identity.attachedPolicyArns;
  if (!attached) return undefined;
  const managed = new Set(attached.map(awsManagedPolicyName).filter((n): n is string => !!n));
  if (managed.has(CNI_POLICY) || [...managed].some((name) => GRANTS_EVERYTHING.has(name))) return 'no';
  const others =
    (identity.inlinePolicyNames ?? []).length + attached.filter((a) => !awsManagedPolicyName(a)).length;
  return identity.inlinePolicyNames === undefined || others > 0 ? 'maybe' : 'certain';
}

/**
 * CNI_POLICY_MISSING: aws-node runs with the node role (the add-on has no IRSA role and there is no
 * Pod Identity association for it) and the role lacks the CNI policy. Either part unknown: what
 * could not be checked.
 */
function cniPolicyCause(
  { cluster }: NotReadyInput,
  identity: NodeIdentity,
): Cause | { unchecked: string } | undefined {
  const addon = identity.vpcCniAddon;
  if (identity.cniUsesNodeRole === false) return undefined;
  if (identity.cniUsesNodeRole === undefined) {
    // Without the add-on nothing says which role a self-managed aws-node uses: not a gap of the read.
    return addon?.installed
      ? { unchecked: "which role aws-node runs with (the add-on's Pod Identity associations not readable)" }
      : undefined;
  }
  const role = parseRoleArn(identity.nodeRoleArn);
  if (!role) return undefined;
  const lacks = nodeRoleLacksCniPolicy(identity);
  if (lacks === undefined) {
    return {
      unchecked: `the policies of the node role ${role.name} (iam:ListAttachedRolePolicies not readable)`,
    };
  }
  if (lacks === 'no') return undefined;
  const inline = identity.inlinePolicyNames;
  const others = [
    ...(inline ?? []).map((name) => `inline policy ${name}`),
    ...(identity.attachedPolicyArns ?? [])
      .filter((arn) => !awsManagedPolicyName(arn))
      .map((arn) => `customer managed policy ${arn}`),
  ];
  const hedge =
    lacks === 'certain'
      ? ''
      : others.length > 0
        ? ` (${others.join(', ')} might grant its permissions: check before attaching)`
        : ' (its inline policies were not read)';
  return {
    cause: 'CNI_POLICY_MISSING',
    says: `aws-node runs with the node role ${role.name}, which ${lacks === 'certain' ? 'lacks' : 'may lack'} ${CNI_POLICY}${hedge}, so the CNI cannot assign pod addresses`,
    fix: [
      `# Attach ${CNI_POLICY} to the node role ${role.name} (or give aws-node its own role: ${CNI_ROLE_URL}), then restart aws-node:`,
      attachCommand(role.name, role.partition, cluster.region),
      'kubectl -n kube-system rollout restart daemonset aws-node',
    ],
  };
}

/** SUBNET_ADDRESSES_EXHAUSTED: a not-ready node's subnet has no free address for pods. */
function subnetCause({ cluster, nodegroup, notReady, networks }: NotReadyInput): {
  cause?: Cause;
  unchecked: string[];
} {
  const subnetOf = (subnetId: string) =>
    networks.flatMap((n) => n.subnets).find((s) => s.subnetId === subnetId);
  const subnetIds = [...new Set(notReady.map((v) => v.subnetId).filter((s): s is string => !!s))];
  const unknown = subnetIds.filter((id) => subnetOf(id)?.availableIpAddressCount === undefined);
  const full = subnetIds.filter((id) => subnetOf(id)?.availableIpAddressCount === NO_FREE_ADDRESSES);
  const unchecked = unknown.length > 0 ? [`the free addresses of ${unknown.join(', ')} (not read)`] : [];
  if (full.length === 0) return { unchecked };
  const withRoom = nodegroup.subnetIds
    .map((id) => ({ id, free: subnetOf(id)?.availableIpAddressCount }))
    .filter((s): s is { id: string; free: number } => s.free !== undefined && s.free > NO_FREE_ADDRESSES);
  const room =
    withRoom.length > 0
      ? ` (the nodegroup's ${withRoom.map((s) => `${s.id} has ${s.free}`).join(', ')})`
      : '';
  const region = cluster.region;
  return {
    unchecked,
    cause: {
      cause: 'SUBNET_ADDRESSES_EXHAUSTED',
      says: `subnet${full.length === 1 ? '' : 's'} ${full.join(', ')} ${full.length === 1 ? 'has' : 'have'} no free IPv4 address left for pods${room}`,
      fix: [
        `# Free addresses in ${full.join(', ')} (unattached network interfaces hold some), or give pods other subnets (a secondary CIDR with custom networking):`,
        `aws ec2 describe-subnets --subnet-ids ${full.join(' ')} --query 'Subnets[].[SubnetId,AvailableIpAddressCount]' --region ${region}`,
        `aws ec2 describe-network-interfaces --filters Name=subnet-id,Values=${full.join(',')} Name=status,Values=available --query 'NetworkInterfaces[].NetworkInterfaceId' --region ${region}`,
      ],
    },
  };
}

function attachCommand(roleName: string, partition: string, region: string): string {
  return `aws iam attach-role-policy --role-name ${roleName} --policy-arn arn:${partition}:iam::aws:policy/${CNI_POLICY} --region ${region}`;
}

// --- the fix ---------------------------------------------------------------------------------------

function fixOf(input: NotReadyInput, nodes: NotReadyNode[], { causes }: Search): string {
  const { cluster, nodegroup } = input;
  const described = nodes.slice(0, NODES_DESCRIBED).map((n) => `kubectl describe node ${n.nodeName}`);
  const look = [
    `# What the node${nodes.length === 1 ? '' : 's'} and aws-node say:`,
    ...described,
    'kubectl -n kube-system get pods -l k8s-app=aws-node -o wide',
    'kubectl -n kube-system logs -l k8s-app=aws-node --tail=50',
  ];
  const addonRead = `aws eks describe-addon --cluster-name ${cluster.name} --addon-name ${VPC_CNI} --query 'addon.[status,health.issues]' --region ${cluster.region}`;
  const after = [
    '# Not recycled: new instances would meet the same cause. Once it is fixed the nodes turn Ready without replacement:',
    `#   kubectl get nodes -l eks.amazonaws.com/nodegroup=${nodegroup.name}`,
  ];
  if (causes.length === 0) {
    const addonKnown = input.identity?.vpcCniAddon !== undefined;
    return [...look, ...(addonKnown ? [] : [addonRead]), ...after].join('\n');
  }
  return [...causes.flatMap((c) => c.fix), ...look, ...after].join('\n');
}
