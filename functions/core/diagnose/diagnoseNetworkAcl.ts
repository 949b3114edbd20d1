import type { Cluster, Finding, NetworkAcl, NetworkAclEntry, NetworkSnapshot } from '../model/types.js';
import { type Ipv4Range, overlapsAny, parseCidr, subtractRange } from './cidr.js';
import { type ClusterDestination, clusterDestinations } from './clusterDestinations.js';

export interface NetworkAclInput {
  region: string;
  cluster: Cluster;
  network: NetworkSnapshot;
  subnetId: string;
  instanceIds?: string[];
}

/** One direction of the HTTPS conversation, as a network ACL sees it (ACLs are stateless). */
export interface AclTraffic {
  egress: boolean;
  fromPort: number;
  toPort: number;
}

export const HTTPS_OUT: AclTraffic = { egress: true, fromPort: 443, toPort: 443 };
/** The replies come back to an ephemeral port; AWS advises allowing 1024-65535. */
export const HTTPS_RETURN: AclTraffic = { egress: false, fromPort: 1024, toPort: 65535 };

/** The rule number of the `*` entry every network ACL ends with: it denies what no rule allowed. */
export const FINAL_RULE = 32767;

export type AclVerdict =
  | { denied: false }
  /** `rule`: the first deny that decided part of the traffic; undefined for the final `*` rule. */
  | { denied: true; rule?: NetworkAclEntry; ruleNumber: number };

/**
 * Evaluates a network ACL as AWS does: entries of the direction in rule-number order, the first that
 * matches decides, and what none matches is denied by the final `*` rule. Says `denied` only when
 * every address of `ranges` is denied for the whole port range: an allow that touches any of it, or
 * a rule that cannot be read, means the traffic may pass, and nothing is claimed.
 */
export function evaluateNetworkAcl(
  entries: NetworkAclEntry[],
  traffic: AclTraffic,
  ranges: Ipv4Range[],
): AclVerdict {
  let undecided = ranges;
  let first: NetworkAclEntry | undefined;
  const ordered = entries
    .filter((e) => e.egress === traffic.egress)
    .sort((a, b) => a.ruleNumber - b.ruleNumber);
  for (const entry of ordered) {
    if (!carriesTcp(entry.protocol) || entry.cidrBlock === undefined) continue;
    const ports = entry.protocol === '-1' ? undefined : entry.portRange;
    if (ports && (ports.from > traffic.toPort || ports.to < traffic.fromPort)) continue;
    const range = parseCidr(entry.cidrBlock);
    if (!range) {
      if (entry.action === 'allow') return { denied: false };
      continue;
    }
    if (!overlapsAny(undecided, range)) continue;
    if (entry.action === 'allow') return { denied: false };
    // A deny for only some of the ports decides nothing for the rest: leave the addresses undecided.
    const allPorts = !ports || (ports.from <= traffic.fromPort && ports.to >= traffic.toPort);
    if (!allPorts) continue;
    undecided = subtractRange(undecided, range);
    first ??= entry;
    if (undecided.length === 0) break;
  }
  return first && first.ruleNumber < FINAL_RULE
    ? { denied: true, rule: first, ruleNumber: first.ruleNumber }
    : { denied: true, ruleNumber: FINAL_RULE };
}

/** The ACL EC2 applies to a subnet: its association, else the VPC default ACL. */
export function networkAclOf(network: NetworkSnapshot, subnetId: string): NetworkAcl | undefined {
  const acls = network.networkAcls ?? [];
  return (
    acls.find((a) => a.subnetIds.includes(subnetId)) ??
    acls.find((a) => a.isDefault && a.vpcId === network.vpcId)
  );
}

/**
 * NACL_BLOCKS_EGRESS: the subnet's network ACL denies HTTPS to every place the nodes need to reach,
 * or the replies from there. Skipped when the ACLs (or, with private access, the VPC CIDR blocks)
 * are not in the snapshot.
 */
