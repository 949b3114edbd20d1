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
  | 'NODE_ROLE_NOT_AUTHORIZED';

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

/** Everything the routing diagnosis of one VPC needs, read in one go. */
export interface NetworkSnapshot {
  vpcId: string;
  subnets: Subnet[];
  routeTables: RouteTable[];
  natGateways: NatGateway[];
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
