import { describe, expect, it } from 'vitest';
import { diagnoseEndpointAccess } from '../../../functions/core/diagnose/diagnoseEndpointAccess.js';
import type { Cluster, Instance, NetworkSnapshot } from '../../../functions/core/model/types.js';
import {
  IGW,
  instance,
  NAT,
  NEW_SUBNET,
  natGateway,
  PRIVATE_SUBNET,
  route,
  withNewSubnetRoutes,
} from '../../support/factories.js';
import { fullNetwork, privateCluster, publicCluster, REGION } from '../../support/networkFactories.js';

const NAT_IP = '203.0.113.25';

function diagnose(
  cluster: Cluster,
  network: NetworkSnapshot = fullNetwork(),
  subnets: { subnetId: string; instances: Instance[] }[] = [
    { subnetId: PRIVATE_SUBNET, instances: [instance({ subnetId: PRIVATE_SUBNET })] },
  ],
) {
  return diagnoseEndpointAccess({ region: REGION, cluster, network, subnets });
}

describe('ENDPOINT_ACCESS_EXCLUDES_NODES', () => {
  it('reports a public-only endpoint whose CIDRs leave out the NAT gateway address, keeping the existing ones in the fix', () => {
    const finding = diagnose(publicCluster({ publicAccessCidrs: ['198.51.100.0/24', '192.0.2.7/32'] }));
    expect(finding).toMatchObject({
      code: 'ENDPOINT_ACCESS_EXCLUDES_NODES',
      severity: 'critical',
      resourceId: 'arn:aws:eks:us-west-2:123456789012:cluster/eks-workshop',
      subnetId: PRIVATE_SUBNET,
      instanceIds: ['i-0a1b2c3d4e5f60718'],
    });
    expect(finding?.message).toContain(`${NAT_IP} (NAT gateway ${NAT}, for ${PRIVATE_SUBNET})`);
    expect(finding?.fix.split('\n')).toEqual([
      "# Let the nodes' addresses in (the existing CIDR blocks are kept):",
      `aws eks update-cluster-config --name eks-workshop --resources-vpc-config publicAccessCidrs=198.51.100.0/24,192.0.2.7/32,${NAT_IP}/32 --region us-west-2`,
      '# or let nodes use a private endpoint inside the VPC:',
      'aws eks update-cluster-config --name eks-workshop --resources-vpc-config endpointPrivateAccess=true --region us-west-2',
    ]);
  });

  it('is silent for the healthy twin: a CIDR block that holds the NAT address', () => {
    expect(
      diagnose(publicCluster({ publicAccessCidrs: ['198.51.100.0/24', '203.0.113.0/24'] })),
    ).toBeUndefined();
    expect(diagnose(publicCluster({ publicAccessCidrs: ['0.0.0.0/0'] }))).toBeUndefined();
  });

  it('does not apply when private access is on: nodes use the private endpoint', () => {
    expect(
      diagnose(privateCluster({ endpointPublicAccess: true, publicAccessCidrs: ['198.51.100.0/24'] })),
    ).toBeUndefined();
    expect(diagnose(privateCluster())).toBeUndefined();
  });

  it('works at preflight: the NAT gateway address is known before any instance launches', () => {
    const finding = diagnose(publicCluster({ publicAccessCidrs: ['198.51.100.0/24'] }), fullNetwork(), [
      { subnetId: PRIVATE_SUBNET, instances: [] },
    ]);
    expect(finding?.code).toBe('ENDPOINT_ACCESS_EXCLUDES_NODES');
    expect(finding).not.toHaveProperty('instanceIds');
  });

  it('checks the public IPs of instances behind an internet gateway, and only those that have one', () => {
    const network = withNewSubnetRoutes(fullNetwork(), [
      route('0.0.0.0/0', { kind: 'internet-gateway', id: IGW }),
    ]);
    const cluster = publicCluster({ publicAccessCidrs: ['198.51.100.0/24'] });
    const finding = diagnose(cluster, network, [
      {
        subnetId: NEW_SUBNET,
        instances: [instance({ instanceId: 'i-0pub', publicIp: '192.0.2.44' }), instance()],
      },
    ]);
    expect(finding?.message).toContain('192.0.2.44 (public IP of i-0pub');
    expect(finding?.instanceIds).toEqual(['i-0pub']);
    expect(diagnose(cluster, network, [{ subnetId: NEW_SUBNET, instances: [instance()] }])).toBeUndefined();
  });

  it('names every excluded address once across subnets, in one finding for the cluster', () => {
    const network = fullNetwork({
      natGateways: [natGateway({ publicIps: [NAT_IP, '203.0.113.26'] })],
    });
    const finding = diagnose(publicCluster({ publicAccessCidrs: ['198.51.100.0/24'] }), network, [
      { subnetId: PRIVATE_SUBNET, instances: [] },
      { subnetId: PRIVATE_SUBNET, instances: [] },
    ]);
    expect(finding?.fix).toContain(`publicAccessCidrs=198.51.100.0/24,${NAT_IP}/32,203.0.113.26/32 `);
  });

  it('judges nothing it cannot see: no route out, a dead NAT gateway, unknown or unreadable CIDRs', () => {
    const narrow = publicCluster({ publicAccessCidrs: ['198.51.100.0/24'] });
    expect(
      diagnose(narrow, fullNetwork(), [{ subnetId: NEW_SUBNET, instances: [instance()] }]),
    ).toBeUndefined();
    expect(
      diagnose(narrow, fullNetwork({ natGateways: [natGateway({ state: 'deleted' })] })),
    ).toBeUndefined();
    expect(diagnose(publicCluster({ publicAccessCidrs: [] }))).toBeUndefined();
    expect(diagnose(publicCluster({ publicAccessCidrs: ['198.51.100.0/24', 'bogus'] }))).toBeUndefined();
    const tgw = withNewSubnetRoutes(fullNetwork(), [
      route('0.0.0.0/0', { kind: 'transit-gateway', id: 'tgw-0123' }),
    ]);
    expect(diagnose(narrow, tgw, [{ subnetId: NEW_SUBNET, instances: [instance()] }])).toBeUndefined();
  });
});