export function diagnoseNetworkAcl({
  region,
  cluster,
  network,
  subnetId,
  instanceIds,
}: NetworkAclInput): Finding | undefined {
  if (!network.networkAcls) return undefined;
  const acl = networkAclOf(network, subnetId);
  const destinations = clusterDestinations(cluster, network, subnetId);
  if (!acl || !destinations) return undefined;

  const verdicts = destinations.map((destination) => ({
    destination,
    out: evaluateNetworkAcl(acl.entries, HTTPS_OUT, destination.ranges),
    back: evaluateNetworkAcl(acl.entries, HTTPS_RETURN, destination.ranges),
  }));
  if (!verdicts.every((v) => v.out.denied || v.back.denied)) return undefined;

  const reasons = verdicts.flatMap(({ destination, out, back }) => [
    ...(out.denied ? [`HTTPS (TCP 443) to ${destination.label} is denied by ${ruleLabel(out)}`] : []),
    ...(back.denied
      ? [`the replies (TCP 1024-65535) from ${destination.label} are denied inbound by ${ruleLabel(back)}`]
      : []),
  ]);
  const which = acl.subnetIds.includes(subnetId)
    ? `Network ACL ${acl.networkAclId} (associated with ${subnetId})`
    : `The VPC default network ACL ${acl.networkAclId} (used by ${subnetId})`;
  return {
    code: 'NACL_BLOCKS_EGRESS',
    severity: 'critical',
    resourceId: acl.networkAclId,
    subnetId,
    ...(instanceIds && instanceIds.length > 0 && { instanceIds }),
    message: `${which} blocks what nodes in ${subnetId} need to join ${cluster.name}: ${reasons.join('; ')}. Network ACLs are stateless, so both directions must be allowed.`,
    fix: aclFix(region, acl, verdicts, destinations),
  };
}

function aclFix(
  region: string,
  acl: NetworkAcl,
  verdicts: { out: AclVerdict; back: AclVerdict }[],
  destinations: ClusterDestination[],
): string {
  // Opening the internet opens the VPC too; without it, open the VPC blocks only.
  const cidrs =
    destinations.find((d) => d.kind === 'internet')?.cidrs ?? destinations.flatMap((d) => d.cidrs);
  const lines: string[] = [];
  const directions = [
    { traffic: HTTPS_OUT, verdicts: verdicts.map((v) => v.out) },
    { traffic: HTTPS_RETURN, verdicts: verdicts.map((v) => v.back) },
  ];
  for (const { traffic, verdicts: inDirection } of directions) {
    const denied = inDirection.flatMap((v) => (v.denied ? [v.ruleNumber] : []));
    if (denied.length === 0) continue;
    const before = Math.min(...denied);
    const used = new Set(acl.entries.filter((e) => e.egress === traffic.egress).map((e) => e.ruleNumber));
    const direction = traffic.egress ? '--egress' : '--ingress';
    const ports = `From=${traffic.fromPort},To=${traffic.toPort}`;
    for (const cidr of cidrs) {
      const number = freeRuleNumber(used, before);
      const entry = `--protocol tcp --port-range ${ports} --cidr-block ${cidr} --rule-action allow --region ${region}`;
      if (number === undefined) {
        lines.push(
          `# No rule number below ${before} is free in ${acl.networkAclId}: change rule ${before} itself.`,
          `aws ec2 replace-network-acl-entry --network-acl-id ${acl.networkAclId} --rule-number ${before} ${direction} ${entry}`,
        );
        break;
      }
      used.add(number);
      lines.push(
        `aws ec2 create-network-acl-entry --network-acl-id ${acl.networkAclId} --rule-number ${number} ${direction} ${entry}`,
      );
    }
  }
  return lines.join('\n');
}

/**
 * A free rule number below `before`, as close to it as a round number allows, after the other rules
 * below it: the new allow then comes just before the deny it must beat and changes nothing else.
 */
export function freeRuleNumber(used: Set<number>, before: number): number | undefined {
  const below = [...used].filter((n) => n < before);
  const floor = below.length > 0 ? Math.max(...below) : 0;
  for (const step of [100, 10, 1]) {
    for (let n = Math.floor((before - 1) / step) * step; n > floor; n -= step) {
      if (!used.has(n)) return n;
    }
  }
  for (let n = before - 1; n >= 1; n--) if (!used.has(n)) return n;
  return undefined;
}

function carriesTcp(protocol: string): boolean {
  return protocol === '-1' || protocol === '6' || protocol.toLowerCase() === 'tcp';
}

function ruleLabel(verdict: AclVerdict): string {
  if (!verdict.denied || !verdict.rule) return 'the final * rule (no rule allows it)';
  const { rule } = verdict;
  const protocol =
    rule.protocol === '-1' ? 'all traffic' : carriesTcp(rule.protocol) ? 'TCP' : `protocol ${rule.protocol}`;
  const ports =
    rule.protocol !== '-1' && rule.portRange
      ? rule.portRange.from === rule.portRange.to
        ? ` ${rule.portRange.from}`
        : ` ${rule.portRange.from}-${rule.portRange.to}`
      : '';
  return `rule ${rule.ruleNumber} (deny ${protocol}${ports} ${rule.egress ? 'to' : 'from'} ${rule.cidrBlock})`;
}
