import type {
  Instance as Ec2Instance,
  InternetGateway as Ec2InternetGateway,
  IpPermission as Ec2IpPermission,
  ManagedPrefixList as Ec2ManagedPrefixList,
  NatGateway as Ec2NatGateway,
  NetworkAcl as Ec2NetworkAcl,
  Route as Ec2Route,
  RouteTable as Ec2RouteTable,
  SecurityGroup as Ec2SecurityGroup,
  Subnet as Ec2Subnet,
  Vpc as Ec2Vpc,
  VpcEndpoint as Ec2VpcEndpoint,
} from '@aws-sdk/client-ec2';
import type {
  Instance,
  InternetGateway,
  NatGateway,
  NetworkAcl,
  NetworkAclEntry,
  PrefixList,
  Route,
  RouteTable,
  RouteTarget,
  SecurityGroup,
  SecurityGroupRule,
  Subnet,
  VpcEndpoint,
} from '../core/model/types.js';

/** EC2 SDK shapes to the domain model: the only place that knows EC2's field names. */

export function toRouteTarget(route: Ec2Route): RouteTarget {
  const gateway = route.GatewayId;
  if (gateway === 'local') return { kind: 'local' };
  if (route.NatGatewayId) return { kind: 'nat-gateway', id: route.NatGatewayId };
  if (gateway?.startsWith('igw-')) return { kind: 'internet-gateway', id: gateway };
  if (gateway?.startsWith('vpce-')) return { kind: 'vpc-endpoint', id: gateway };
  // EC2 names an egress-only internet gateway in its own field; some answers (moto) put it in GatewayId.
  if (route.EgressOnlyInternetGatewayId)
    return { kind: 'egress-only-internet-gateway', id: route.EgressOnlyInternetGatewayId };
  if (gateway?.startsWith('eigw-')) return { kind: 'egress-only-internet-gateway', id: gateway };
  if (route.TransitGatewayId) return { kind: 'transit-gateway', id: route.TransitGatewayId };
  if (route.VpcPeeringConnectionId) return { kind: 'vpc-peering', id: route.VpcPeeringConnectionId };
  if (route.InstanceId) return { kind: 'instance', id: route.InstanceId };
  if (route.NetworkInterfaceId) return { kind: 'network-interface', id: route.NetworkInterfaceId };
  if (route.LocalGatewayId) return { kind: 'local-gateway', id: route.LocalGatewayId };
  if (route.CarrierGatewayId) return { kind: 'carrier-gateway', id: route.CarrierGatewayId };
  if (route.CoreNetworkArn) return { kind: 'core-network', id: route.CoreNetworkArn };
  return { kind: 'unknown', id: gateway ?? 'unknown' };
}

export function toRoute(route: Ec2Route): Route {
  return {
    destination:
      route.DestinationCidrBlock ?? route.DestinationIpv6CidrBlock ?? route.DestinationPrefixListId ?? '?',
    target: toRouteTarget(route),
    state: route.State ?? 'active',
    ...(route.Origin && { origin: route.Origin }),
  };
}

export function toRouteTable(table: Ec2RouteTable): RouteTable {
  const associations = (table.Associations ?? []).filter(
    (a) => !a.AssociationState?.State || a.AssociationState.State === 'associated',
  );
  return {
    routeTableId: table.RouteTableId ?? '',
    vpcId: table.VpcId ?? '',
    main: associations.some((a) => a.Main),
    subnetIds: present(associations.map((a) => a.SubnetId)),
    routes: (table.Routes ?? []).map(toRoute),
    ...(table.Tags && { tags: toTags(table.Tags) }),
  };
}

/** The prefix list ids that routes of the tables send traffic for, each once, in order of appearance. */
export function routedPrefixListIds(tables: Ec2RouteTable[]): string[] {
  const ids = tables.flatMap((t) => (t.Routes ?? []).map((r) => r.DestinationPrefixListId));
  return [...new Set(present(ids))];
}

export function toPrefixList(
  prefixListId: string,
  described: Ec2ManagedPrefixList | undefined,
  cidrs: string[] | undefined,
): PrefixList {
  const family = described?.AddressFamily;
  return {
    prefixListId,
    ...(described?.PrefixListName && { name: described.PrefixListName }),
    ...(described?.OwnerId && { ownerId: described.OwnerId }),
    ...((family === 'IPv4' || family === 'IPv6') && { addressFamily: family }),
    cidrs,
  };
}

/** The VPCs an internet gateway is attached to: attachments `available` (EC2's word) or `attached`. */
export function toInternetGateway(gateway: Ec2InternetGateway): InternetGateway {
  return {
    internetGatewayId: gateway.InternetGatewayId ?? '',
    attachedVpcIds: present(
      (gateway.Attachments ?? [])
        .filter((a) => (a.State as string | undefined) === 'available' || a.State === 'attached')
        .map((a) => a.VpcId),
    ),
  };
}

/** The values that are there: ids and addresses EC2 may leave out (or send empty). */
function present(values: (string | undefined)[]): string[] {
  return values.filter((v): v is string => !!v);
}

function toTags(tags: { Key?: string; Value?: string }[]): Record<string, string> {
  return Object.fromEntries(tags.filter((t) => t.Key !== undefined).map((t) => [t.Key, t.Value ?? '']));
}

