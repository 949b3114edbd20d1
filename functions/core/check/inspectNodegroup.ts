import { diagnoseNetwork, subnetsOf } from '../diagnose/diagnoseNetwork.js';
import { diagnoseNodegroupHealth, diagnoseNodeIdentity } from '../diagnose/diagnoseNodeIdentity.js';
import { diagnoseNotReady } from '../diagnose/diagnoseNotReady.js';
import { effectiveRouteTable } from '../diagnose/effectiveRouteTable.js';
import { analyseEgress, summariseEgress } from '../diagnose/egress.js';
import { judgeInstances, notReadyOf, unjoinedOf } from '../diagnose/judgeInstances.js';
import { membershipFinding, nodesNotJoinedFinding } from '../diagnose/membershipFindings.js';
import { waitingCost } from '../diagnose/waitingCost.js';
import type {
  AccountReader,
  ChangeHistory,
  ConsoleReader,
  IdentityReader,
  LaunchReader,
  Log,
  MembershipReader,
} from '../model/ports.js';
import type {
  Cluster,
  Finding,
  Instance,
  InstanceVerdict,
  LaunchFailure,
  Membership,
  NetworkSnapshot,
  Nodegroup,
  NodegroupReport,
  Policy,
  RouteTable,
} from '../model/types.js';
import { annotateChanges } from './annotateChanges.js';
import { inspectLaunchFailures } from './inspectLaunchFailures.js';
import { readBootEvidence } from './readBootEvidence.js';
import { resolvePolicy } from './resolvePolicy.js';

/** What one nodegroup looks like now: the report so far, and the snapshot the plan is made from. */
export interface Inspection {
  cluster: Cluster;
  nodegroup: Nodegroup;
  report: NodegroupReport;
  instances: Instance[];
  verdicts: InstanceVerdict[];
  networks: NetworkSnapshot[];
}

/** What the inspection reads through; the optional ones add evidence when present. */
export interface InspectionPorts {
  account: AccountReader;
  membership: MembershipReader;
  identity?: IdentityReader;
  changes?: ChangeHistory;
  consoles?: ConsoleReader;
  launches?: LaunchReader;
  log: Log;
}

/** Reads one nodegroup and diagnoses it: policy, membership verdicts, findings. No writes. */
export async function inspectNodegroup(
  cluster: Cluster,
  nodegroup: Nodegroup,
  policy: Policy,
  request: { joinWindowSeconds: number; preflight?: boolean; launchFailures?: LaunchFailure[] },
  ports: InspectionPorts,
  now: Date,
): Promise<Inspection> {
  const { account, membership, log } = ports;
  const name = nodegroup.name;
  const keys = { cluster: cluster.name, nodegroup: name };
  const report = emptyReport(nodegroup, policy);
  const inspection: Inspection = { cluster, nodegroup, report, instances: [], verdicts: [], networks: [] };
  if (policy === 'off') {
    log.info('policy is off: not checked', keys);
    return inspection;
  }

  const instances = await account.describeGroupInstances(nodegroup.autoScalingGroupNames);
  // No instance, nothing to match: spare the Kubernetes API the call.
  const nodes: Membership =
    instances.length > 0
      ? await membership.listNodes(
          cluster,
          name,
          instances.map((i) => i.instanceId),
        )
      : { kind: 'known', nodes: [] };
  const verdicts = judgeInstances(instances, nodes, now, request.joinWindowSeconds);
  const findings: Finding[] = [];
  const accessFinding = membershipFinding(cluster, nodes);
  if (accessFinding) findings.push(accessFinding);

  findings.push(...diagnoseNodegroupHealth({ region: cluster.region, nodegroup }));

  // The causes are looked for when an instance is unjoined or not Ready, or at preflight before any
  // has to be: then the instances still inside their window are judged by their subnets too, so a
  // launch into a broken subnet is alerted in seconds, not at the end of its window.
  const unjoined = unjoinedOf(verdicts);
  const notReady = notReadyOf(verdicts, now, request.joinWindowSeconds);
  let networks: NetworkSnapshot[] = [];
  if (unjoined.length > 0 || notReady.length > 0 || request.preflight) {
    const suspects = new Set(
      (request.preflight ? verdicts.filter((v) => v.pending) : []).concat(unjoined).map((v) => v.instanceId),
    );
    const diagnosis = await diagnoseSubnets(
      cluster,
      instances.filter((i) => suspects.has(i.instanceId)),
      request.preflight ? nodegroup.subnetIds : [],
      account,
    );
    const identity = await ports.identity?.readNodeIdentity(cluster, nodegroup);
    findings.push(...diagnosis.findings, ...diagnoseNodeIdentity({ cluster, nodegroup, identity }));
    if (unjoined.length > 0) {
      findings.push(nodesNotJoinedFinding(nodegroup, unjoined, request.joinWindowSeconds, cluster.region));
    }
    networks = diagnosis.networks;
    if (notReady.length > 0) {
      // The not-ready nodes' subnets: their free addresses (the read is cached per VPC).
      const vpcIds = new Set(
        notReady.map((v) => instances.find((i) => i.instanceId === v.instanceId)?.vpcId ?? cluster.vpcId),
      );
      for (const vpcId of vpcIds) {
        if (vpcId && !networks.some((n) => n.vpcId === vpcId))
          networks.push(await account.readNetwork(vpcId));
      }
      findings.push(
        ...diagnoseNotReady({
          cluster,
          nodegroup,
          notReady,
          ...(identity && { identity }),
          networks,
          joinWindowSeconds: request.joinWindowSeconds,
        }),
      );
    }
    if (diagnosis.routeTables.length > 0) {
      report.routeTables = diagnosis.routeTables;
      report.egress = Object.fromEntries(
        diagnosis.routeTables.map((t) => {
          const network = diagnosis.networks.find((n) => n.vpcId === t.vpcId) ?? diagnosis.networks[0];
          return [t.routeTableId, summariseEgress(analyseEgress(t, network as NetworkSnapshot))];
        }),
      );
    }
  }
  // Launches that failed: confirmed against the account; alerted, never remediated.
  if (request.launchFailures?.length) {
    const failed = await inspectLaunchFailures(cluster, nodegroup, request.launchFailures, ports);
    findings.push(...failed.findings);
  }
  report.instances = verdicts;
  // Who changed what, and what the unjoined printed: read side by side, neither fails the check.
  const merged = mergeFindings(findings);
  const [annotated, evidence] = await Promise.all([
    annotateChanges(merged, ports, now),
    unjoined.length > 0 ? readBootEvidence(unjoined, merged, ports) : undefined,
  ]);
  report.findings = annotated;
  if (evidence) report.bootEvidence = evidence;
  const cost = waitingCost([...unjoined, ...notReady], now);
  if (cost) report.waitingCost = cost;
  log.info('nodegroup checked', {
    ...keys,
    policy,
    instances: verdicts.length,
    pending: verdicts.filter((v) => v.pending).length,
    unjoined: unjoined.length,
    notReady: notReady.length,
    findings: findings.map((f) => f.code),
  });
  return { ...inspection, instances, verdicts, networks };
}

