import { DEFAULT_ROUTE, describeRoute, targetId } from '../model/describeRoute.js';
import type { Cluster, Finding, Instance, NetworkSnapshot, Route } from '../model/types.js';
import { chooseNatGateway, type NatChoice } from './chooseNatGateway.js';
import { diagnosePrivateAccess, type PrivateAccessVerdict } from './diagnosePrivateAccess.js';
import { describeEffectiveTable, effectiveRouteTable } from './effectiveRouteTable.js';
import { analyseEgress, type DeadCause } from './egress.js';
import { routeFix } from './routeCommands.js';

export interface SubnetRoutingInput {
  region: string;
  network: NetworkSnapshot;
  subnetId: string;
  /** The subnet's instances to explain (unjoined and past the join window); none at preflight. */
  instances: Instance[];
  /**
   * With the cluster, a subnet without a default route is judged by private endpoint access: valid
   * when the VPC endpoints nodes need are there, MISSING_VPC_ENDPOINTS when some are not. Without
   * it, such a subnet is always NO_DEFAULT_ROUTE.
   */
  cluster?: Cluster;
  /** Interface endpoint services the cluster needs beyond ec2, ecr.api, ecr.dkr and sts. */
  additionalEndpointServices?: string[];
}

/**
 * Explains why nodes cannot leave a subnet: no default route, a dead one, or an internet gateway
 * route for instances without a public IP. Pure: everything comes from the snapshot. Default routes
 * to anything else (transit gateway, peering, firewall) are not judged: we cannot see past them, and
 * guessing would raise false alarms. Returns undefined when the subnet's routing lets nodes join.
 */
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
  const egress = analyseEgress(table, network);
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
  const nat = () => chooseNatGateway(network, zone, table.routeTableId).choice;
  // A critical finding about this table, naming the NAT gateway the fix would use.
  const tableFinding = (
    code: Finding['code'],
    choice: NatChoice | undefined,
    rest: Pick<Finding, 'message' | 'fix' | 'deadNatGatewayId'>,
  ) => ({
    code,
    severity: 'critical' as const,
    resourceId: table.routeTableId,
    ...base,
    ...(choice && { natGatewayId: choice.natGateway.natGatewayId }),
    ...rest,
  });
  switch (egress.kind) {
    // Egress of unknown kind is never called missing: the report shows the route, the plan refuses to write.
    case 'unknown':
      return undefined;
    case 'internet':
      return noPublicIp(input, egress.routes, which, base, privateAccess);
    case 'dead': {
      const choice = nat();
      const why = deadWords(egress.route, egress.cause);
      const natTarget = egress.route.target.kind === 'nat-gateway';
      return tableFinding('BLACKHOLE_DEFAULT_ROUTE', choice, {
        ...(egress.route.target.kind === 'nat-gateway' && { deadNatGatewayId: egress.route.target.id }),
        message: `${which} sends ${egress.route.destination} nowhere: ${why}. Nodes in ${subnetId} cannot reach the EKS API, ECR or STS.${mainTableWarning(source)}`,
        fix: natTarget
          ? routeFix('replace-route', region, network, table.routeTableId, zone, choice)
          : [
              `# ${describeRoute(egress.route)} goes to a ${egress.route.target.kind} (a firewall, transit or peering path): restore that target,`,
              `aws ec2 describe-route-tables --route-table-ids ${table.routeTableId} --region ${region}`,
              '# or, if this subnet should leave through a NAT gateway instead:',
              routeFix('replace-route', region, network, table.routeTableId, zone, choice),
            ].join('\n'),
      });
    }
    case 'ipv6-only': {
      // Without internet egress, private endpoint access may be enough (or lack only some endpoints).
      const access = privateAccess();
      if (access && access.kind !== 'not-applicable')
        return access.kind === 'incomplete' ? access.finding : undefined;
      return tableFinding('IPV6_ONLY_EGRESS', undefined, {
        message: `${which} has no IPv4 way out: its only egress is ${describeRoute(egress.route)}. Nodes in ${subnetId} reach the EKS API, ECR and STS over IPv4 unless they use dual-stack endpoints, so they cannot join. Routes: ${routes}. No IPv4 route is written automatically: whether IPv4 egress belongs here is a design decision.${mainTableWarning(source)}`,
        fix: [
          '# If the nodes should have IPv4 egress, route it through a NAT gateway:',
          routeFix('create-route', region, network, table.routeTableId, zone, nat()),
          '# or give the cluster and its nodes dual-stack (IPv6) endpoints for the EKS API, ECR and STS.',
        ].join('\n'),
      });
    }
    case 'none': {
      // Without internet egress, private endpoint access may be enough (or lack only some endpoints).
      const access = privateAccess();
      if (access && access.kind !== 'not-applicable')
        return access.kind === 'incomplete' ? access.finding : undefined;
      const unknownEndpoints =
        access?.reason === 'endpoints-unknown'
          ? ` Cluster ${cluster?.name} has private endpoint access, but the VPC endpoints were not read: if nodes here are meant to use VPC endpoints instead of the internet, create those rather than this route.`
          : '';
      const choice = nat();
      return tableFinding('NO_DEFAULT_ROUTE', choice, {
        message: `${which} has no ${DEFAULT_ROUTE} route, so nodes in ${subnetId} cannot reach the EKS API, ECR or STS. Routes: ${routes}.${mainTableWarning(source)}${unknownEndpoints}`,
        fix: routeFix('create-route', region, network, table.routeTableId, zone, choice),
      });
    }
  }
}