export function toNatGateway(nat: Ec2NatGateway): NatGateway {
  return {
    natGatewayId: nat.NatGatewayId ?? '',
    vpcId: nat.VpcId ?? '',
    subnetId: nat.SubnetId ?? '',
    connectivityType: nat.ConnectivityType === 'private' ? 'private' : 'public',
    state: nat.State ?? 'unknown',
    publicIps: present((nat.NatGatewayAddresses ?? []).map((a) => a.PublicIp)),
  };
}

export function toSubnet(subnet: Ec2Subnet): Subnet {
  return {
    subnetId: subnet.SubnetId ?? '',
    vpcId: subnet.VpcId ?? '',
    availabilityZone: subnet.AvailabilityZone ?? '',
    cidrBlock: subnet.CidrBlock ?? '',
    mapPublicIpOnLaunch: subnet.MapPublicIpOnLaunch ?? false,
    ...(subnet.AvailableIpAddressCount !== undefined && {
      availableIpAddressCount: subnet.AvailableIpAddressCount,
    }),
  };
}

export function toInstance(instance: Ec2Instance, lifecycle?: { group: string; state?: string }): Instance {
  return {
    instanceId: instance.InstanceId ?? '',
    ...(lifecycle && { autoScalingGroupName: lifecycle.group, lifecycleState: lifecycle.state }),
    subnetId: instance.SubnetId,
    vpcId: instance.VpcId,
    availabilityZone: instance.Placement?.AvailabilityZone,
    launchedAt: instance.LaunchTime?.toISOString(),
    state: instance.State?.Name ?? 'unknown',
    publicIp: instance.PublicIpAddress,
    privateIp: instance.PrivateIpAddress,
    ...(instance.InstanceType && { instanceType: instance.InstanceType }),
    ...(instance.SecurityGroups && {
      securityGroupIds: present(instance.SecurityGroups.map((g) => g.GroupId)),
    }),
  };
}

/** The VPC's IPv4 CIDR blocks, primary and secondary, leaving out those being removed or that failed. */
export function toVpcCidrBlocks(vpc: Ec2Vpc): string[] {
  const associated = present(
    (vpc.CidrBlockAssociationSet ?? [])
      .filter((a) => !a.CidrBlockState?.State || a.CidrBlockState.State === 'associated')
      .map((a) => a.CidrBlock),
  );
  if (associated.length > 0) return [...new Set(associated)];
  return vpc.CidrBlock ? [vpc.CidrBlock] : [];
}

export function toVpcEndpoint(endpoint: Ec2VpcEndpoint): VpcEndpoint {
  const { VpcEndpointId = '', ServiceName = '', VpcEndpointType = 'unknown', State = 'unknown' } = endpoint;
  return {
    vpcEndpointId: VpcEndpointId,
    serviceName: ServiceName,
    type: VpcEndpointType,
    state: State,
    privateDnsEnabled: endpoint.PrivateDnsEnabled ?? false,
    subnetIds: endpoint.SubnetIds ?? [],
    routeTableIds: endpoint.RouteTableIds ?? [],
    securityGroupIds: present((endpoint.Groups ?? []).map((g) => g.GroupId)),
  };
}

export function toNetworkAcl(acl: Ec2NetworkAcl): NetworkAcl {
  return {
    networkAclId: acl.NetworkAclId ?? '',
    vpcId: acl.VpcId ?? '',
    isDefault: acl.IsDefault ?? false,
    subnetIds: present((acl.Associations ?? []).map((a) => a.SubnetId)),
    entries: (acl.Entries ?? []).map(
      (e): NetworkAclEntry => ({
        ruleNumber: e.RuleNumber ?? 0,
        egress: e.Egress ?? false,
        protocol: e.Protocol ?? '-1',
        action: e.RuleAction === 'allow' ? 'allow' : 'deny',
        ...(e.CidrBlock && { cidrBlock: e.CidrBlock }),
        ...(e.Ipv6CidrBlock && { ipv6CidrBlock: e.Ipv6CidrBlock }),
        ...(e.PortRange && { portRange: { from: e.PortRange.From ?? 0, to: e.PortRange.To ?? 65535 } }),
      }),
    ),
  };
}

export function toSecurityGroup(group: Ec2SecurityGroup): SecurityGroup {
  return {
    groupId: group.GroupId ?? '',
    vpcId: group.VpcId ?? '',
    ingress: (group.IpPermissions ?? []).map(toSecurityGroupRule),
    egress: (group.IpPermissionsEgress ?? []).map(toSecurityGroupRule),
  };
}

export function toSecurityGroupRule(permission: Ec2IpPermission): SecurityGroupRule {
  return {
    protocol: permission.IpProtocol ?? '-1',
    ...(permission.FromPort !== undefined && { fromPort: permission.FromPort }),
    ...(permission.ToPort !== undefined && { toPort: permission.ToPort }),
    cidrs: present((permission.IpRanges ?? []).map((r) => r.CidrIp)),
    ipv6Cidrs: present((permission.Ipv6Ranges ?? []).map((r) => r.CidrIpv6)),
    groupIds: present((permission.UserIdGroupPairs ?? []).map((p) => p.GroupId)),
    prefixListIds: present((permission.PrefixListIds ?? []).map((p) => p.PrefixListId)),
  };
}
