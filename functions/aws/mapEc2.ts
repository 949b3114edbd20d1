import type {
  Instance as Ec2Instance,
  NatGateway as Ec2NatGateway,
  Route as Ec2Route,
  RouteTable as Ec2RouteTable,
  Subnet as Ec2Subnet,
} from '@aws-sdk/client-ec2';
import type { Instance, NatGateway, Route, RouteTable, RouteTarget, Subnet } from '../core/types.js';

/** EC2 SDK shapes to the domain model: the only place that knows EC2's field names. */

export function toRouteTarget(route: Ec2Route): RouteTarget {
  const gateway = route.GatewayId;
  if (gateway === 'local') return { kind: 'local' };
  if (route.NatGatewayId) return { kind: 'nat-gateway', id: route.NatGatewayId };
  if (gateway?.startsWith('igw-')) return { kind: 'internet-gateway', id: gateway };
  if (gateway?.startsWith('vpce-')) return { kind: 'vpc-endpoint', id: gateway };
  if (route.EgressOnlyInternetGatewayId)
    return { kind: 'egress-only-internet-gateway', id: route.EgressOnlyInternetGatewayId };
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
    subnetIds: associations.map((a) => a.SubnetId).filter((s): s is string => !!s),
    routes: (table.Routes ?? []).map(toRoute),
  };
}

export function toNatGateway(nat: Ec2NatGateway): NatGateway {
  return {
    natGatewayId: nat.NatGatewayId ?? '',
    vpcId: nat.VpcId ?? '',
    subnetId: nat.SubnetId ?? '',
    state: nat.State ?? 'unknown',
    connectivityType: nat.ConnectivityType === 'private' ? 'private' : 'public',
    publicIps: (nat.NatGatewayAddresses ?? []).map((a) => a.PublicIp).filter((ip): ip is string => !!ip),
  };
}

export function toSubnet(subnet: Ec2Subnet): Subnet {
  return {
    subnetId: subnet.SubnetId ?? '',
    vpcId: subnet.VpcId ?? '',
    availabilityZone: subnet.AvailabilityZone ?? '',
    cidrBlock: subnet.CidrBlock ?? '',
    mapPublicIpOnLaunch: subnet.MapPublicIpOnLaunch ?? false,
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
  };
}
