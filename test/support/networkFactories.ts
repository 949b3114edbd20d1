import type {
  Cluster,
  NetworkAcl,
  NetworkAclEntry,
  NetworkSnapshot,
  SecurityGroup,
  SecurityGroupRule,
  VpcEndpoint,
} from '../../functions/core/model/types.js';
import {
  cluster,
  NEW_SUBNET,
  NEW_TABLE,
  PRIVATE_SUBNET,
  PUBLIC_SUBNET,
  REGION,
  seedNetwork,
  VPC,
  VPC_CIDR,
} from './factories.js';

/**
 * Factories for the network checks beyond routing, on top of the seed's network (factories.ts):
 * a healthy full snapshot by default, so each test breaks exactly one thing.
 */

export { NEW_SUBNET_CIDR, NEW_TABLE, REGION } from './factories.js';
export const CLUSTER_SG = 'sg-0c1u5ter000000001';
export const ENDPOINT_SG = 'sg-0endp01nt00000001';

/** Public endpoint only, open to the world: the seed's cluster. */
export function publicCluster(overrides: Partial<Cluster> = {}): Cluster {
  return cluster({
    endpointPublicAccess: true,
    endpointPrivateAccess: false,
    publicAccessCidrs: ['0.0.0.0/0'],
    clusterSecurityGroupId: CLUSTER_SG,
    ...overrides,
  });
}

/** Private endpoint only. */
export function privateCluster(overrides: Partial<Cluster> = {}): Cluster {
  return cluster({
    endpointPublicAccess: false,
    endpointPrivateAccess: true,
    publicAccessCidrs: [],
    clusterSecurityGroupId: CLUSTER_SG,
    ...overrides,
  });
}

export function interfaceEndpoint(service: string, overrides: Partial<VpcEndpoint> = {}): VpcEndpoint {
  return {
    vpcEndpointId: `vpce-0${service.replace('.', '')}`.padEnd(22, '0'),
    serviceName: `com.amazonaws.${REGION}.${service}`,
    type: 'Interface',
    state: 'available',
    privateDnsEnabled: true,
    subnetIds: [PRIVATE_SUBNET],
    routeTableIds: [],
    securityGroupIds: [ENDPOINT_SG],
    ...overrides,
  };
}

export function s3Gateway(overrides: Partial<VpcEndpoint> = {}): VpcEndpoint {
  return {
    vpcEndpointId: 'vpce-0s3gateway000000001',
    serviceName: `com.amazonaws.${REGION}.s3`,
    type: 'Gateway',
    state: 'available',
    privateDnsEnabled: false,
    subnetIds: [],
    routeTableIds: [NEW_TABLE],
    securityGroupIds: [],
    ...overrides,
  };
}

/** Everything nodes of a private cluster need, for the new subnet's table. */
export function nodeEndpoints(): VpcEndpoint[] {
  return [...['ec2', 'ecr.api', 'ecr.dkr', 'sts'].map((s) => interfaceEndpoint(s)), s3Gateway()];
}

export function rule(overrides: Partial<SecurityGroupRule> = {}): SecurityGroupRule {
  return {
    protocol: '-1',
    cidrs: ['0.0.0.0/0'],
    ipv6Cidrs: [],
    groupIds: [],
    prefixListIds: [],
    ...overrides,
  };
}

export function https(overrides: Partial<SecurityGroupRule> = {}): SecurityGroupRule {
  return rule({ protocol: 'tcp', fromPort: 443, toPort: 443, ...overrides });
}

export function securityGroup(
  groupId: string,
  { ingress = [], egress = [rule()] }: { ingress?: SecurityGroupRule[]; egress?: SecurityGroupRule[] } = {},
): SecurityGroup {
  return { groupId, vpcId: VPC, ingress, egress };
}

export function entry(
  ruleNumber: number,
  egress: boolean,
  action: 'allow' | 'deny',
  overrides: Partial<NetworkAclEntry> = {},
): NetworkAclEntry {
  return { ruleNumber, egress, protocol: '-1', action, cidrBlock: '0.0.0.0/0', ...overrides };
}

/** The `*` rules every ACL ends with. */
export const FINAL_ENTRIES = [entry(32767, true, 'deny'), entry(32767, false, 'deny')];

export function networkAcl(
  networkAclId: string,
  subnetIds: string[],
  entries: NetworkAclEntry[],
  isDefault = false,
): NetworkAcl {
  return { networkAclId, vpcId: VPC, isDefault, subnetIds, entries: [...entries, ...FINAL_ENTRIES] };
}

/** An ACL that allows everything both ways. */
export function openAcl(networkAclId: string, subnetIds: string[], isDefault = false): NetworkAcl {
  return networkAcl(
    networkAclId,
    subnetIds,
    [entry(100, true, 'allow'), entry(100, false, 'allow')],
    isDefault,
  );
}

/** The VPC default ACL as AWS creates it: everything allowed both ways. */
export function defaultAcl(subnetIds: string[] = [PUBLIC_SUBNET, PRIVATE_SUBNET, NEW_SUBNET]): NetworkAcl {
  return openAcl('acl-0default0000000001', subnetIds, true);
}

/**
 * The seed's network with every part read: DNS on, the default ACL, the cluster security group
 * (all egress) and an endpoint group that admits HTTPS from the VPC. No VPC endpoints.
 */
export function fullNetwork(overrides: Partial<NetworkSnapshot> = {}): NetworkSnapshot {
  return seedNetwork({
    cidrBlocks: [VPC_CIDR],
    enableDnsSupport: true,
    enableDnsHostnames: true,
    vpcEndpoints: [],
    networkAcls: [defaultAcl()],
    securityGroups: [
      securityGroup(CLUSTER_SG, { ingress: [rule({ cidrs: [], groupIds: [CLUSTER_SG] })] }),
      securityGroup(ENDPOINT_SG, { ingress: [https({ cidrs: [VPC_CIDR] })] }),
    ],
    ...overrides,
  });
}
