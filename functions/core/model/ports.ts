import type {
  Cluster,
  Instance,
  Membership,
  NatGateway,
  NetworkSnapshot,
  Nodegroup,
  NodegroupReport,
  NodeIdentity,
  RemediationRecord,
  Report,
  RouteTable,
} from './types.js';

/**
 * Ports: what the check needs from the outside world. The AWS and Kubernetes adapters implement them;
 * tests pass fakes. Every method may throw an AwsCallError / KubernetesCallError (see errors.ts).
 */
export interface AccountReader {
  /** Throws NotFoundError when the cluster does not exist. */
  describeCluster(clusterName: string): Promise<Cluster>;
  listNodegroups(clusterName: string): Promise<string[]>;
  /** Throws NotFoundError when the nodegroup does not exist. */
  describeNodegroup(clusterName: string, nodegroupName: string): Promise<Nodegroup>;
  /** Tags of Auto Scaling groups by name; groups that do not exist are absent. One call per 50 names. */
  describeGroupTags(autoScalingGroupNames: string[]): Promise<Map<string, Record<string, string>>>;
  /** The live instances of the given Auto Scaling groups, with EC2 details (launch time, subnet, IPs). */
  describeGroupInstances(autoScalingGroupNames: string[]): Promise<Instance[]>;
  /** Subnets, route tables and NAT gateways of one VPC; cached per reader instance. */
  readNetwork(vpcId: string): Promise<NetworkSnapshot>;
}

/** The node role's policies and the cluster's admission of it (IAM, EKS access entries, aws-auth). */
export interface IdentityReader {
  /** Never throws for missing permissions: the parts it could not read are left undefined. */
  readNodeIdentity(cluster: Cluster, nodegroup: Nodegroup): Promise<NodeIdentity | undefined>;
}

export interface MembershipReader {
  /**
   * The Nodes that name the given instances in `spec.providerID`: those labelled with the nodegroup
   * first, then, for instances not found that way, the cluster's whole node list (read once per
   * cluster per reader session unless `fresh`). Never throws for an unreachable or refusing API
   * server: that is `{ kind: 'unknown' }`, so the check can say which access is missing.
   */
  listNodes(
    cluster: Cluster,
    nodegroupName: string,
    instanceIds: string[],
    options?: { fresh?: boolean },
  ): Promise<Membership>;
}

/** An instance as a write's effect is checked: EC2 state and Auto Scaling lifecycle. */
export interface InstanceState {
  instanceId: string;
  state: string;
  lifecycleState?: string;
}

/**
 * The writes remediation may make (nothing else in an account is ever changed), and the fresh reads
 * it makes just before a write (to re-plan on what is there now) and after an error (to see whether
 * a write whose answer was lost took effect).
 */
export interface RemediationWriter {
  /** 'exists' when the table already has a route for the destination (RouteAlreadyExists). */
  createRoute(routeTableId: string, destination: string, natGatewayId: string): Promise<'created' | 'exists'>;
  /** 'not-found' when the table has no route for the destination any more (InvalidRoute.NotFound). */
  replaceRoute(
    routeTableId: string,
    destination: string,
    natGatewayId: string,
  ): Promise<'replaced' | 'not-found'>;
  /** Terminates through Auto Scaling without lowering desired capacity, so the group replaces it. */
  terminateInstance(instanceId: string): Promise<'terminating' | 'already-gone'>;
  setDesiredSize(clusterName: string, nodegroupName: string, desiredSize: number): Promise<void>;
  /** The table as it is now; undefined when it no longer exists. */
  readRouteTable(routeTableId: string): Promise<RouteTable | undefined>;
  /** The NAT gateways as they are now; ids that no longer exist are absent. */
  readNatGateways(natGatewayIds: string[]): Promise<NatGateway[]>;
  /** The instances as they are now; ids that no longer exist are absent. */
  readInstances(instanceIds: string[]): Promise<InstanceState[]>;
  /** The instances of Auto Scaling groups now, leaving out those already on their way out. */
  readGroupInstanceIds(autoScalingGroupNames: string[]): Promise<string[]>;
  readNodegroupScaling(
    clusterName: string,
    nodegroupName: string,
  ): Promise<{ status: string; desiredSize: number; minSize: number }>;
}

/**
 * State across invocations: de-duplication, the loop guard and follow-up. The DynamoDB store shares it
 * between Lambda invocations and CLI runs; the in-memory store serves a single CLI run.
 */
