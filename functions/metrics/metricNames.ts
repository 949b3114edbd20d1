/**
 * The CloudWatch metrics the function writes (embedded metric format, in its log) and the stack's
 * dashboard and alarms read: one list, so the two cannot drift apart.
 */
export const METRICS_NAMESPACE = 'EksJoinRemediator';
/** Powertools' service dimension: every metric also carries it. */
export const METRICS_SERVICE = 'eks-join-remediator';

/** Dimension names. Cluster on every metric; Nodegroup only where its values are bounded. */
export const DIMENSIONS = {
  cluster: 'Cluster',
  nodegroup: 'Nodegroup',
  code: 'Code',
  actionType: 'ActionType',
  actionStatus: 'ActionStatus',
} as const;

/** Metric names, with the unit each is written in. */
export const METRIC = {
  /** Instances judged (count), per cluster and nodegroup. */
  instancesChecked: 'InstancesChecked',
  /** Instances past their window with no Node (count). */
  instancesUnjoined: 'InstancesUnjoined',
  /** Registered nodes past their window whose Ready condition is not True (count). */
  nodesNotReady: 'NodesNotReady',
  /** Failed launches diagnosed (count). */
  launchFailures: 'LaunchFailures',
  /** Findings, per cluster and finding code (count). */
  findings: 'Findings',
  /** Write actions, per cluster, action type and status (count). */
  actions: 'Actions',
  /** Alerts published (count). */
  alertsSent: 'AlertsSent',
  /** Alerts not sent because the same one went out within the cooldown (count). */
  alertsSuppressed: 'AlertsSuppressed',
  /** Seconds from an instance's launch to its Node's creation, for nodes that joined (seconds). */
  timeToJoin: 'TimeToJoin',
} as const;
