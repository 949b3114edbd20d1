import { describe, expect, it } from 'vitest';
import { diagnoseNetwork, subnetsOf } from '../../../functions/core/diagnose/diagnoseNetwork.js';
import type { Cluster, NetworkSnapshot } from '../../../functions/core/model/types.js';
import {
  IGW,
  instance,
  NEW_SUBNET,
  PRIVATE_SUBNET,
  route,
  seedNetwork,
  withNewSubnetRoutes,
} from '../../support/factories.js';
import {
  CLUSTER_SG,
  fullNetwork,
  networkAcl,
  nodeEndpoints,
  openAcl,
  privateCluster,
  publicCluster,
  REGION,
  securityGroup,
} from '../../support/networkFactories.js';

const unjoined = instance({ securityGroupIds: [CLUSTER_SG] });

function diagnose(cluster: Cluster, network: NetworkSnapshot, subnets = subnetsOf([unjoined])) {
  return diagnoseNetwork({ region: REGION, cluster, network, subnets }).map((f) => f.code);
}

/** Everything broken at once in the new subnet: no route, DNS off, closed ACL, closed group, narrow CIDRs. */
function brokenEverywhere(): NetworkSnapshot {
  return fullNetwork({
    enableDnsSupport: false,
    networkAcls: [networkAcl('acl-0closed', [NEW_SUBNET, PRIVATE_SUBNET], [])],
    securityGroups: [securityGroup(CLUSTER_SG, { egress: [] })],
  });
}

describe('diagnoseNetwork', () => {
  it('finds only the seed cause on the seed with every part read', () => {
    expect(diagnose(publicCluster(), fullNetwork())).toEqual(['NO_DEFAULT_ROUTE']);
  });

  it('is clean for a private cluster whose VPC has every endpoint, DNS, an open ACL and group', () => {
    expect(diagnose(privateCluster(), fullNetwork({ vpcEndpoints: nodeEndpoints() }))).toEqual([]);
  });

  it('lists causes in order: routing, DNS, endpoint access, ACLs, groups', () => {
    const network = brokenEverywhere();
    const cluster = publicCluster({ publicAccessCidrs: ['198.51.100.0/24'] });
    const subnets = [
      { subnetId: NEW_SUBNET, instances: [unjoined] },
      {
        subnetId: PRIVATE_SUBNET,
        instances: [
          instance({ instanceId: 'i-0b', subnetId: PRIVATE_SUBNET, securityGroupIds: [CLUSTER_SG] }),
        ],
      },
    ];
    expect(diagnose(cluster, network, subnets)).toEqual([
      'NO_DEFAULT_ROUTE',
      'VPC_DNS_DISABLED',
      'ENDPOINT_ACCESS_EXCLUDES_NODES',
      'NACL_BLOCKS_EGRESS',
      'NACL_BLOCKS_EGRESS',
      'SECURITY_GROUP_BLOCKS_EGRESS',
      'SECURITY_GROUP_BLOCKS_EGRESS',
    ]);
  });

  it('at preflight (no instances) skips what needs an instance: security groups, public IPs', () => {
    const network = withNewSubnetRoutes(brokenEverywhere(), [
      route('0.0.0.0/0', { kind: 'internet-gateway', id: IGW }),
    ]);
    expect(diagnose(publicCluster(), network, [{ subnetId: NEW_SUBNET, instances: [] }])).toEqual([
      'VPC_DNS_DISABLED',
      'NACL_BLOCKS_EGRESS',
    ]);
  });

  it('at preflight reports a static routing fault of a nodegroup subnet', () => {
    const findings = diagnoseNetwork({
      region: REGION,
      cluster: publicCluster(),
      network: fullNetwork(),
      subnets: [{ subnetId: NEW_SUBNET, instances: [] }],
    });
    expect(findings).toEqual([
      expect.objectContaining({ code: 'NO_DEFAULT_ROUTE', subnetId: NEW_SUBNET, instanceIds: [] }),
    ]);
  });

  it('on a small snapshot (no endpoints, ACLs, groups or DNS read) is the routing diagnosis alone', () => {
    expect(diagnose(privateCluster(), seedNetwork())).toEqual(['NO_DEFAULT_ROUTE']);
    expect(
      diagnose(privateCluster(), {
        ...seedNetwork(),
        networkAcls: [networkAcl('acl-0closed', [NEW_SUBNET], [])],
      }),
    ).toEqual(['NO_DEFAULT_ROUTE']);
  });

  it('reports MISSING_VPC_ENDPOINTS, never NO_DEFAULT_ROUTE, for a private cluster short of endpoints', () => {
    expect(diagnose(privateCluster(), fullNetwork())).toEqual(['MISSING_VPC_ENDPOINTS']);
  });

  it('judges a subnet given twice once, with all its instances', () => {
    const second = instance({ instanceId: 'i-0second', securityGroupIds: [CLUSTER_SG] });
    const findings = diagnoseNetwork({
      region: REGION,
      cluster: publicCluster(),
      network: fullNetwork(),
      subnets: [
        { subnetId: NEW_SUBNET, instances: [unjoined] },
        { subnetId: NEW_SUBNET, instances: [second, unjoined] },
      ],
    });
    expect(findings).toHaveLength(1);
    expect(findings[0]?.instanceIds).toEqual(['i-0a1b2c3d4e5f60718', 'i-0second']);
  });

  it('subnetsOf groups instances by subnet and drops those without one', () => {
    const a = instance({ instanceId: 'i-a' });
    const b = instance({ instanceId: 'i-b', subnetId: PRIVATE_SUBNET });
    const c = instance({ instanceId: 'i-c' });
    const d = instance({ instanceId: 'i-d', subnetId: undefined });
    expect(subnetsOf([a, b, c, d])).toEqual([
      { subnetId: NEW_SUBNET, instances: [a, c] },
      { subnetId: PRIVATE_SUBNET, instances: [b] },
    ]);
  });

  it('lets a healthy twin of each network cause through together', () => {
    const network = fullNetwork({
      networkAcls: [openAcl('acl-0open', [NEW_SUBNET, PRIVATE_SUBNET])],
    });
    const cluster = publicCluster({ publicAccessCidrs: ['203.0.113.0/24'] });
    const onPrivate = instance({ subnetId: PRIVATE_SUBNET, securityGroupIds: [CLUSTER_SG] });
    expect(diagnose(cluster, network, subnetsOf([onPrivate]))).toEqual([]);
  });
});
