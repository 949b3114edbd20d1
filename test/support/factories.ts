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

/** Small factories for the domain model, shaped like the seed's account (VPC 10.42.0.0/16, us-west-2). */

export const VPC = 'vpc-0a1b2c3d4e5f60789';
export const PUBLIC_SUBNET = 'subnet-0aa0000000000pub1';
export const PRIVATE_SUBNET = 'subnet-0bb000000000priv1';
export const NEW_SUBNET = 'subnet-0e5e4b6c1d2a3f405';
export const NAT = 'nat-0123456789abcdef0';
export const IGW = 'igw-0fedcba9876543210';

export function cluster(overrides: Partial<Cluster> = {}): Cluster {
  return {
    name: 'eks-workshop',
    arn: 'arn:aws:eks:us-west-2:123456789012:cluster/eks-workshop',
    region: 'us-west-2',
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
  const name = overrides.name ?? 'new_nodegroup_2';
  return {
    name,
    clusterName: 'eks-workshop',
    arn: `arn:aws:eks:us-west-2:123456789012:nodegroup/eks-workshop/${name}/a6c9a1b2-3c4d-5e6f-7a8b-9c0d1e2f3a4b`,
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
  destination: '10.42.0.0/16',
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
      subnet(NEW_SUBNET, 'us-west-2a', '10.42.192.0/19'),
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
      routeTable('rtb-0f1e2d3c4b5a69788', [NEW_SUBNET], []),
    ],
    natGateways: [natGateway()],
    internetGateways: [{ internetGatewayId: IGW, attachedVpcIds: [VPC] }],
    ...overrides,
  };
}
