/**
 * The domain model: a small, SDK-free picture of one nodegroup and its network, and what the tool
 * concludes about it. Adapters map AWS and Kubernetes responses into these shapes; the decision
 * core reads only these.
 */

export type Policy = 'off' | 'notify' | 'dry-run' | 'remediate';
export const POLICIES: readonly Policy[] = ['off', 'notify', 'dry-run', 'remediate'];

export type Severity = 'critical' | 'warning' | 'info';

export type FindingCode =
  | 'NODES_NOT_JOINED'
  | 'NO_DEFAULT_ROUTE'
  | 'BLACKHOLE_DEFAULT_ROUTE'
  | 'NO_PUBLIC_IP'
  | 'CLUSTER_API_UNREACHABLE'
  | 'NODE_LIST_FORBIDDEN'
  | 'MISSING_VPC_ENDPOINTS'
  | 'ENDPOINT_ACCESS_EXCLUDES_NODES'
  | 'NACL_BLOCKS_EGRESS'
  | 'SECURITY_GROUP_BLOCKS_EGRESS'
  | 'VPC_DNS_DISABLED'
  | 'NODE_ROLE_MISSING_POLICY'
  | 'NODE_ROLE_NOT_AUTHORIZED'
  | 'NODEGROUP_HEALTH_ISSUE';

export type ActionType = 'create-route' | 'replace-route' | 'replace-instances' | 'scale-cycle' | 'notify';
export type ActionStatus = 'planned' | 'done' | 'skipped' | 'failed';

/** The EKS cluster as far as the join check needs it. */
export interface Cluster {
  name: string;
  arn?: string;
  region: string;
  endpoint?: string;
  /** Base64 PEM of the cluster certificate authority. */
  certificateAuthority?: string;
  vpcId?: string;
  endpointPublicAccess: boolean;
  endpointPrivateAccess: boolean;
  publicAccessCidrs: string[];
  tags: Record<string, string>;
  /** How the cluster admits IAM principals: access entries (API), the aws-auth ConfigMap, or both. */
  authenticationMode?: 'API' | 'API_AND_CONFIG_MAP' | 'CONFIG_MAP';
  /** The cluster security group EKS creates; managed nodes use it unless a launch template says otherwise. */
  clusterSecurityGroupId?: string;
}

export interface Nodegroup {
  name: string;
  clusterName: string;
  arn?: string;
  status: string;
  subnetIds: string[];
  autoScalingGroupNames: string[];
  scaling: { minSize: number; maxSize: number; desiredSize: number };
  tags: Record<string, string>;
  healthIssues: { code: string; message: string; resourceIds: string[] }[];
  /** The IAM role the nodes run as. */
  nodeRoleArn?: string;
}

export interface Instance {
  instanceId: string;
  autoScalingGroupName?: string;
  subnetId?: string;
  vpcId?: string;
  availabilityZone?: string;
  launchedAt?: string;
  /** EC2 state name: pending, running, shutting-down, terminated, ... */
  state: string;
  /** Auto Scaling lifecycle state, e.g. InService, Pending, Terminating. */
  lifecycleState?: string;
  publicIp?: string;
  privateIp?: string;
  securityGroupIds?: string[];
}

export type RouteTarget =
  | { kind: 'local' }
  | { kind: 'nat-gateway'; id: string }
  | { kind: 'internet-gateway'; id: string }
  | { kind: 'egress-only-internet-gateway'; id: string }
  | { kind: 'transit-gateway'; id: string }
  | { kind: 'vpc-peering'; id: string }
  | { kind: 'vpc-endpoint'; id: string }
  | { kind: 'network-interface'; id: string }
  | { kind: 'instance'; id: string }
  | { kind: 'local-gateway'; id: string }
  | { kind: 'carrier-gateway'; id: string }
  | { kind: 'core-network'; id: string }
  | { kind: 'prefix-list-only'; id: string }
  | { kind: 'unknown'; id: string };

export interface Route {
  destination: string;
  target: RouteTarget;
  /** 'active' or 'blackhole', as EC2 reports it. */
  state: string;
  origin?: string;
}

export interface RouteTable {
  routeTableId: string;
  vpcId: string;
  main: boolean;
  subnetIds: string[];
  routes: Route[];
}

export interface NatGateway {
  natGatewayId: string;
  vpcId: string;
  subnetId: string;
  /** pending | available | deleting | deleted | failed */
  state: string;
  connectivityType: 'public' | 'private';
  publicIps: string[];
}

export interface Subnet {
  subnetId: string;
  vpcId: string;
  availabilityZone: string;
  cidrBlock: string;
  mapPublicIpOnLaunch: boolean;
}

export interface VpcEndpoint {
  vpcEndpointId: string;
  /** e.g. com.amazonaws.us-west-2.ecr.api */
  serviceName: string;
  type: 'Interface' | 'Gateway' | 'GatewayLoadBalancer' | string;
  /** available, pending, deleted, ... */
  state: string;
  privateDnsEnabled: boolean;
  /** Interface endpoints: the subnets holding their network interfaces. */
  subnetIds: string[];
  /** Gateway endpoints: the route tables they are added to. */
  routeTableIds: string[];
  securityGroupIds: string[];
}

export interface NetworkAclEntry {
  ruleNumber: number;
  egress: boolean;
  /** IANA protocol number as a string, '-1' for all. */
  protocol: string;
  action: 'allow' | 'deny';
  cidrBlock?: string;
  ipv6CidrBlock?: string;
  portRange?: { from: number; to: number };
}

