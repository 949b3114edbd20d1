import { describe, expect, it } from 'vitest';
import { effectiveRouteTable } from '../../../functions/core/diagnose/effectiveRouteTable.js';
import type { Route } from '../../../functions/core/model/types.js';
import { diagnoseRouting } from '../../support/diagnoseRouting.js';
import {
  IGW,
  instance,
  NAT,
  NEW_SUBNET,
  natGateway,
  PRIVATE_SUBNET,
  route,
  seedNetwork,
  subnet,
  withNatInZoneB,
  withNewSubnetRoutes,
} from '../../support/factories.js';

const region = 'us-west-2';

function withNewSubnetTable(routes: Route[], extra: Partial<ReturnType<typeof seedNetwork>> = {}) {
  return withNewSubnetRoutes(seedNetwork(extra), routes);
}

describe('effectiveRouteTable', () => {
  it('uses the explicitly associated table', () => {
    expect(effectiveRouteTable(seedNetwork(), NEW_SUBNET)).toMatchObject({
      table: { routeTableId: 'rtb-0f1e2d3c4b5a69788' },
      source: 'explicit',
    });
  });

  it('falls back to the VPC main table for a subnet without an association', () => {
    expect(effectiveRouteTable(seedNetwork(), 'subnet-0unassociated00')).toMatchObject({
      table: { routeTableId: 'rtb-0main000000000000' },
      source: 'main',
    });
  });
});

