import { describe, expect, it } from 'vitest';
import { diagnoseVpcDns } from '../../../functions/core/diagnose/diagnoseVpcDns.js';
import type { Cluster, NetworkSnapshot } from '../../../functions/core/model/types.js';
import { VPC } from '../../support/factories.js';
import { fullNetwork, privateCluster, publicCluster, REGION } from '../../support/networkFactories.js';

const SUPPORT = `aws ec2 modify-vpc-attribute --vpc-id ${VPC} --enable-dns-support "{\\"Value\\":true}" --region us-west-2`;
const HOSTNAMES = `aws ec2 modify-vpc-attribute --vpc-id ${VPC} --enable-dns-hostnames "{\\"Value\\":true}" --region us-west-2`;

function diagnose(cluster: Cluster, dns: Partial<NetworkSnapshot>) {
  return diagnoseVpcDns({ region: REGION, cluster, network: fullNetwork(dns) });
}

describe('VPC_DNS_DISABLED', () => {
  it('reports DNS support off, with the command to turn it on', () => {
    const finding = diagnose(publicCluster(), { enableDnsSupport: false });
    expect(finding).toMatchObject({
      code: 'VPC_DNS_DISABLED',
      severity: 'critical',
      resourceId: VPC,
      fix: SUPPORT,
    });
    expect(finding?.message).toContain('DNS support (enableDnsSupport) turned off');
  });

  it('is silent for the healthy twin: both on', () => {
    expect(diagnose(privateCluster(), { enableDnsSupport: true, enableDnsHostnames: true })).toBeUndefined();
  });

  it('reports DNS hostnames off only when the cluster has private endpoint access', () => {
    expect(diagnose(publicCluster(), { enableDnsHostnames: false })).toBeUndefined();
    const finding = diagnose(privateCluster(), { enableDnsHostnames: false });
    expect(finding?.fix).toBe(HOSTNAMES);
    expect(finding?.message).toContain('private endpoint access');
  });

  it('gives both commands, support first, when both are off for a private cluster', () => {
    const finding = diagnose(privateCluster(), { enableDnsSupport: false, enableDnsHostnames: false });
    expect(finding?.fix).toBe(`${SUPPORT}\n${HOSTNAMES}`);
  });

  it('judges nothing when the attributes were not read', () => {
    expect(
      diagnose(privateCluster(), { enableDnsSupport: undefined, enableDnsHostnames: undefined }),
    ).toBeUndefined();
  });
});
