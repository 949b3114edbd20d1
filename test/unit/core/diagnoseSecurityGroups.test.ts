import { describe, expect, it } from 'vitest';
import { diagnoseSecurityGroups } from '../../../functions/core/diagnose/diagnoseSecurityGroups.js';
import type {
  Cluster,
  Instance,
  NetworkSnapshot,
  SecurityGroupRule,
} from '../../../functions/core/model/types.js';
import { instance, NEW_SUBNET, PRIVATE_SUBNET } from '../../support/factories.js';
import {
  CLUSTER_SG,
  fullNetwork,
  https,
  nodeEndpoints,
  privateCluster,
  publicCluster,
  REGION,
  rule,
  securityGroup,
} from '../../support/networkFactories.js';

const NODE_SG = 'sg-0n0de000000000001';

function withNodeGroup(egress: SecurityGroupRule[], extra: Partial<NetworkSnapshot> = {}): NetworkSnapshot {
  const network = fullNetwork(extra);
  network.securityGroups = [...(network.securityGroups ?? []), securityGroup(NODE_SG, { egress })];
  return network;
}

function diagnose(
  network: NetworkSnapshot,
  cluster: Cluster = publicCluster(),
  instances: Instance[] = [instance({ subnetId: PRIVATE_SUBNET, securityGroupIds: [NODE_SG] })],
  subnetId = PRIVATE_SUBNET,
) {
  return diagnoseSecurityGroups({ region: REGION, cluster, network, subnetId, instances });
}

describe('SECURITY_GROUP_BLOCKS_EGRESS', () => {
  it('reports an instance whose only group has no egress rule, with the rule to add', () => {
    const findings = diagnose(withNodeGroup([]));
    expect(findings).toEqual([
      expect.objectContaining({
        code: 'SECURITY_GROUP_BLOCKS_EGRESS',
        severity: 'critical',
        resourceId: NODE_SG,
        subnetId: PRIVATE_SUBNET,
        instanceIds: ['i-0a1b2c3d4e5f60718'],
        fix: `aws ec2 authorize-security-group-egress --group-id ${NODE_SG} --ip-permissions IpProtocol=tcp,FromPort=443,ToPort=443,IpRanges=[{CidrIp=0.0.0.0/0}] --region us-west-2`,
      }),
    ]);
    expect(findings[0]?.message).toContain(`${NODE_SG}: none`);
  });

  it('is silent for the healthy twin: the default all-traffic egress rule', () => {
    expect(diagnose(withNodeGroup([rule()]))).toEqual([]);
  });

  it('accepts TCP 443 or a TCP range holding it, and refuses other ports and protocols', () => {
    expect(diagnose(withNodeGroup([https()]))).toEqual([]);
    expect(diagnose(withNodeGroup([https({ fromPort: 0, toPort: 65535 })]))).toEqual([]);
    expect(diagnose(withNodeGroup([https({ fromPort: 80, toPort: 80 })]))).toHaveLength(1);
    expect(diagnose(withNodeGroup([rule({ protocol: 'udp', fromPort: 443, toPort: 443 })]))).toHaveLength(1);
  });

  it('reports HTTPS allowed only inside the VPC when the endpoint is public only', () => {
    expect(diagnose(withNodeGroup([https({ cidrs: ['10.42.0.0/16'] })]))[0]?.message).toContain(
      'tcp 443 → 10.42.0.0/16',
    );
  });

  it('takes any rule that may reach the destination as allowing: a public block, a prefix list, IPv6', () => {
    for (const egress of [
      [https({ cidrs: ['52.0.0.0/8'] })],
      [https({ cidrs: [], prefixListIds: ['pl-0123'] })],
      [https({ cidrs: [], ipv6Cidrs: ['::/0'] })],
    ]) {
      expect(diagnose(withNodeGroup(egress))).toEqual([]);
    }
  });

  it('is satisfied by any one group of the instance; names the cluster security group in the fix when it has it', () => {
    const network = withNodeGroup([]);
    expect(
      diagnose(network, publicCluster(), [
        instance({ subnetId: PRIVATE_SUBNET, securityGroupIds: [NODE_SG, CLUSTER_SG] }),
      ]),
    ).toEqual([]);
    network.securityGroups = network.securityGroups?.map((g) =>
      g.groupId === CLUSTER_SG ? { ...g, egress: [] } : g,
    );
    const [finding] = diagnose(network, publicCluster(), [
      instance({ subnetId: PRIVATE_SUBNET, securityGroupIds: [NODE_SG, CLUSTER_SG] }),
    ]);
    expect(finding?.resourceId).toBe(CLUSTER_SG);
    expect(finding?.fix).toContain(`--group-id ${CLUSTER_SG}`);
  });

  it('gives one finding per distinct set of groups', () => {
    const network = withNodeGroup([]);
    network.securityGroups?.push(securityGroup('sg-0other', { egress: [] }));
    const findings = diagnose(network, publicCluster(), [
      instance({ instanceId: 'i-01', subnetId: PRIVATE_SUBNET, securityGroupIds: [NODE_SG] }),
      instance({ instanceId: 'i-02', subnetId: PRIVATE_SUBNET, securityGroupIds: [NODE_SG] }),
      instance({ instanceId: 'i-03', subnetId: PRIVATE_SUBNET, securityGroupIds: ['sg-0other'] }),
    ]);
    expect(findings.map((f) => f.instanceIds)).toEqual([['i-01', 'i-02'], ['i-03']]);
  });

  describe('with private endpoint access', () => {
    it('accepts HTTPS to the VPC, or to a security group, for a subnet without internet route', () => {
      const extra = { vpcEndpoints: nodeEndpoints() };
      const onNew = (egress: SecurityGroupRule[]) =>
        diagnose(
          withNodeGroup(egress, extra),
          privateCluster(),
          [instance({ securityGroupIds: [NODE_SG] })],
          NEW_SUBNET,
        );
      expect(onNew([https({ cidrs: ['10.42.0.0/16'] })])).toEqual([]);
      expect(onNew([https({ cidrs: [], groupIds: [CLUSTER_SG] })])).toEqual([]);
      const [finding] = onNew([https({ cidrs: ['52.0.0.0/8'] })]);
      expect(finding?.message).toContain('out to the VPC (10.42.0.0/16)');
      expect(finding?.fix).toContain('IpRanges=[{CidrIp=10.42.0.0/16}]');
    });

    it('accepts either destination for a subnet with a NAT route', () => {
      expect(diagnose(withNodeGroup([https({ cidrs: ['10.42.0.0/16'] })]), privateCluster())).toEqual([]);
      expect(diagnose(withNodeGroup([https({ cidrs: ['52.0.0.0/8'] })]), privateCluster())).toEqual([]);
    });
  });

  it('judges nothing it cannot see: no instances (preflight), no groups read, a group not in the snapshot, no group ids', () => {
    const network = withNodeGroup([]);
    expect(diagnose(network, publicCluster(), [])).toEqual([]);
    expect(diagnose(fullNetwork({ securityGroups: undefined }))).toEqual([]);
    expect(
      diagnose(network, publicCluster(), [
        instance({ subnetId: PRIVATE_SUBNET, securityGroupIds: [NODE_SG, 'sg-0gone'] }),
      ]),
    ).toEqual([]);
    expect(diagnose(network, publicCluster(), [instance({ subnetId: PRIVATE_SUBNET })])).toEqual([]);
    expect(diagnose(withNodeGroup([], { cidrBlocks: undefined }), privateCluster())).toEqual([]);
  });
});
