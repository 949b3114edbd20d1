import type { NatGateway as Ec2NatGateway } from '@aws-sdk/client-ec2';
import { NAT, PUBLIC_SUBNET, VPC } from './factories.js';

/**
 * The seed's NAT gateway as DescribeNatGateways answers it, its fields in the API's order: available,
 * public, in the public subnet, with one public address.
 */
export function ec2NatGateway(overrides: Partial<Ec2NatGateway> = {}): Ec2NatGateway {
  return {
    CreateTime: new Date('2026-11-20T08:00:00Z'),
    NatGatewayAddresses: [{ PublicIp: '52.34.10.20', PrivateIp: '10.42.0.5' }],
    NatGatewayId: NAT,
    State: 'available',
    SubnetId: PUBLIC_SUBNET,
    VpcId: VPC,
    ConnectivityType: 'public',
    ...overrides,
  };
}
