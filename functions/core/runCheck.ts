import { diagnoseRouting } from './diagnoseRouting.js';
import { effectiveRouteTable } from './effectiveRouteTable.js';
import { JoinRemediatorError } from './errors.js';
import { judgeInstances, unjoined } from './judgeInstances.js';
import { mapWithConcurrency } from './mapWithConcurrency.js';
import { membershipFinding, nodesNotJoinedFinding } from './membershipFindings.js';
import type { AccountReader, AlertPublisher, Clock, Log, MembershipReader } from './ports.js';
import { resolvePolicy } from './resolvePolicy.js';
import type {
  Action,
  Cluster,
  Finding,
  Instance,
  Membership,
  NodegroupReport,
  Policy,
  Report,
  RouteTable,
} from './types.js';

export interface CheckRequest {
  clusterName: string;
  /** Undefined: every managed nodegroup of the cluster. */
  nodegroupNames?: string[];
  /** From the command line: wins over tags. */
  policyOverride?: Policy;
  defaultPolicy: Policy;
  joinWindowSeconds: number;
}

export interface CheckPorts {
  account: AccountReader;
  membership: MembershipReader;
  /** Absent: nothing is published (no topic configured). */
  alerts?: AlertPublisher;
  clock: Clock;
  log: Log;
}

export interface CheckResult {
  report: Report;
  /** Failures that did not stop the report (an alert that could not be published). */
  errors: JoinRemediatorError[];
}

/** Nodegroups checked at once: keeps a large cluster inside the EKS and EC2 API rate limits. */
const NODEGROUP_CONCURRENCY = 4;

/**
 * One check of a cluster: read each nodegroup, judge membership, explain the unjoined, alert.
 * Reads go through the ports; every decision is a pure function.
 */
export async function runCheck(request: CheckRequest, ports: CheckPorts): Promise<CheckResult> {
  const { account, log } = ports;
  const cluster = await account.describeCluster(request.clusterName);
  const names = request.nodegroupNames ?? (await account.listNodegroups(cluster.name));
  const checkedAt = ports.clock.now();
  const nodegroups = await mapWithConcurrency(names, NODEGROUP_CONCURRENCY, (name) =>
    checkNodegroup(cluster, name, request, ports, checkedAt),
  );
  const report: Report = {
    cluster: cluster.name,
    region: cluster.region,
    policy: request.policyOverride ?? request.defaultPolicy,
    checkedAt: checkedAt.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    joinWindowSeconds: request.joinWindowSeconds,
    nodegroups,
  };
  const errors: JoinRemediatorError[] = [];
  if (ports.alerts) {
    for (const nodegroup of report.nodegroups) {
      if (nodegroup.policy === 'off' || nodegroup.findings.length === 0) continue;
      nodegroup.actions.push(await publishAlert(ports.alerts, report, nodegroup, errors, log));
    }
  }
  return { report, errors };
}

async function checkNodegroup(
  cluster: Cluster,
  name: string,
  request: CheckRequest,
  { account, membership, log }: CheckPorts,
  now: Date,
): Promise<NodegroupReport> {
  const nodegroup = await account.describeNodegroup(cluster.name, name);
  const resolved = resolvePolicy({
    explicit: request.policyOverride,
    nodegroupTags: nodegroup.tags,
    clusterTags: cluster.tags,
    accountDefault: request.defaultPolicy,
  });
  const keys = { cluster: cluster.name, nodegroup: name };
  if (resolved.invalidTag) {
    log.warn('ignoring a policy tag that is not a policy', { ...keys, ...resolved.invalidTag });
  }
  const base = {
    name,
    ...(nodegroup.arn && { arn: nodegroup.arn }),
    policy: resolved.policy,
    status: nodegroup.status,
    autoScalingGroups: nodegroup.autoScalingGroupNames,
  };
  if (resolved.policy === 'off') {
    log.info('policy is off: not checked', keys);
    return { ...base, instances: [], findings: [], actions: [] };
  }

  const instances = await account.describeGroupInstances(nodegroup.autoScalingGroupNames);
  // No instance, nothing to match: spare the Kubernetes API the call.
  const nodes: Membership =
    instances.length > 0 ? await membership.listNodes(cluster, name) : { kind: 'known', nodes: [] };
  const verdicts = judgeInstances(instances, nodes, now, request.joinWindowSeconds);
  const findings: Finding[] = [];
  const accessFinding = membershipFinding(cluster, nodes);
  if (accessFinding) findings.push(accessFinding);

  const stranded = unjoined(verdicts);
  let routeTables: RouteTable[] | undefined;
  if (stranded.length > 0) {
    const strandedIds = new Set(stranded.map((v) => v.instanceId));
    const strandedInstances = instances.filter((i) => strandedIds.has(i.instanceId));
    const diagnosis = await diagnoseInstances(cluster, strandedInstances, account);
    findings.push(
      ...diagnosis.findings,
      nodesNotJoinedFinding(nodegroup, stranded, request.joinWindowSeconds, cluster.region),
    );
    routeTables = diagnosis.routeTables;
  }
  log.info('nodegroup checked', {
    ...keys,
    policy: resolved.policy,
    instances: verdicts.length,
    pending: verdicts.filter((v) => v.pending).length,
    unjoined: stranded.length,
    findings: findings.map((f) => f.code),
  });
  return { ...base, instances: verdicts, findings, actions: [], ...(routeTables && { routeTables }) };
}

/** Routing diagnosis of the stranded instances, one network read per VPC. */
async function diagnoseInstances(
  cluster: Cluster,
  instances: Instance[],
  account: AccountReader,
): Promise<{ findings: Finding[]; routeTables: RouteTable[] }> {
  const findings: Finding[] = [];
  const routeTables = new Map<string, RouteTable>();
  const vpcIds = [...new Set(instances.map((i) => i.vpcId ?? cluster.vpcId).filter((v): v is string => !!v))];
  for (const vpcId of vpcIds) {
    const network = await account.readNetwork(vpcId);
    const inVpc = instances.filter((i) => (i.vpcId ?? cluster.vpcId) === vpcId);
    findings.push(...diagnoseRouting({ region: cluster.region, network, instances: inVpc }));
    for (const subnetId of new Set(inVpc.map((i) => i.subnetId))) {
      const effective = subnetId ? effectiveRouteTable(network, subnetId) : undefined;
      if (effective) routeTables.set(effective.table.routeTableId, effective.table);
    }
  }
  return { findings, routeTables: [...routeTables.values()] };
}

async function publishAlert(
  alerts: AlertPublisher,
  report: Report,
  nodegroup: NodegroupReport,
  errors: JoinRemediatorError[],
  log: Log,
): Promise<Action> {
  try {
    const messageId = await alerts.publish(report, nodegroup);
    return {
      type: 'notify',
      resourceId: 'sns',
      status: 'done',
      reason: `alert published (message ${messageId})`,
    };
  } catch (error) {
    const wrapped = error instanceof JoinRemediatorError ? error : new JoinRemediatorError(String(error));
    errors.push(wrapped);
    log.error('alert could not be published', {
      cluster: report.cluster,
      nodegroup: nodegroup.name,
      error: wrapped.message,
    });
    return { type: 'notify', resourceId: 'sns', status: 'failed', reason: wrapped.message };
  }
}
