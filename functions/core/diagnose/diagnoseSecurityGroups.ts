import type {
  Cluster,
  Finding,
  Instance,
  NetworkSnapshot,
  SecurityGroup,
  SecurityGroupRule,
} from '../model/types.js';
import { overlapsAny, parseCidr } from './cidr.js';
import { type ClusterDestination, clusterDestinations } from './clusterDestinations.js';
import { ruleCoversTcpPort } from './securityGroupRules.js';

export interface SecurityGroupInput {
  region: string;
  cluster: Cluster;
  network: NetworkSnapshot;
  subnetId: string;
  /** The instances to judge; without any (preflight), nothing is judged. */
  instances: Instance[];
}

const HTTPS = 443;

/**
 * SECURITY_GROUP_BLOCKS_EGRESS: no security group of an instance lets HTTPS out to where the cluster
 * is. One finding per distinct set of groups. Conservative: a rule that might allow it (a prefix list,
 * an IPv6 range, a CIDR block that touches the destination, another group for the VPC) counts as
 * allowing it, and a set with a group missing from the snapshot is not judged.
 */
export function diagnoseSecurityGroups({
  region,
  cluster,
  network,
  subnetId,
  instances,
}: SecurityGroupInput): Finding[] {
  const known = network.securityGroups;
  if (!known || instances.length === 0) return [];
  const destinations = clusterDestinations(cluster, network, subnetId);
  if (!destinations) return [];

  const bySet = new Map<string, { groupIds: string[]; instanceIds: string[] }>();
  for (const instance of instances) {
    const groupIds = [...new Set(instance.securityGroupIds ?? [])].sort();
    if (groupIds.length === 0) continue;
    const key = groupIds.join(',');
    const entry = bySet.get(key) ?? { groupIds, instanceIds: [] };
    entry.instanceIds.push(instance.instanceId);
    bySet.set(key, entry);
  }

  const findings: Finding[] = [];
  for (const { groupIds, instanceIds } of bySet.values()) {
    const groups = groupIds.map((id) => known.find((g) => g.groupId === id));
    if (!groups.every((g): g is SecurityGroup => !!g)) continue;
    if (destinations.some((d) => egressAllows(groups, d))) continue;
    const target =
      cluster.clusterSecurityGroupId && groupIds.includes(cluster.clusterSecurityGroupId)
        ? cluster.clusterSecurityGroupId
        : (groupIds[0] as string);
    const where = destinations.map((d) => d.label).join(' or ');
    findings.push({
      code: 'SECURITY_GROUP_BLOCKS_EGRESS',
      severity: 'critical',
      resourceId: target,
      subnetId,
      instanceIds,
      message: `No security group of ${instanceIds.join(', ')} (${groupIds.join(', ')}) allows HTTPS (TCP 443) out to ${where}, so the nodes cannot reach the EKS API, ECR or STS. Egress rules: ${groups.map(describeEgress).join('; ')}.`,
      fix: sgFix(region, target, cluster, destinations),
    });
  }
  return findings;
}

function egressAllows(groups: SecurityGroup[], destination: ClusterDestination): boolean {
  return groups.some((g) =>
    g.egress.some(
      (rule) =>
        ruleCoversTcpPort(rule, HTTPS) &&
        (rule.prefixListIds.length > 0 ||
          rule.ipv6Cidrs.length > 0 ||
          rule.cidrs.some((cidr) => {
            const range = parseCidr(cidr);
            return !range || overlapsAny(destination.ranges, range);
          }) ||
          (destination.kind === 'vpc' && rule.groupIds.length > 0)),
    ),
  );
}

function sgFix(
  region: string,
  groupId: string,
  cluster: Cluster,
  destinations: ClusterDestination[],
): string {
  const cidrs =
    destinations.find((d) => d.kind === 'internet')?.cidrs ?? destinations.flatMap((d) => d.cidrs);
  const ranges = cidrs.map((c) => `{CidrIp=${c}}`).join(',');
  return [
    ...(groupId === cluster.clusterSecurityGroupId
      ? [
          `# ${groupId} is the cluster security group EKS made for ${cluster.name}; managed nodes use it unless their launch template names others.`,
        ]
      : []),
    `aws ec2 authorize-security-group-egress --group-id ${groupId} --ip-permissions IpProtocol=tcp,FromPort=${HTTPS},ToPort=${HTTPS},IpRanges=[${ranges}] --region ${region}`,
  ].join('\n');
}

function describeEgress(group: SecurityGroup): string {
  const rules = group.egress.map(describeRule);
  return `${group.groupId}: ${rules.length > 0 ? rules.join(', ') : 'none'}`;
}

function describeRule(rule: SecurityGroupRule): string {
  const protocol = rule.protocol === '-1' ? 'all traffic' : rule.protocol;
  const ports =
    rule.protocol === '-1' || rule.fromPort === undefined
      ? ''
      : rule.fromPort === rule.toPort
        ? ` ${rule.fromPort}`
        : ` ${rule.fromPort}-${rule.toPort}`;
  const to = [...rule.cidrs, ...rule.ipv6Cidrs, ...rule.groupIds, ...rule.prefixListIds].join(', ') || '?';
  return `${protocol}${ports} → ${to}`;
}
