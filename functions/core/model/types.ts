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
  | 'NODEGROUP_HEALTH_ISSUE'
  | 'IPV6_ONLY_EGRESS'
  | 'NODES_NOT_READY'
  | 'EBS_KMS_KEY_UNUSABLE'
  | 'SUBNET_ADDRESSES_EXHAUSTED'
  | 'LAUNCH_FAILURES';

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
  /** The subnets given to the cluster itself (resourcesVpcConfig.subnetIds). */
  subnetIds?: string[];
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
  /** The launch template the nodegroup was created with, if any (EKS otherwise makes its own). */
  launchTemplate?: { id?: string; name?: string; version?: string };
  /** The instance types the nodegroup asks for (empty when its launch template sets the type). */
  instanceTypes?: string[];
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
  /** e.g. m5.large; what the waiting costs is estimated from it. */
  instanceType?: string;
}

/** Where a route sends traffic: the VPC itself, or a target with an id. */
export type RouteTarget = { kind: 'local' } | { kind: TargetKind; id: string };

export type TargetKind =
  | 'nat-gateway'
  | 'internet-gateway'
  | 'egress-only-internet-gateway'
  | 'transit-gateway'
  | 'vpc-peering'
  | 'vpc-endpoint'
  | 'network-interface'
  | 'instance'
  | 'local-gateway'
  | 'carrier-gateway'
  | 'core-network'
  | 'prefix-list-only'
  | 'unknown';

export interface Route {
  /** An IPv4 CIDR block, an IPv6 CIDR block, or a prefix list id (`pl-…`), as EC2 reports it. */
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
  /** Subnets explicitly associated with the table (for the main table: only its explicit ones). */
  subnetIds: string[];
  routes: Route[];
  tags?: Record<string, string>;
}

/** A managed prefix list (customer or AWS-managed) that a route may send traffic for. */
export interface PrefixList {
  prefixListId: string;
  name?: string;
  /** 'AWS' for AWS-managed lists (service ranges such as S3), else the owning account. */
  ownerId?: string;
  addressFamily?: 'IPv4' | 'IPv6';
  /** The entries' CIDR blocks; undefined when they could not be read. */
  cidrs?: string[];
}

export interface InternetGateway {
  internetGatewayId: string;
  /** VPCs it is attached to (attachment state available / attached). */
  attachedVpcIds: string[];
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
  /** Free IPv4 addresses left in the subnet (EC2's AvailableIpAddressCount); undefined when not read. */
  availableIpAddressCount?: number;
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
  /**
   * The prefix lists the VPC's routes name. A route to a list that is absent here, or whose entries
   * are undefined, is egress of unknown kind.
   */
  prefixLists?: PrefixList[];
  /** Internet gateways attached to the VPC; undefined when they could not be read (no NAT is then proven). */
  internetGateways?: InternetGateway[];
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
  /** The vpc-cni add-on as EKS reports it; undefined when it could not be read. */
  vpcCniAddon?: VpcCniAddon;
}

/** The vpc-cni EKS add-on: absent (self-managed aws-node, or none at all), or its status and health. */
export type VpcCniAddon =
  | { installed: false }
  | {
      installed: true;
      /** ACTIVE, DEGRADED, CREATE_FAILED, UPDATING, ... */
      status: string;
      version?: string;
      /** The add-on's health issues (code and message). */
      issues: { code: string; message: string }[];
      /** The IRSA role of aws-node, when the add-on has one. */
      serviceAccountRoleArn?: string;
    };