export interface StateStore {
  /** Claims the nodegroup for one remediation; false while another invocation holds the claim. */
  acquireLock(cluster: string, nodegroup: string, owner: string, ttlSeconds: number): Promise<boolean>;
  releaseLock(cluster: string, nodegroup: string, owner: string): Promise<void>;
  /** Remediations of the nodegroup at or after `since`, oldest first. */
  listRemediations(cluster: string, nodegroup: string, since: Date): Promise<RemediationRecord[]>;
  putRemediation(record: RemediationRecord): Promise<void>;
  /** Moves an open record to resolved or escalated; false when another invocation already did. */
  closeRemediation(record: RemediationRecord, status: 'resolved' | 'escalated'): Promise<boolean>;
  /**
   * Records that an alert with this fingerprint is being sent; false when the same one was sent
   * less than `cooldownSeconds` ago (then it is suppressed). Atomic across invocations.
   */
  claimAlert(
    cluster: string,
    nodegroup: string,
    fingerprint: string,
    now: Date,
    cooldownSeconds: number,
  ): Promise<boolean>;
  /**
   * Records that a check of the nodegroup completed, judging what it saw at `at` (its snapshot time).
   * Keeps the latest: an older time never replaces a newer one.
   */
  recordCheck(cluster: string, nodegroup: string, at: Date): Promise<void>;
  /** The last completed check of each nodegroup that has one, by `checkKey(cluster, nodegroup)`. */
  lastChecks(nodegroups: { cluster: string; nodegroup: string }[]): Promise<Map<string, Date>>;
}

/** How lastChecks keys its answer. */
export function checkKey(cluster: string, nodegroup: string): string {
  return `${cluster}/${nodegroup}`;
}

export interface AlertPublisher {
  /** Publishes one alert for one nodegroup; returns the SNS message id. */
  publish(report: Report, nodegroup: NodegroupReport): Promise<string | undefined>;
}

/**
 * CloudTrail management events: who changed a resource. The adapter keeps to the LookupEvents rate
 * (2 calls per second per account and region); the core bounds how many resources a check looks up.
 */
export interface ChangeHistory {
  /**
   * The events whose resources include `resourceName`, newest first, from `since` on. Throws an
   * AwsCallError (access denied included) when they cannot be read: the caller says so.
   */
  lookupEvents(resourceName: string, since: Date): Promise<ChangeEvent[]>;
}

export interface ChangeEvent {
  eventName: string;
  eventTime: string;
  eventSource?: string;
  /** The caller's ARN (userIdentity.arn), when the event has one. */
  principalArn?: string;
  userName?: string;
  eventId?: string;
  readOnly?: boolean;
}

/** An instance's serial console output: boot evidence that needs no agent and no egress (unlike SSM). */
export interface ConsoleReader {
  /** The latest output, decoded; undefined when the instance has none yet. Throws an AwsCallError. */
  readConsoleOutput(instanceId: string): Promise<{ text: string; at?: string } | undefined>;
}

/** What a failed launch is confirmed against: the volumes the nodes launch with, and their KMS keys. */
export interface LaunchReader {
  /**
   * The EBS volumes of the launch template the nodegroup's Auto Scaling group uses (EKS makes one
   * when the nodegroup has none), with the account's EBS encryption-by-default applied: an encrypted
   * volume without a key id uses the account's default key, resolved here. Undefined when unreadable.
   */
  readLaunchVolumes(nodegroup: Nodegroup): Promise<LaunchVolume[] | undefined>;
  /** A KMS key's state and policy; undefined parts could not be read. Throws NotFound for no such key. */
  readKmsKey(keyId: string): Promise<KmsKeyFacts>;
}

export interface LaunchVolume {
  deviceName?: string;
  encrypted: boolean;
  /** Key id, ARN or alias (alias/aws/ebs for the AWS managed key). */
  kmsKeyId?: string;
}

export interface KmsKeyFacts {
  keyId: string;
  keyArn?: string;
  /** Enabled, Disabled, PendingDeletion, PendingImport, Unavailable, ... */
  keyState?: string;
  /** AWS-managed keys (aws/ebs) always let the Auto Scaling role use them. */
  keyManager?: 'AWS' | 'CUSTOMER';
  /** The key policy document (JSON), when it could be read. */
  policy?: string;
}

export interface Clock {
  now(): Date;
}

/** Structured logging, so the core does not depend on Powertools. */
export interface Log {
  debug(message: string, extra?: Record<string, unknown>): void;
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

export const silentLog: Log = { debug() {}, info() {}, warn() {}, error() {} };