/** The nodegroup's policy: the CLI flag, else its tag, else the cluster's tag, else the account default. */
export function nodegroupPolicy(
  cluster: Cluster,
  nodegroup: Nodegroup,
  request: { policyOverride?: Policy; defaultPolicy: Policy },
  log: Log,
): Policy {
  const resolved = resolvePolicy({
    explicit: request.policyOverride,
    nodegroupTags: nodegroup.tags,
    clusterTags: cluster.tags,
    accountDefault: request.defaultPolicy,
  });
  if (resolved.invalidTag) {
    log.warn('ignoring a policy tag that is not a policy', {
      cluster: cluster.name,
      nodegroup: nodegroup.name,
      ...resolved.invalidTag,
    });
  }
  return resolved.policy;
}

export function emptyReport(nodegroup: Nodegroup, policy: Policy): NodegroupReport {
  return {
    name: nodegroup.name,
    ...(nodegroup.arn && { arn: nodegroup.arn }),
    policy,
    status: nodegroup.status,
    autoScalingGroups: nodegroup.autoScalingGroupNames,
    instances: [],
    findings: [],
    actions: [],
  };
}

/**
 * Network diagnosis, one network read per VPC: the subnets of the unjoined instances, and at preflight
 * the nodegroup's own subnets (in the cluster VPC), judged without instances.
 */
async function diagnoseSubnets(
  cluster: Cluster,
  instances: Instance[],
  preflightSubnetIds: string[],
  account: AccountReader,
): Promise<{ findings: Finding[]; routeTables: RouteTable[]; networks: NetworkSnapshot[] }> {
  const findings: Finding[] = [];
  const routeTables = new Map<string, RouteTable>();
  const networks: NetworkSnapshot[] = [];
  const vpcOf = (i: Instance) => i.vpcId ?? cluster.vpcId;
  const vpcIds = [
    ...new Set([...instances.map(vpcOf), ...(preflightSubnetIds.length ? [cluster.vpcId] : [])]),
  ].filter((v): v is string => !!v);
  for (const vpcId of vpcIds) {
    const network = await account.readNetwork(vpcId);
    networks.push(network);
    const subnets = subnetsOf(instances.filter((i) => vpcOf(i) === vpcId));
    for (const subnetId of preflightSubnetIds) {
      const known = network.subnets.some((s) => s.subnetId === subnetId);
      if (known && !subnets.some((s) => s.subnetId === subnetId)) subnets.push({ subnetId, instances: [] });
    }
    findings.push(...diagnoseNetwork({ region: cluster.region, cluster, network, subnets }));
    for (const { subnetId } of subnets) {
      const effective = effectiveRouteTable(network, subnetId);
      if (effective) routeTables.set(effective.table.routeTableId, effective.table);
    }
  }
  return { findings, routeTables: [...routeTables.values()], networks };
}

/**
 * One finding per cause and resource: subnets that share a route table share its finding, with all
 * their instances, so the plan writes each route once.
 */
export function mergeFindings(findings: Finding[]): Finding[] {
  const merged = new Map<string, Finding>();
  for (const finding of findings) {
    // Health issues share the nodegroup as resource: each issue is its own finding.
    const issue = finding.code === 'NODEGROUP_HEALTH_ISSUE' ? finding.message : '';
    const key = [finding.code, finding.resourceId, issue].join('\u0000');
    const seen = merged.get(key);
    if (!seen) {
      merged.set(key, { ...finding });
    } else if (finding.instanceIds) {
      seen.instanceIds = [...new Set([...(seen.instanceIds ?? []), ...finding.instanceIds])];
    }
  }
  return [...merged.values()];
}