/** A Kubernetes Node reduced to what membership needs. */
export interface ClusterNode {
  name: string;
  providerId?: string;
  instanceId?: string;
  ready: boolean;
  /** The Ready condition's reason and message, when it is not True (e.g. KubeletNotReady, "cni plugin not initialized"). */
  readyReason?: string;
  readyMessage?: string;
  /** metadata.creationTimestamp: when the node registered. */
  createdAt?: string;
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
  /** With a Node: its metadata.creationTimestamp, when it registered (launch to this is the time to join). */
  joinedAt?: string;
  ready?: boolean;
  /** With ready false: the Ready condition's reason and message. */
  readyReason?: string;
  readyMessage?: string;
  state: string;
  instanceType?: string;
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
  /** BLACKHOLE_DEFAULT_ROUTE: the NAT gateway the dead route goes to (natGatewayId is the one a fix would use). */
  deadNatGatewayId?: string;
  /** The most recent change of the resource in CloudTrail (routing, endpoint, NACL, security group findings). */
  lastChange?: ResourceChange;
  /** NODES_NOT_READY: the nodes, with their Ready condition. */
  notReadyNodes?: { nodeName: string; instanceId: string; reason?: string; message?: string }[];
  /** NODES_NOT_READY: the common causes found (none: the condition's message is all there is). */
  notReadyCauses?: NotReadyCause[];
  /** EBS_KMS_KEY_UNUSABLE: the key, its state, and what its policy lacks. */
  kmsKey?: { keyId: string; keyArn?: string; state?: string; missing: KmsKeyGap[] };
  /** SUBNET_ADDRESSES_EXHAUSTED: free addresses left, and the nodegroup's subnets that still have room. */
  availableIpAddresses?: number;
  subnetsWithRoom?: { subnetId: string; availableIpAddresses: number }[];
  /** Launch failures: Auto Scaling's own status messages (distinct), how many launches failed, and when. */
  launchFailures?: { statusMessages: string[]; count: number; firstAt?: string; lastAt?: string };
}

/** Why registered nodes are not Ready, as far as the account shows it. */
export type NotReadyCause =
  /** No vpc-cni add-on and no aws-node found to run the CNI. */
  | 'VPC_CNI_MISSING'
  /** The vpc-cni add-on is not ACTIVE, or reports health issues. */
  | 'VPC_CNI_DEGRADED'
  /** aws-node runs with the node role, which lacks AmazonEKS_CNI_Policy (and no IRSA / Pod Identity role). */
  | 'CNI_POLICY_MISSING'
  /** A not-ready node's subnet has no free IP address for pods. */
  | 'SUBNET_ADDRESSES_EXHAUSTED';

/** Why the Auto Scaling service-linked role cannot use a KMS key for the nodes' volumes. */
export type KmsKeyGap =
  | 'KEY_DISABLED'
  | 'KEY_PENDING_DELETION'
  | 'KEY_NOT_ENABLED'
  | 'NO_USE_GRANT'
  | 'NO_CREATE_GRANT';

/**
 * Who last changed a resource, from CloudTrail management events (90 days), or why that is not
 * known. Never a reason to fail the check.
 */
export type ResourceChange =
  | {
      found: true;
      eventName: string;
      eventTime: string;
      /** The caller: an assumed-role session, user or service ARN, as CloudTrail gives it. */
      principalArn?: string;
      userName?: string;
      eventId?: string;
    }
  | {
      found: false;
      /** NONE_FOUND: nothing relevant in 90 days; ACCESS_DENIED: no cloudtrail:LookupEvents; UNAVAILABLE: the call failed; NOT_LOOKED_UP: over the per-check budget. */
      why: 'NONE_FOUND' | 'ACCESS_DENIED' | 'UNAVAILABLE' | 'NOT_LOOKED_UP';
      detail?: string;
    };

/** What an unjoined instance's console output says about why it did not join. */
export type BootSignature =
  | 'API_TIMEOUT'
  | 'DNS_FAILURE'
  | 'UNAUTHORIZED'
  | 'CERTIFICATE_ERROR'
  | 'CREDENTIALS_FAILURE';

export interface BootEvidence {
  instanceId: string;
  /** The last relevant lines of the console output, secrets removed (a few hundred bytes at most). */
  lines: string[];
  signatures: BootSignature[];
  /** How the signatures bear on the network diagnosis of this check. */
  verdict: 'corroborates' | 'contradicts' | 'inconclusive';
  /** Output timestamp, as EC2 gives it. */
  at?: string;
  /** Set when there is no output to read (none yet, access denied, call failed). */
  unavailable?: string;
}

/** An Auto Scaling "EC2 Instance Launch Unsuccessful" event of a managed nodegroup's group. */
export interface LaunchFailure {
  autoScalingGroupName: string;
  /** Auto Scaling's StatusMessage, e.g. "Client.InternalError: Client error on launch". */
  statusMessage: string;
  cause?: string;
  subnetId?: string;
  availabilityZone?: string;
  /** When the launch failed (the event's time). */
  time?: string;
}

