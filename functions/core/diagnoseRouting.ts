import { chooseNatGateway, type NatChoice } from './chooseNatGateway.js';
import { DEFAULT_ROUTE, describeRoute, findDefaultRoute } from './describeRoute.js';
import { diagnosePrivateAccess, type PrivateAccessVerdict } from './diagnosePrivateAccess.js';
import { describeEffectiveTable, effectiveRouteTable } from './effectiveRouteTable.js';
import { natProblem } from './liveDefaultRoute.js';
import type { Cluster, Finding, Instance, NetworkSnapshot } from './types.js';

export interface RoutingInput {
  region: string;
  network: NetworkSnapshot;
  /** The instances to explain: unjoined and past the join window. */
  instances: Instance[];
  /** Subnets to judge even with no instance in them (preflight: a nodegroup's subnets before launch). */
  subnetIds?: string[];
  /**
   * With the cluster, a subnet without a default route is judged by private endpoint access: valid
   * when the VPC endpoints nodes need are there, MISSING_VPC_ENDPOINTS when some are not. Without
   * it, such a subnet is always NO_DEFAULT_ROUTE.
   */
  cluster?: Cluster;
  /** Interface endpoint services the cluster needs beyond ec2, ecr.api, ecr.dkr and sts. */
  additionalEndpointServices?: string[];
}

export interface SubnetRoutingInput extends Omit<RoutingInput, 'instances' | 'subnetIds'> {
  subnetId: string;
  /** The subnet's instances to explain; none at preflight. */
  instances: Instance[];
}

/**
 * Explains, per subnet, why nodes cannot leave it: no default route, a dead one, or an internet
 * gateway route for instances without a public IP. Pure: everything comes from the snapshot.
 * Default routes to anything else (transit gateway, peering, firewall) are not judged: we cannot see
 * past them, and guessing would raise false alarms.
 */
export function diagnoseRouting({ instances, subnetIds, ...rest }: RoutingInput): Finding[] {
  const groups = groupBySubnet(instances);
  for (const subnetId of subnetIds ?? []) if (!groups.has(subnetId)) groups.set(subnetId, []);
  return [...groups].flatMap(
    ([subnetId, group]) => diagnoseSubnetRouting({ ...rest, subnetId, instances: group }) ?? [],
  );
}