export interface NetworkAcl {
  networkAclId: string;
  vpcId: string;
  isDefault: boolean;
  subnetIds: string[];
  entries: NetworkAclEntry[];
}

export interface SecurityGroupRule {
  /** '-1' for all, else 'tcp', 'udp', 'icmp' or a protocol number. */
  protocol: string;
  fromPort?: number;
  toPort?: number;
  cidrs: string[];
  ipv6Cidrs: string[];
  groupIds: string[];
  prefixListIds: string[];
}

export interface SecurityGroup {
  groupId: string;
  vpcId: string;
  ingress: SecurityGroupRule[];
  egress: SecurityGroupRule[];
}

/** Everything the network diagnosis of one VPC needs, read in one go. */
export interface NetworkSnapshot {
  vpcId: string;
  subnets: Subnet[];
  routeTables: RouteTable[];
  natGateways: NatGateway[];
  /** Filled by the full network read; absent in small test snapshots, where their checks are skipped. */
  cidrBlocks?: string[];
  enableDnsSupport?: boolean;
  enableDnsHostnames?: boolean;
  vpcEndpoints?: VpcEndpoint[];
  networkAcls?: NetworkAcl[];
  securityGroups?: SecurityGroup[];
}

/**
 * Who the nodes are and whether the cluster admits them. Each part is `undefined` when it could not
 * be read (no permission, API not offered): such checks are skipped, never guessed.
 */
export interface NodeIdentity {
  nodeRoleArn: string;
  /** ARNs of the managed policies attached to the node role. */
  attachedPolicyArns?: string[];
  /** Names of inline policies on the node role: they may grant what a managed policy would. */
  inlinePolicyNames?: string[];
  /** Access entries of the cluster: principal ARN and type (EC2_LINUX, STANDARD, ...). */
  accessEntries?: { principalArn: string; type?: string }[];
  /** Role ARNs mapped in the aws-auth ConfigMap (kube-system). */
  awsAuthRoleArns?: string[];
  /** Whether the VPC CNI (aws-node) runs with the node role rather than its own (IRSA / Pod Identity). */
  cniUsesNodeRole?: boolean;
}

/** A Kubernetes Node reduced to what membership needs. */
export interface ClusterNode {
  name: string;
  providerId?: string;
  instanceId?: string;
  ready: boolean;
  nodegroup?: string;
}

/** Membership as read from the Kubernetes API: either the list of Nodes, or why it could not be read. */
export type Membership =
  | { kind: 'known'; nodes: ClusterNode[] }
  | {
      kind: 'unknown';
      reason: 'unreachable' | 'forbidden';
      status?: number;
      detail: string;
      endpoint: string;
    };

export interface InstanceVerdict {
  instanceId: string;
  subnetId?: string;
  availabilityZone?: string;
  launchedAt?: string;
  /** null when membership could not be read: never guessed. */
  joined: boolean | null;
  /** Still inside the join window: not judged yet. */
  pending: boolean;
  nodeName?: string;
  ready?: boolean;
  state: string;
}

export interface Finding {
  code: FindingCode;
  severity: Severity;
  resourceId: string;
  subnetId?: string;
  message: string;
  fix: string;
  instanceIds?: string[];
  routeTableId?: string;
  /** How the subnet got its route table: an explicit association or the VPC main table. */
  routeTableSource?: 'explicit' | 'main';
  natGatewayId?: string;
}

export interface Action {
  type: ActionType;
  resourceId: string;
  target?: string;
  status: ActionStatus;
  reason: string;
  /** The exact command that undoes a `done` action, for a person. */
  undo?: string;
  /** Route actions: the table, and its default route before and after, as a person reads them. */
  routeTableId?: string;
  destination?: string;
  natGatewayId?: string;
  before?: string;
  after?: string;
  /** Recycle actions: what is replaced, in which group, and (scale-cycle) the size to come back to. */
  instanceId?: string;
  autoScalingGroupName?: string;
  desiredSize?: number;
}

/** Why a notification is sent: the problem, what was done about it, or how it ended. */
export type AlertKind = 'problem' | 'remediated' | 'resolved' | 'escalation';

/** A remediation carried out on a nodegroup, kept in the state table for the loop guard and follow-up. */
export interface RemediationRecord {
  cluster: string;
  nodegroup: string;
  /** When the writes were made (ISO 8601). */
  at: string;
  /** open: waiting for the replacements to join; resolved: they did; escalated: they did not. */
  status: 'open' | 'resolved' | 'escalated';
  actions: Action[];
  /** Instances terminated (or the whole group cycled) so that replacements launch with the fix. */
  replacedInstanceIds: string[];
}

export interface NodegroupReport {
  name: string;
  arn?: string;
  /** Set when a follow-up alert (resolved, escalation) or an action alert is the reason for this report. */
  alertKind?: AlertKind;
  /** The remediation a follow-up speaks of. */
  remediation?: RemediationRecord;
  policy: Policy;
  status?: string;
  autoScalingGroups?: string[];
  instances: InstanceVerdict[];
  findings: Finding[];
  actions: Action[];
  /** The route tables looked at, so a person can see what the verdict rests on. */
  routeTables?: RouteTable[];
}

export interface Report {
  cluster: string;
  region?: string;
  policy: Policy;
  checkedAt: string;
  joinWindowSeconds?: number;
  nodegroups: NodegroupReport[];
}
