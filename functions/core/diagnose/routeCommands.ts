import { DEFAULT_ROUTE } from '../model/describeRoute.js';
import type { NetworkSnapshot } from '../model/types.js';
import type { NatChoice } from './chooseNatGateway.js';
import { effectiveRouteTable } from './effectiveRouteTable.js';

/**
 * The commands a person runs to give a route table its default route: to the chosen NAT gateway, or,
 * when none leads out, to one created first in a public subnet (same zone first).
 */
export function routeFix(
  verb: 'create-route' | 'replace-route',
  region: string,
  network: NetworkSnapshot,
  routeTableId: string,
  zone: string | undefined,
  nat: NatChoice | undefined,
): string {
  const command = (natId: string) =>
    `aws ec2 ${verb} --route-table-id ${routeTableId} --destination-cidr-block ${DEFAULT_ROUTE} --nat-gateway-id ${natId} --region ${region}`;
  if (nat) {
    const crossZone = nat.sameZone
      ? ''
      : `# No usable NAT gateway in ${zone ?? 'the subnet zone'}: ${nat.natGateway.natGatewayId} is in another zone, so traffic crosses zones.\n`;
    return `${crossZone}${command(nat.natGateway.natGatewayId)}`;
  }
  const publicSubnet = publicSubnetFor(network, zone);
  return [
    `# No NAT gateway of ${network.vpcId} leads out: create one in a public subnet${zone ? ` of ${zone}` : ''}, then route to it:`,
    `aws ec2 allocate-address --domain vpc --region ${region}`,
    `aws ec2 create-nat-gateway --subnet-id ${publicSubnet ?? '<public-subnet-id>'} --allocation-id <eipalloc-id> --region ${region}`,
    `aws ec2 wait nat-gateway-available --nat-gateway-ids <nat-gateway-id> --region ${region}`,
    command('<nat-gateway-id>'),
  ].join('\n');
}

/** A subnet whose default route goes to an internet gateway, same zone first: where a NAT gateway belongs. */
function publicSubnetFor(network: NetworkSnapshot, zone: string | undefined): string | undefined {
  const isPublic = (subnetId: string) => {
    const route = effectiveRouteTable(network, subnetId)?.table.routes.find(
      (r) => r.destination === DEFAULT_ROUTE,
    );
    return route?.target.kind === 'internet-gateway' && route.state === 'active';
  };
  const publicSubnets = network.subnets.filter((s) => isPublic(s.subnetId));
  return (publicSubnets.find((s) => s.availabilityZone === zone) ?? publicSubnets[0])?.subnetId;
}