/** What the unjoined, not-ready or failing capacity costs while it waits. */
export interface WaitingCost {
  instances: number;
  /** The longest any of them has run, in seconds. */
  longestRunningSeconds: number;
  /** Estimated on-demand USD per hour of the instances whose type is priced; absent when none is. */
  hourlyUsd?: number;
  /** Instance types with no price in the table (their cost is not in hourlyUsd). */
  unpricedTypes: string[];
}

/**
 * Why an action was skipped or failed (and, for some planned or done ones, a note on how), as data:
 * decisions and alerts read this, never the `reason` sentence.
 */
export type ReasonCode =
  // Route refusals
  | 'EGRESS_PRESENT'
  | 'EGRESS_UNKNOWN'
  | 'IPV6_ONLY'
  | 'ROUTE_NOT_NAT'
  | 'ROUTE_NOT_DEAD'
  | 'ROUTE_CHANGED'
  | 'MAIN_ROUTE_TABLE'
  | 'SHARED_ROUTE_TABLE'
  | 'NO_USABLE_NAT'
  | 'SPLIT_ROUTE'
  // Recycling refusals
  | 'NO_ROUTE_FIX'
  | 'ROUTE_NOT_FIXED'
  | 'INSTANCES_PENDING'
  | 'INSTANCES_JOINED'
  | 'MEMBERSHIP_UNKNOWN'
  | 'MIN_SIZE'
  | 'NOT_ENOUGH_TIME'
  | 'ALREADY_GONE'
  // Run-level refusals
  | 'LOOP_GUARD'
  | 'NO_WRITER'
  | 'LOCKED'
  | 'ALERT_COOLDOWN'
  // Outcomes of writes
  | 'ALREADY_THERE'
  | 'VERIFIED_AFTER_ERROR'
  | 'OUTCOME_UNKNOWN'
  | 'ACCESS_DENIED'
  | 'THROTTLED'
  | 'CALL_FAILED'
  | 'NOT_ACTIVE_IN_TIME'
  | 'SCALE_BACK_FAILED';

/** Why a NAT gateway cannot carry an unjoined subnet's traffic to the internet. */
export type NatRejection =
  | 'OTHER_VPC'
  | 'NOT_AVAILABLE'
  | 'PRIVATE_CONNECTIVITY'
  | 'IN_PATCHED_TABLE'
  | 'NO_INTERNET_ROUTE'
  | 'INTERNET_GATEWAY_NOT_ATTACHED'
  | 'INTERNET_GATEWAYS_UNKNOWN';

/** Fields every action has. `reason` is for people and is rendered from the data (see core/reasons). */
interface ActionCommon {
  resourceId: string;
  target?: string;
  status: ActionStatus;
  reason: string;
  reasonCode?: ReasonCode;
  /** The exact command that undoes a `done` action, for a person. */
  undo?: string;
  /** The error of a failed write, as the API gave it. */
  error?: string;
  /** LOOP_GUARD: how many remediations the guard counted, within which window, against which limit. */
  loopGuard?: { remediations: number; limit: number; windowSeconds: number };
}

/** A default route written to a route table: created where none is, or replacing a dead one. */
export interface RouteAction extends ActionCommon {
  type: 'create-route' | 'replace-route';
  routeTableId: string;
  destination: string;
  /** Every subnet the table serves: the blast radius of the write. */
  subnetIds: string[];
  /** The NAT gateway the route goes to; absent only when none qualifies (NO_USABLE_NAT). */
  natGatewayId?: string;
  /** The unjoined subnet the fix is for (its zone chose the NAT gateway). */
  subnetId?: string;
  /** The route the write replaces or stands beside, as data; absent when there was none. */
  previous?: Route;
  /** The default route before and after, as a person reads them. */
  before: string;
  after?: string;
  /** SHARED_ROUTE_TABLE: the served subnets that belong to no nodegroup of the cluster nor to the cluster. */
  outsideSubnetIds?: string[];
  /** NO_USABLE_NAT: each NAT gateway of the VPC and why it does not lead out. */
  rejectedNatGateways?: { natGatewayId: string; why: NatRejection }[];
  /** The NAT gateway is in another zone than the unjoined subnet: traffic crosses zones. */
  crossZone?: boolean;
  /** EGRESS_UNKNOWN: the prefix list whose entries could not be read. */
  prefixListId?: string;
  /** Skipped: the commands a person can run instead, once they judged the refusal. */
  manualFix?: string;
}