describe('diagnoseRouting', () => {
  it('reports the seed: a new subnet whose table holds only the local route, with the fix to the same-zone NAT', () => {
    const findings = diagnoseRouting({ region, network: seedNetwork(), instances: [instance()] });
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      code: 'NO_DEFAULT_ROUTE',
      severity: 'critical',
      resourceId: 'rtb-0f1e2d3c4b5a69788',
      subnetId: NEW_SUBNET,
      routeTableSource: 'explicit',
      natGatewayId: NAT,
      instanceIds: ['i-0a1b2c3d4e5f60718'],
      fix: `aws ec2 create-route --route-table-id rtb-0f1e2d3c4b5a69788 --destination-cidr-block 0.0.0.0/0 --nat-gateway-id ${NAT} --region us-west-2`,
    });
    expect(findings[0]?.message).toContain('10.42.0.0/16 → local (active)');
  });

  it('says when the subnet relies on the VPC main table and warns that changing it affects other subnets', () => {
    const network = seedNetwork();
    network.routeTables = network.routeTables.filter((t) => t.routeTableId !== 'rtb-0f1e2d3c4b5a69788');
    const [finding] = diagnoseRouting({ region, network, instances: [instance()] });
    expect(finding).toMatchObject({
      code: 'NO_DEFAULT_ROUTE',
      resourceId: 'rtb-0main000000000000',
      routeTableSource: 'main',
    });
    expect(finding?.message).toMatch(/VPC main route table.*every subnet/s);
  });

  it('prefers an available NAT gateway in the subnet zone over one in another zone', () => {
    const network = seedNetwork({
      subnets: [...seedNetwork().subnets, subnet('subnet-0pubb', 'us-west-2b', '10.42.32.0/19')],
      natGateways: [
        natGateway({ natGatewayId: 'nat-0000000000000000b', subnetId: 'subnet-0pubb' }),
        natGateway(),
      ],
    });
    const [finding] = diagnoseRouting({ region, network, instances: [instance()] });
    expect(finding?.natGatewayId).toBe(NAT);
    expect(finding?.fix).not.toContain('crosses zones');
  });

  it('falls back to a NAT gateway in another zone and says the traffic crosses zones', () => {
    const network = withNatInZoneB('nat-0000000000000000b');
    const [finding] = diagnoseRouting({ region, network, instances: [instance()] });
    expect(finding?.natGatewayId).toBe('nat-0000000000000000b');
    expect(finding?.fix).toContain('crosses zones');
  });

  it('never proposes a private NAT gateway or one that is not available', () => {
    const network = seedNetwork({
      natGateways: [
        natGateway({ natGatewayId: 'nat-0private000000000', connectivityType: 'private', publicIps: [] }),
        natGateway({ natGatewayId: 'nat-0pending000000000', state: 'pending' }),
      ],
    });
    const [finding] = diagnoseRouting({ region, network, instances: [instance()] });
    expect(finding?.natGatewayId).toBeUndefined();
    expect(finding?.fix).toContain('aws ec2 create-nat-gateway --subnet-id subnet-0aa0000000000pub1');
    expect(finding?.fix).not.toContain('nat-0private');
  });

  it('reports a blackhole default route and proposes replacing it', () => {
    const network = withNewSubnetTable([
      route('0.0.0.0/0', { kind: 'nat-gateway', id: 'nat-0dead000000000000' }, 'blackhole'),
    ]);
    const [finding] = diagnoseRouting({ region, network, instances: [instance()] });
    expect(finding).toMatchObject({
      code: 'BLACKHOLE_DEFAULT_ROUTE',
      resourceId: 'rtb-0f1e2d3c4b5a69788',
      natGatewayId: NAT,
    });
    expect(finding?.fix).toContain('aws ec2 replace-route --route-table-id rtb-0f1e2d3c4b5a69788');
  });

  it('treats an active route to a deleted NAT gateway as a blackhole (EC2 may still say active)', () => {
    const network = withNewSubnetTable(
      [route('0.0.0.0/0', { kind: 'nat-gateway', id: 'nat-0dead000000000000' })],
      {
        natGateways: [natGateway(), natGateway({ natGatewayId: 'nat-0dead000000000000', state: 'deleted' })],
      },
    );
    const [finding] = diagnoseRouting({ region, network, instances: [instance()] });
    expect(finding?.code).toBe('BLACKHOLE_DEFAULT_ROUTE');
    expect(finding?.message).toContain('nat-0dead000000000000 is deleted');
  });

  it('treats a route to a NAT gateway that no longer exists at all as a blackhole', () => {
    const network = withNewSubnetTable([
      route('0.0.0.0/0', { kind: 'nat-gateway', id: 'nat-0gone000000000000' }),
    ]);
    const [finding] = diagnoseRouting({ region, network, instances: [instance()] });
    expect(finding?.code).toBe('BLACKHOLE_DEFAULT_ROUTE');
    expect(finding?.message).toContain('does not exist');
  });

  it('reports instances without a public IP behind an internet gateway route, and only those', () => {
    const network = withNewSubnetTable([route('0.0.0.0/0', { kind: 'internet-gateway', id: IGW })]);
    const findings = diagnoseRouting({
      region,
      network,
      instances: [instance(), instance({ instanceId: 'i-0withpublicip000000', publicIp: '198.51.100.7' })],
    });
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      code: 'NO_PUBLIC_IP',
      resourceId: NEW_SUBNET,
      instanceIds: ['i-0a1b2c3d4e5f60718'],
    });
    expect(findings[0]?.fix).toContain(
      `aws ec2 modify-subnet-attribute --subnet-id ${NEW_SUBNET} --map-public-ip-on-launch`,
    );
  });

  it('has nothing to say when every instance behind an internet gateway has a public IP', () => {
    const network = withNewSubnetTable([route('0.0.0.0/0', { kind: 'internet-gateway', id: IGW })]);
    expect(diagnoseRouting({ region, network, instances: [instance({ publicIp: '198.51.100.7' })] })).toEqual(
      [],
    );
  });

  it('does not judge default routes to a transit gateway, peering or firewall endpoint', () => {
    for (const target of [
      { kind: 'transit-gateway', id: 'tgw-0123' },
      { kind: 'vpc-peering', id: 'pcx-0123' },
      { kind: 'vpc-endpoint', id: 'vpce-0123' },
      { kind: 'network-interface', id: 'eni-0123' },
    ] as const) {
      const network = withNewSubnetTable([route('0.0.0.0/0', target)]);
      expect(diagnoseRouting({ region, network, instances: [instance()] })).toEqual([]);
    }
  });

  it('is clean for a subnet routed through an available NAT gateway', () => {
    expect(
      diagnoseRouting({
        region,
        network: seedNetwork(),
        instances: [instance({ subnetId: PRIVATE_SUBNET })],
      }),
    ).toEqual([]);
  });

  it('judges subnets given without instances (preflight), and only once when instances are in them too', () => {
    const findings = diagnoseRouting({
      region,
      network: seedNetwork(),
      instances: [],
      subnetIds: [NEW_SUBNET, PRIVATE_SUBNET],
    });
    expect(findings).toEqual([
      expect.objectContaining({ code: 'NO_DEFAULT_ROUTE', subnetId: NEW_SUBNET, instanceIds: [] }),
    ]);
    expect(
      diagnoseRouting({ region, network: seedNetwork(), instances: [instance()], subnetIds: [NEW_SUBNET] }),
    ).toEqual([expect.objectContaining({ instanceIds: ['i-0a1b2c3d4e5f60718'] })]);
  });

  it('gives one finding per subnet, listing every unjoined instance in it', () => {
    const findings = diagnoseRouting({
      region,
      network: seedNetwork(),
      instances: [instance(), instance({ instanceId: 'i-0second00000000000' })],
    });
    expect(findings).toHaveLength(1);
    expect(findings[0]?.instanceIds).toEqual(['i-0a1b2c3d4e5f60718', 'i-0second00000000000']);
  });
});
