import type { Cluster, Finding, NetworkSnapshot } from '../model/types.js';

export interface VpcDnsInput {
  region: string;
  cluster: Cluster;
  network: NetworkSnapshot;
}

/**
 * VPC_DNS_DISABLED: without DNS support nodes resolve neither the cluster endpoint nor ECR or STS
 * through the Amazon DNS server; with private endpoint access, the private endpoint and the private
 * DNS names of interface endpoints also need DNS hostnames. An attribute not in the snapshot is not
 * judged.
 */
export function diagnoseVpcDns({ region, cluster, network }: VpcDnsInput): Finding | undefined {
  const vpcId = network.vpcId;
  const supportOff = network.enableDnsSupport === false;
  const hostnamesOff = network.enableDnsHostnames === false && cluster.endpointPrivateAccess;
  if (!supportOff && !hostnamesOff) return undefined;
  const off = [
    supportOff && 'DNS support (enableDnsSupport)',
    hostnamesOff && 'DNS hostnames (enableDnsHostnames)',
  ]
    .filter((s): s is string => !!s)
    .join(' and ');
  const why = supportOff
    ? `nodes cannot resolve the cluster endpoint, ECR or STS through the Amazon-provided DNS server${cluster.endpointPrivateAccess ? '' : " (unless the VPC's DHCP options name DNS servers of your own)"}`
    : `cluster ${cluster.name} has private endpoint access, which (like the private DNS names of VPC endpoints) needs DNS hostnames: nodes resolve the endpoint to addresses they cannot use`;
  return {
    code: 'VPC_DNS_DISABLED',
    severity: 'critical',
    resourceId: vpcId,
    message: `VPC ${vpcId} has ${off} turned off, so ${why}.`,
    fix: [
      ...(supportOff
        ? [
            `aws ec2 modify-vpc-attribute --vpc-id ${vpcId} --enable-dns-support "{\\"Value\\":true}" --region ${region}`,
          ]
        : []),
      ...(hostnamesOff
        ? [
            `aws ec2 modify-vpc-attribute --vpc-id ${vpcId} --enable-dns-hostnames "{\\"Value\\":true}" --region ${region}`,
          ]
        : []),
    ].join('\n'),
  };
}
