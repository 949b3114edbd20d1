import type {
  Cluster,
  Instance,
  Membership,
  NetworkSnapshot,
  Nodegroup,
  NodegroupReport,
  Report,
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

export interface MembershipReader {
  /**
   * The cluster's Nodes of one nodegroup. Never throws for an unreachable or refusing API server:
   * that is reported as `{ kind: 'unknown' }` so the check can say which access is missing.
   */
  listNodes(cluster: Cluster, nodegroupName: string): Promise<Membership>;
}

export interface AlertPublisher {
  /** Publishes one alert for one nodegroup; returns the SNS message id. */
  publish(report: Report, nodegroup: NodegroupReport): Promise<string | undefined>;
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