/** An internet gateway route is no way out for instances without a public IP (unless a private cluster needs none). */
function noPublicIp(
  input: SubnetRoutingInput,
  routes: Route[],
  which: string,
  base: Pick<Finding, 'subnetId' | 'instanceIds' | 'routeTableId' | 'routeTableSource'>,
  privateAccess: () => PrivateAccessVerdict | undefined,
): Finding | undefined {
  const { region, subnetId, instances } = input;
  const gateway = routes.find((r) => r.target.kind === 'internet-gateway');
  if (!gateway || routes.some((r) => r.target.kind !== 'internet-gateway')) return undefined;
  const withoutIp = instances.filter((i) => !i.publicIp);
  if (withoutIp.length === 0) return undefined;
  if (privateAccess()?.kind === 'complete') return undefined;
  const ids = withoutIp.map((i) => i.instanceId);
  return {
    code: 'NO_PUBLIC_IP',
    severity: 'critical',
    resourceId: subnetId,
    ...base,
    instanceIds: ids,
    message: `${which} sends ${gateway.destination} to internet gateway ${targetId(gateway.target)}, but ${ids.join(', ')} ha${ids.length === 1 ? 's' : 've'} no public IP, so the traffic cannot leave the VPC.`,
    fix: [
      `# Either give new instances in ${subnetId} a public IP, then replace the unjoined ones:`,
      `aws ec2 modify-subnet-attribute --subnet-id ${subnetId} --map-public-ip-on-launch --region ${region}`,
      '# or move the nodegroup to private subnets whose default route goes to a NAT gateway.',
    ].join('\n'),
  };
}

/** Why a route that would carry internet traffic carries nothing, as a person reads it. */
function deadWords(route: Route, cause: DeadCause): string {
  switch (cause.kind) {
    case 'blackhole':
      return `the route is a blackhole (its target ${describeRoute(route)} no longer exists)`;
    case 'nat-gone':
      return `its NAT gateway ${cause.natGatewayId} does not exist any more`;
    case 'nat-state':
      return `its NAT gateway ${cause.natGatewayId} is ${cause.state}`;
  }
}

function mainTableWarning(source: 'explicit' | 'main'): string {
  return source === 'main'
    ? ' Changing the main route table affects every subnet of the VPC without an explicit association; consider giving this subnet its own route table.'
    : '';
}