/** Instances terminated through Auto Scaling without lowering desired capacity, so the group replaces them. */
export interface ReplaceInstancesAction extends ActionCommon {
  type: 'replace-instances';
  autoScalingGroupName: string;
  /** One instance per planned action; a skipped summary may name several. */
  instanceIds: string[];
  /** The route table whose fix the replacement relies on. */
  routeTableId?: string;
  /** The fix was written by an earlier run (a preflight at launch) at this time, after the instance launched. */
  routeFixedAt?: string;
  /** Planned under scale-cycle, which could not be used for this reason. */
  scaleCycleBlockedBy?: ReasonCode;
  /** With scaleCycleBlockedBy: what blocked it (the joined or pending instances, the minimum size). */
  blockers?: string[];
}

/** The nodegroup scaled to 0, back to ACTIVE, then back to its desired size. */
export interface ScaleCycleAction extends ActionCommon {
  type: 'scale-cycle';
  nodegroup: string;
  autoScalingGroupName?: string;
  /** The desired size it began with and must end at (never lower). */
  desiredSize: number;
  /** The instances the cycle replaces: every instance of the nodegroup. */
  instanceIds: string[];
  /** The route tables whose fixes the cycle relies on. */
  routeTableIds: string[];
  /** Those of the fixes that an earlier run (a preflight at launch) wrote, after the instances launched. */
  routesFixedEarlier?: { routeTableId: string; at: string }[];
  /** NOT_ENOUGH_TIME: the seconds the cycle needs and the seconds that were left. */
  secondsNeeded?: number;
  secondsLeft?: number;
}

export interface NotifyAction extends ActionCommon {
  type: 'notify';
  /** The kind of alert published (or not). */
  alertKind?: AlertKind;
  /** Done: the SNS message id. */
  messageId?: string;
  /** ALERT_COOLDOWN: the cooldown that suppressed it. */
  cooldownSeconds?: number;
}

export type Action = RouteAction | ReplaceInstancesAction | ScaleCycleAction | NotifyAction;
export type WriteAction = RouteAction | ReplaceInstancesAction | ScaleCycleAction;

/** Why a notification is sent: the problem, what was done about it, or how it ended. */
export type AlertKind = 'problem' | 'remediated' | 'resolved' | 'escalation';

/**
 * A remediation of a nodegroup, kept in the state table: written as an intent before the first write,
 * updated after each action, and read by the loop guard, the follow-up and a retry that resumes it.
 */
export interface RemediationRecord {
  cluster: string;
  nodegroup: string;
  /** When the writes began (ISO 8601). */
  at: string;
  /**
   * open: something was done, waiting for the replacements to join; resolved: they did; escalated:
   * they did not; failed: nothing was done (every write failed or was refused when re-checked).
   */
  status: 'open' | 'resolved' | 'escalated' | 'failed';
  /** writing: the intent is recorded and writes are under way (or were interrupted); written: every action has its outcome. */
  progress?: 'writing' | 'written';
  /** Whether the alert about this remediation was published; a retry publishes it when not. */
  alerted?: boolean;
  actions: Action[];
  /** What the writes change, as it was before them. */
  before?: { routes: { routeTableId: string; route?: Route }[]; desiredSize?: number };
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
  /** How each looked-at route table lets traffic out, by table id. */
  egress?: Record<string, EgressSummary>;
  /** Console output of unjoined instances, as evidence for or against the diagnosis. */
  bootEvidence?: BootEvidence[];
  /** Unjoined or not-ready instances: how long they ran and what they cost per hour. */
  waitingCost?: WaitingCost;
}

/** A route table's way out as the report shows it. */
export interface EgressSummary {
  kind: 'internet' | 'unknown' | 'dead' | 'ipv6-only' | 'none';
  /** The routes it rests on (`0.0.0.0/0 → nat-… (active)`), as a person reads them. */
  routes: string[];
  /** unknown: the prefix list whose entries could not be read. */
  prefixListId?: string;
}

export interface Report {
  cluster: string;
  region?: string;
  policy: Policy;
  checkedAt: string;
  joinWindowSeconds?: number;
  nodegroups: NodegroupReport[];
}
