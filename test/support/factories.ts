import type {
  Cluster,
  Instance,
  NatGateway,
  NetworkSnapshot,
  Nodegroup,
  Route,
  RouteTable,
  Subnet,
} from '../../functions/core/model/types.js';
import { FAKE_REGION } from './fakeAccount.js';

/** Small factories for the domain model, shaped like the seed's account (VPC 10.42.0.0/16, us-west-2). */

/** The region of the in-memory account too. */
export const REGION = FAKE_REGION;
export const CLUSTER = 'eks-workshop';
export const NODEGROUP = 'new_nodegroup_2';
export const VPC = 'vpc-0a1b2c3d4e5f60789';
export const VPC_CIDR = '10.42.0.0/16';
export const PUBLIC_SUBNET = 'subnet-0aa0000000000pub1';
export const PRIVATE_SUBNET = 'subnet-0bb000000000priv1';
/** The subnet nothing joins from: its route table holds only the local route. */
export const NEW_SUBNET = 'subnet-0e5e4b6c1d2a3f405';
export const NEW_SUBNET_CIDR = '10.42.192.0/19';
export const NEW_TABLE = 'rtb-0f1e2d3c4b5a69788';
export const NAT = 'nat-0123456789abcdef0';
export const IGW = 'igw-0fedcba9876543210';

export function cluster(overrides: Partial<Cluster> = {}): Cluster {
  return {
    name: CLUSTER,
    arn: `arn:aws:eks:${REGION}:123456789012:cluster/${CLUSTER}`,
    region: REGION,
    endpoint: 'https://ABCDEF0123456789.gr7.us-west-2.eks.amazonaws.com',
    vpcId: VPC,
    endpointPublicAccess: true,
    endpointPrivateAccess: true,
    publicAccessCidrs: ['0.0.0.0/0'],
    tags: {},
    ...overrides,
  };
}

export function nodegroup(overrides: Partial<Nodegroup> = {}): Nodegroup {
  const name = overrides.name ?? NODEGROUP;
  return {
    name,
    clusterName: CLUSTER,
    arn: `arn:aws:eks:${REGION}:123456789012:nodegroup/${CLUSTER}/${name}/a6c9a1b2-3c4d-5e6f-7a8b-9c0d1e2f3a4b`,
    status: 'ACTIVE',
    subnetIds: [NEW_SUBNET],
    autoScalingGroupNames: [`eks-${name}-a6c9a1b2-3c4d-5e6f-7a8b-9c0d1e2f3a4b`],
    scaling: { minSize: 0, maxSize: 2, desiredSize: 1 },
    tags: {},
    healthIssues: [],
    ...overrides,
  };
}

export function instance(overrides: Partial<Instance> = {}): Instance {
  return {
    instanceId: 'i-0a1b2c3d4e5f60718',
    subnetId: NEW_SUBNET,
    vpcId: VPC,
    availabilityZone: 'us-west-2a',
    launchedAt: '2026-11-26T09:50:00.000Z',
    state: 'running',
    lifecycleState: 'InService',
    privateIp: '10.42.200.17',
    ...overrides,
  };
}

export const local: Route = {
  destination: VPC_CIDR,
  target: { kind: 'local' },
  state: 'active',
  origin: 'CreateRouteTable',
};

export function route(destination: string, target: Route['target'], state = 'active'): Route {
  return { destination, target, state, origin: 'CreateRoute' };
}

export function routeTable(id: string, subnetIds: string[], routes: Route[], main = false): RouteTable {
  return { routeTableId: id, vpcId: VPC, main, subnetIds, routes: [local, ...routes] };
}

export function subnet(subnetId: string, availabilityZone: string, cidrBlock: string): Subnet {
  return { subnetId, vpcId: VPC, availabilityZone, cidrBlock, mapPublicIpOnLaunch: false };
}

export function natGateway(overrides: Partial<NatGateway> = {}): NatGateway {
  return {
    natGatewayId: NAT,
    vpcId: VPC,
    subnetId: PUBLIC_SUBNET,
    state: 'available',
    connectivityType: 'public',
    publicIps: ['203.0.113.25'],
    ...overrides,
  };
}

/**
 * The seed's network: a public subnet with the NAT gateway, the `default` nodegroup's private subnet
 * routed through it, and the new subnet whose table holds only the local route.
 */
export function seedNetwork(overrides: Partial<NetworkSnapshot> = {}): NetworkSnapshot {
  return {
    vpcId: VPC,
    subnets: [
      subnet(PUBLIC_SUBNET, 'us-west-2a', '10.42.0.0/19'),
      subnet(PRIVATE_SUBNET, 'us-west-2a', '10.42.96.0/19'),
      subnet(NEW_SUBNET, 'us-west-2a', NEW_SUBNET_CIDR),
    ],
    routeTables: [
      routeTable('rtb-0main000000000000', [], [], true),
      routeTable(
        'rtb-0public0000000000',
        [PUBLIC_SUBNET],
        [route('0.0.0.0/0', { kind: 'internet-gateway', id: IGW })],
      ),
      routeTable(
        'rtb-0private000000000',
        [PRIVATE_SUBNET],
        [route('0.0.0.0/0', { kind: 'nat-gateway', id: NAT })],
      ),
      routeTable(NEW_TABLE, [NEW_SUBNET], []),
    ],
    natGateways: [natGateway()],
    internetGateways: [{ internetGatewayId: IGW, attachedVpcIds: [VPC] }],
    ...overrides,
  };
}

/** The network with the new subnet's own table holding `routes` (after the local route) instead. */
export function withNewSubnetRoutes(network: NetworkSnapshot, routes: Route[]): NetworkSnapshot {
  network.routeTables = network.routeTables.map((t) =>
    t.routeTableId === NEW_TABLE ? routeTable(NEW_TABLE, [NEW_SUBNET], routes) : t,
  );
  return network;
}

export const ZONE_B_PUBLIC_SUBNET = 'subnet-0pubb';

/**
 * The seed's network with a second public subnet, in us-west-2b, that shares the public route table
 * (0.0.0.0/0 to the internet gateway), and the only NAT gateway in it.
 */
export function withNatInZoneB(natGatewayId: string): NetworkSnapshot {
  const network = seedNetwork({
    subnets: [...seedNetwork().subnets, subnet(ZONE_B_PUBLIC_SUBNET, 'us-west-2b', '10.42.32.0/19')],
    natGateways: [natGateway({ natGatewayId, subnetId: ZONE_B_PUBLIC_SUBNET })],
  });
  network.routeTables = network.routeTables.map((t) =>
    t.routeTableId === 'rtb-0public0000000000'
      ? { ...t, subnetIds: [...t.subnetIds, ZONE_B_PUBLIC_SUBNET] }
      : t,
  );
  return network;
}
