import type { ChangeEvent } from '../model/ports.js';
import type { Finding, FindingCode } from '../model/types.js';

/**
 * Which CloudTrail events could have caused a finding: for each routing, endpoint, NACL and
 * security-group finding, the resources to look up (by LookupEvents' ResourceName) and the API calls
 * on them that change what the finding is about. Pure.
 */
export interface ChangeTarget {
  /** What LookupEvents is asked for: an EC2 id (rtb-, nat-, acl-, sg-, vpc-) or an EKS cluster's name. */
  resourceName: string;
  /** The service of the relevant calls: a same-named call of another service (API Gateway's CreateRoute) is not one. */
  eventSource: string;
  eventNames: readonly string[];
}

const EC2 = 'ec2.amazonaws.com';
const EKS = 'eks.amazonaws.com';

/** What changes where a subnet's traffic goes: its routes, and which table the subnet uses. */
const ROUTE_TABLE_EVENTS = [
  'CreateRoute',
  'DeleteRoute',
  'ReplaceRoute',
  'CreateRouteTable',
  'AssociateRouteTable',
  'DisassociateRouteTable',
  'ReplaceRouteTableAssociation',
] as const;
/** A route to a deleted NAT gateway turns blackhole without any change to the route table itself. */
const NAT_GATEWAY_EVENTS = ['DeleteNatGateway'] as const;
const VPC_ENDPOINT_EVENTS = ['CreateVpcEndpoint', 'DeleteVpcEndpoints', 'ModifyVpcEndpoint'] as const;
/** The endpoint's access and CIDR blocks are set at creation and changed only by UpdateClusterConfig. */
const CLUSTER_ENDPOINT_EVENTS = ['UpdateClusterConfig', 'CreateCluster'] as const;
const NETWORK_ACL_EVENTS = [
  'CreateNetworkAclEntry',
  'ReplaceNetworkAclEntry',
  'DeleteNetworkAclEntry',
  'ReplaceNetworkAclAssociation',
  'CreateNetworkAcl',
] as const;
/**
 * Egress rules only: security groups are stateful, so an ingress rule can neither block nor allow the
 * nodes' outbound HTTPS, and naming an ingress change as the cause would send people the wrong way.
 */
const SECURITY_GROUP_EVENTS = [
  'RevokeSecurityGroupEgress',
  'AuthorizeSecurityGroupEgress',
  'ModifySecurityGroupRules',
  'CreateSecurityGroup',
] as const;
/** enableDnsSupport / enableDnsHostnames; CreateVpc leaves hostnames off in a non-default VPC. */
const VPC_DNS_EVENTS = ['ModifyVpcAttribute', 'CreateVpc'] as const;

const ROUTING_CODES: ReadonlySet<FindingCode> = new Set([
  'NO_DEFAULT_ROUTE',
  'BLACKHOLE_DEFAULT_ROUTE',
  'NO_PUBLIC_IP',
  'IPV6_ONLY_EGRESS',
]);

/** The resources whose history may explain the finding, most telling first; none for other codes. */
export function changeTargets(finding: Finding): ChangeTarget[] {
  const ec2 = (resourceName: string | undefined, eventNames: readonly string[]): ChangeTarget[] =>
    resourceName ? [{ resourceName, eventSource: EC2, eventNames }] : [];
  if (ROUTING_CODES.has(finding.code)) {
    // NO_PUBLIC_IP names the subnet as its resource; every routing finding carries its table.
    const table =
      finding.routeTableId ?? (finding.resourceId.startsWith('rtb-') ? finding.resourceId : undefined);
    return [...ec2(table, ROUTE_TABLE_EVENTS), ...ec2(finding.deadNatGatewayId, NAT_GATEWAY_EVENTS)];
  }
  switch (finding.code) {
    case 'MISSING_VPC_ENDPOINTS':
      // The missing endpoints have no id to look up: CreateVpcEndpoint and its kin name the VPC.
      return ec2(finding.resourceId, VPC_ENDPOINT_EVENTS);
    case 'ENDPOINT_ACCESS_EXCLUDES_NODES': {
      const name = clusterName(finding.resourceId);
      return name ? [{ resourceName: name, eventSource: EKS, eventNames: CLUSTER_ENDPOINT_EVENTS }] : [];
    }
    case 'NACL_BLOCKS_EGRESS':
      return ec2(finding.resourceId, NETWORK_ACL_EVENTS);
    case 'SECURITY_GROUP_BLOCKS_EGRESS':
      return ec2(finding.resourceId, SECURITY_GROUP_EVENTS);
    case 'VPC_DNS_DISABLED':
      return ec2(finding.resourceId, VPC_DNS_EVENTS);
    default:
      return [];
  }
}

/**
 * The most recent event among `events` that changed the target the way it matters: a write (not
 * read-only) of one of its calls, from its service. Newest by event time, whatever the input's order.
 * A write made by this tool counts like any other: it is a change of the resource too.
 */
export function relevantChange(target: ChangeTarget, events: ChangeEvent[]): ChangeEvent | undefined {
  let newest: ChangeEvent | undefined;
  for (const event of events) {
    if (event.readOnly === true || !target.eventNames.includes(event.eventName)) continue;
    if (event.eventSource && event.eventSource !== target.eventSource) continue;
    if (!newest || timeOf(event) > timeOf(newest)) newest = event;
  }
  return newest;
}

/** The newest relevant event over several targets' histories (a table and its dead NAT gateway). */
export function latestChange(
  lookups: { target: ChangeTarget; events: ChangeEvent[] }[],
): ChangeEvent | undefined {
  let newest: ChangeEvent | undefined;
  for (const { target, events } of lookups) {
    const change = relevantChange(target, events);
    if (change && (!newest || timeOf(change) > timeOf(newest))) newest = change;
  }
  return newest;
}

/** An unparseable time sorts last rather than win. */
function timeOf(event: ChangeEvent): number {
  const time = Date.parse(event.eventTime);
  return Number.isNaN(time) ? Number.NEGATIVE_INFINITY : time;
}

/** A cluster's name from its ARN (arn:aws:eks:REGION:ACCOUNT:cluster/NAME) or the name itself. */
function clusterName(resourceId: string): string | undefined {
  if (!resourceId.startsWith('arn:')) return resourceId || undefined;
  const match = /:cluster\/([^/]+)$/.exec(resourceId);
  return match?.[1];
}