/** The routing verdict for one subnet, or undefined when its routing lets nodes join. */
export function diagnoseSubnetRouting(input: SubnetRoutingInput): Finding | undefined {
  const { region, network, subnetId, instances, cluster } = input;
  const effective = effectiveRouteTable(network, subnetId);
  if (!effective) return undefined;
  const { table, source } = effective;
  const zone =
    instances[0]?.availabilityZone ?? network.subnets.find((s) => s.subnetId === subnetId)?.availabilityZone;
  const instanceIds = instances.map((i) => i.instanceId);
  const which = describeEffectiveTable(subnetId, effective);
  const routes = table.routes.map(describeRoute).join(', ') || 'none';
  const base = { subnetId, instanceIds, routeTableId: table.routeTableId, routeTableSource: source };
  const defaultRoute = findDefaultRoute(table.routes);
  // Whether nodes can do without internet egress: asked only where it changes the verdict.
  const privateAccess = (): PrivateAccessVerdict | undefined =>
    cluster &&
    diagnosePrivateAccess({
      region,
      cluster,
      network,
      subnetId,
      routeTable: effective,
      instances,
      ...(zone && { zone }),
      ...(input.additionalEndpointServices && { additionalServices: input.additionalEndpointServices }),
    });

  if (!defaultRoute) {
    const access = privateAccess();
    if (access?.kind === 'complete') return undefined;
    if (access?.kind === 'incomplete') return access.finding;
    const unknownEndpoints =
      access?.reason === 'endpoints-unknown'
        ? ` Cluster ${cluster?.name} has private endpoint access, but the VPC endpoints were not read: if nodes here are meant to use VPC endpoints instead of the internet, create those rather than this route.`
        : '';
    const nat = chooseNatGateway(network, zone);
    return {
      code: 'NO_DEFAULT_ROUTE',
      severity: 'critical',
      resourceId: table.routeTableId,
      ...base,
      ...(nat && { natGatewayId: nat.natGateway.natGatewayId }),
      message: `${which} has no ${DEFAULT_ROUTE} route, so nodes in ${subnetId} cannot reach the EKS API, ECR or STS. Routes: ${routes}.${mainTableWarning(source)}${unknownEndpoints}`,
      fix: routeFix('create-route', region, network, table.routeTableId, zone, nat),
    };
  }

  const deadNat =
    defaultRoute.target.kind === 'nat-gateway' ? natProblem(network, defaultRoute.target.id) : undefined;
  if (defaultRoute.state === 'blackhole' || deadNat) {
    const nat = chooseNatGateway(network, zone);
    const why =
      deadNat ?? `the route is a blackhole (its target ${describeRoute(defaultRoute)} no longer exists)`;
    return {
      code: 'BLACKHOLE_DEFAULT_ROUTE',
      severity: 'critical',
      resourceId: table.routeTableId,
      ...base,
      ...(nat && { natGatewayId: nat.natGateway.natGatewayId }),
      message: `${which} sends ${DEFAULT_ROUTE} nowhere: ${why}. Nodes in ${subnetId} cannot reach the EKS API, ECR or STS.${mainTableWarning(source)}`,
      fix: routeFix('replace-route', region, network, table.routeTableId, zone, nat),
    };
  }

  if (defaultRoute.target.kind === 'internet-gateway') {
    const withoutIp = instances.filter((i) => !i.publicIp);
    if (withoutIp.length === 0) return undefined;
    // Without a public IP the internet is out of reach, but a private cluster does not need it.
    if (privateAccess()?.kind === 'complete') return undefined;
    const ids = withoutIp.map((i) => i.instanceId);
    return {
      code: 'NO_PUBLIC_IP',
      severity: 'critical',
      resourceId: subnetId,
      ...base,
      instanceIds: ids,
      message: `${which} sends ${DEFAULT_ROUTE} to internet gateway ${defaultRoute.target.id}, but ${ids.join(', ')} ha${ids.length === 1 ? 's' : 've'} no public IP, so the traffic cannot leave the VPC.`,
      fix: [
        `# Either give new instances in ${subnetId} a public IP, then replace the unjoined ones:`,
        `aws ec2 modify-subnet-attribute --subnet-id ${subnetId} --map-public-ip-on-launch --region ${region}`,
        '# or move the nodegroup to private subnets whose default route goes to a NAT gateway.',
      ].join('\n'),
    };
  }
  return undefined;
}

function routeFix(
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
      : `# No available NAT gateway in ${zone ?? 'the subnet zone'}: ${nat.natGateway.natGatewayId} is in another zone, so traffic crosses zones.\n`;
    return `${crossZone}${command(nat.natGateway.natGatewayId)}`;
  }
  const publicSubnet = publicSubnetFor(network, zone);
  return [
    `# No available NAT gateway in ${network.vpcId}: create one in a public subnet${zone ? ` of ${zone}` : ''}, then route to it:`,
    `aws ec2 allocate-address --domain vpc --region ${region}`,
    `aws ec2 create-nat-gateway --subnet-id ${publicSubnet ?? '<public-subnet-id>'} --allocation-id <eipalloc-id> --region ${region}`,
    `aws ec2 wait nat-gateway-available --nat-gateway-ids <nat-gateway-id> --region ${region}`,
    command('<nat-gateway-id>'),
  ].join('\n');
}

/** A subnet whose default route goes to an internet gateway, same zone first: where a NAT gateway belongs. */
function publicSubnetFor(network: NetworkSnapshot, zone: string | undefined): string | undefined {
  const isPublic = (subnetId: string) => {
    const route = findDefaultRoute(effectiveRouteTable(network, subnetId)?.table.routes ?? []);
    return route?.target.kind === 'internet-gateway' && route.state === 'active';
  };
  const publicSubnets = network.subnets.filter((s) => isPublic(s.subnetId));
  return (publicSubnets.find((s) => s.availabilityZone === zone) ?? publicSubnets[0])?.subnetId;
}

function mainTableWarning(source: 'explicit' | 'main'): string {
  return source === 'main'
    ? ' Changing the main route table affects every subnet of the VPC without an explicit association; consider giving this subnet its own route table.'
    : '';
}

function groupBySubnet(instances: Instance[]): Map<string, Instance[]> {
  const groups = new Map<string, Instance[]>();
  for (const instance of instances) {
    if (!instance.subnetId) continue;
    const group = groups.get(instance.subnetId) ?? [];
    group.push(instance);
    groups.set(instance.subnetId, group);
  }
  return groups;
}
