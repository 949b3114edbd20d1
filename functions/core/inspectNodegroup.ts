import { diagnoseRouting } from './diagnoseRouting.js';
import { effectiveRouteTable } from './effectiveRouteTable.js';
import { judgeInstances, unjoined } from './judgeInstances.js';
import { membershipFinding, nodesNotJoinedFinding } from './membershipFindings.js';
import type { AccountReader, Log, MembershipReader } from './ports.js';
import { resolvePolicy } from './resolvePolicy.js';
import type {
  Cluster,
  Finding,
  Instance,
  InstanceVerdict,
  Membership,
  NetworkSnapshot,
  Nodegroup,
  NodegroupReport,
  Policy,
  RouteTable,
} from './types.js';

/** What one nodegroup looks like now: the report so far, and the snapshot the plan is made from. */
export interface Inspection {
  cluster: Cluster;
  nodegroup: Nodegroup;
  report: NodegroupReport;
  instances: Instance[];
  verdicts: InstanceVerdict[];
  networks: NetworkSnapshot[];
}

/** Reads one nodegroup and diagnoses it: policy, membership verdicts, findings. No writes. */
export async function inspectNodegroup(
  cluster: Cluster,
  nodegroup: Nodegroup,
  policy: Policy,
  request: { joinWindowSeconds: number },
  { account, membership, log }: { account: AccountReader; membership: MembershipReader; log: Log },
  now: Date,
): Promise<Inspection> {
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
    instances.length > 0 ? await membership.listNodes(cluster, name) : { kind: 'known', nodes: [] };
  const verdicts = judgeInstances(instances, nodes, now, request.joinWindowSeconds);
  const findings: Finding[] = [];
  const accessFinding = membershipFinding(cluster, nodes);
  if (accessFinding) findings.push(accessFinding);

  const stranded = unjoined(verdicts);
  let networks: NetworkSnapshot[] = [];
  if (stranded.length > 0) {
    const strandedIds = new Set(stranded.map((v) => v.instanceId));
    const diagnosis = await diagnoseInstances(
      cluster,
      instances.filter((i) => strandedIds.has(i.instanceId)),
      account,
    );
    findings.push(
      ...diagnosis.findings,
      nodesNotJoinedFinding(nodegroup, stranded, request.joinWindowSeconds, cluster.region),
    );
    report.routeTables = diagnosis.routeTables;
    networks = diagnosis.networks;
  }
  report.instances = verdicts;
  report.findings = findings;
  log.info('nodegroup checked', {
    ...keys,
    policy,
    instances: verdicts.length,
    pending: verdicts.filter((v) => v.pending).length,
    unjoined: stranded.length,
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

/** Routing diagnosis of the stranded instances, one network read per VPC. */
async function diagnoseInstances(
  cluster: Cluster,
  instances: Instance[],
  account: AccountReader,
): Promise<{ findings: Finding[]; routeTables: RouteTable[]; networks: NetworkSnapshot[] }> {
  const findings: Finding[] = [];
  const routeTables = new Map<string, RouteTable>();
  const networks: NetworkSnapshot[] = [];
  const vpcOf = (i: Instance) => i.vpcId ?? cluster.vpcId;
  const vpcIds = [...new Set(instances.map(vpcOf).filter((v): v is string => !!v))];
  for (const vpcId of vpcIds) {
    const network = await account.readNetwork(vpcId);
    networks.push(network);
    const inVpc = instances.filter((i) => vpcOf(i) === vpcId);
    findings.push(...diagnoseRouting({ region: cluster.region, network, instances: inVpc }));
    for (const subnetId of new Set(inVpc.map((i) => i.subnetId))) {
      const effective = subnetId ? effectiveRouteTable(network, subnetId) : undefined;
      if (effective) routeTables.set(effective.table.routeTableId, effective.table);
    }
  }
  return { findings, routeTables: [...routeTables.values()], networks };
}
