import { describe, expect, it } from 'vitest';
import { diagnosePrivateAccess } from '../../../functions/core/diagnose/diagnosePrivateAccess.js';
import { effectiveRouteTable } from '../../../functions/core/diagnose/effectiveRouteTable.js';
import type { Cluster, Finding, Instance, NetworkSnapshot } from '../../../functions/core/model/types.js';
import { planRemediation } from '../../../functions/core/remediate/planRemediation.js';
import { diagnoseRouting } from '../../support/diagnoseRouting.js';
import {
  IGW,
  instance,
  NAT,
  NEW_SUBNET,
  nodegroup,
  route,
  subnet,
  withNewSubnetRoutes,
} from '../../support/factories.js';
import {
  CLUSTER_SG,
  ENDPOINT_SG,
  fullNetwork,
  https,
  interfaceEndpoint,
  NEW_SUBNET_CIDR,
  NEW_TABLE,
  nodeEndpoints,
  privateCluster,
  publicCluster,
  REGION,
  s3Gateway,
  securityGroup,
} from '../../support/networkFactories.js';

const region = REGION;

/** The routing verdict on the new subnet (only the local route) for a cluster and its VPC endpoints. */
function judge(cluster: Cluster, network: NetworkSnapshot, instances: Instance[] = [instance()]): Finding[] {
  return diagnoseRouting({ region, network, instances, cluster });
}

function withEndpoints(endpoints = nodeEndpoints(), extra: Partial<NetworkSnapshot> = {}): NetworkSnapshot {
  return fullNetwork({ vpcEndpoints: endpoints, ...extra });
}

function without(service: string) {
  return nodeEndpoints().filter((e) => !e.serviceName.endsWith(`.${service}`));
}

describe('private endpoint access: a subnet without a default route', () => {
  it('is valid when the cluster has private access and the VPC has every endpoint nodes need', () => {
    expect(judge(privateCluster(), withEndpoints())).toEqual([]);
  });

  it('is valid at preflight too, with no instance in the subnet', () => {
    const network = withEndpoints();
    expect(
      diagnoseRouting({ region, network, instances: [], subnetIds: [NEW_SUBNET], cluster: privateCluster() }),
    ).toEqual([]);
  });

  it('is valid with public and private access both on', () => {
    expect(
      judge(
        privateCluster({ endpointPublicAccess: true, publicAccessCidrs: ['0.0.0.0/0'] }),
        withEndpoints(),
      ),
    ).toEqual([]);
  });

  it('says MISSING_VPC_ENDPOINTS, not NO_DEFAULT_ROUTE, naming every missing service with its create command', () => {
    const findings = judge(privateCluster(), fullNetwork());

    expect(findings).toHaveLength(1);
    const [finding] = findings;
    expect(finding).toMatchObject({
      code: 'MISSING_VPC_ENDPOINTS',
      severity: 'critical',
      resourceId: fullNetwork().vpcId,
      subnetId: NEW_SUBNET,
      routeTableId: NEW_TABLE,
      instanceIds: ['i-0a1b2c3d4e5f60718'],
    });
    expect(finding?.message).toContain('Missing or unusable: ec2, ecr.api, ecr.dkr, sts, s3.');
    const vpc = fullNetwork().vpcId;
    for (const service of ['ec2', 'ecr.api', 'ecr.dkr', 'sts']) {
      expect(finding?.fix).toContain(
        `aws ec2 create-vpc-endpoint --vpc-id ${vpc} --service-name com.amazonaws.us-west-2.${service} --vpc-endpoint-type Interface --subnet-ids ${NEW_SUBNET} --security-group-ids ${CLUSTER_SG} --private-dns-enabled --region us-west-2`,
      );
    }
    expect(finding?.fix).toContain(
      `aws ec2 create-vpc-endpoint --vpc-id ${vpc} --service-name com.amazonaws.us-west-2.s3 --vpc-endpoint-type Gateway --route-table-ids ${NEW_TABLE} --region us-west-2`,
    );
    // The alternative for a person; remediation never acts on this code.
    expect(finding?.fix).toContain(`# Or, if nodes in ${NEW_SUBNET} may reach the internet`);
  });

  it('names only what is missing', () => {
    const [finding] = judge(privateCluster(), withEndpoints(without('ecr.dkr')));
    expect(finding?.code).toBe('MISSING_VPC_ENDPOINTS');
    expect(finding?.message).toContain('Missing or unusable: ecr.dkr.');
    expect(finding?.fix.split('\n').filter((l) => l.startsWith('aws ec2 create-vpc-endpoint'))).toHaveLength(
      1,
    );
  });

  it('uses a placeholder for the security group when the cluster security group is unknown', () => {
    const [finding] = judge(
      privateCluster({ clusterSecurityGroupId: undefined }),
      withEndpoints(without('sts')),
    );
    expect(finding?.fix).toContain('--security-group-ids <security-group-allowing-tcp-443-from-the-nodes>');
  });

  it('reports an interface endpoint with private DNS off, and how to turn it on', () => {
    const endpoints = nodeEndpoints().map((e) =>
      e.serviceName.endsWith('.ecr.api') ? { ...e, privateDnsEnabled: false } : e,
    );
    const [finding] = judge(privateCluster(), withEndpoints(endpoints));
    const id = interfaceEndpoint('ecr.api').vpcEndpointId;
    expect(finding?.message).toContain(`ecr.api (${id} has private DNS off`);
    expect(finding?.fix).toBe(
      `aws ec2 modify-vpc-endpoint --vpc-endpoint-id ${id} --private-dns-enabled --region us-west-2\n` +
        `# Or, if nodes in ${NEW_SUBNET} may reach the internet, route it through a NAT gateway instead:\n` +
        `aws ec2 create-route --route-table-id ${NEW_TABLE} --destination-cidr-block 0.0.0.0/0 --nat-gateway-id ${NAT} --region us-west-2`,
    );
  });

  it('reports an endpoint that is not available yet, or has failed', () => {
    const pending = nodeEndpoints().map((e) =>
      e.serviceName.endsWith('.sts') ? { ...e, state: 'pending' } : e,
    );
    expect(judge(privateCluster(), withEndpoints(pending))[0]?.message).toContain('is pending');
    const failed = nodeEndpoints().map((e) =>
      e.serviceName.endsWith('.sts') ? { ...e, state: 'failed' } : e,
    );
    const [finding] = judge(privateCluster(), withEndpoints(failed));
    expect(finding?.message).toContain('is failed');
    expect(finding?.fix).toContain(
      '--service-name com.amazonaws.us-west-2.sts --vpc-endpoint-type Interface',
    );
  });

  it('is satisfied by a working endpoint when another one of the same service is broken', () => {
    const endpoints = [
      ...nodeEndpoints(),
      interfaceEndpoint('ec2', { vpcEndpointId: 'vpce-0broken', state: 'failed' }),
    ];
    expect(judge(privateCluster(), withEndpoints(endpoints))).toEqual([]);
  });

  it('reports an interface endpoint without network interfaces', () => {
    const endpoints = nodeEndpoints().map((e) =>
      e.serviceName.endsWith('.ec2') ? { ...e, subnetIds: [] } : e,
    );
    const [finding] = judge(privateCluster(), withEndpoints(endpoints));
    expect(finding?.message).toContain('has no network interface in any subnet');
    expect(finding?.fix).toContain(`--add-subnet-ids ${NEW_SUBNET}`);
  });

  it('accepts an endpoint whose interfaces are in another zone of the VPC: reachable over the local route', () => {
    const network = withEndpoints(
      nodeEndpoints().map((e) => (e.type === 'Interface' ? { ...e, subnetIds: ['subnet-0zoneb'] } : e)),
    );
    network.subnets.push(subnet('subnet-0zoneb', 'us-west-2b', '10.42.64.0/19'));
    expect(judge(privateCluster(), network)).toEqual([]);
  });

  describe('endpoint security groups', () => {
    const closed = securityGroup(ENDPOINT_SG, { ingress: [https({ cidrs: ['10.42.0.0/19'] })] });
    const groups = (...extra: ReturnType<typeof securityGroup>[]) => [
      ...(fullNetwork().securityGroups ?? []).filter((g) => g.groupId !== ENDPOINT_SG),
      ...extra,
    ];

    it('reports endpoints whose groups do not admit HTTPS from the node subnet, with the rule to add', () => {
      const [finding] = judge(
        privateCluster(),
        withEndpoints(nodeEndpoints(), { securityGroups: groups(closed) }),
      );
      expect(finding?.code).toBe('MISSING_VPC_ENDPOINTS');
      expect(finding?.message).toContain(`do not allow TCP 443 from ${NEW_SUBNET_CIDR}`);
      expect(finding?.message).toContain('Missing or unusable: ec2, ecr.api, ecr.dkr, sts.');
      expect(finding?.fix).toContain(
        `aws ec2 authorize-security-group-ingress --group-id ${ENDPOINT_SG} --protocol tcp --port 443 --cidr ${NEW_SUBNET_CIDR} --region us-west-2`,
      );
    });

    it('accepts a rule that admits the nodes by their security group', () => {
      const bySg = securityGroup(ENDPOINT_SG, { ingress: [https({ cidrs: [], groupIds: [CLUSTER_SG] })] });
      const network = withEndpoints(nodeEndpoints(), { securityGroups: groups(bySg) });
      expect(judge(privateCluster(), network, [instance({ securityGroupIds: [CLUSTER_SG] })])).toEqual([]);
      // Nodes with other groups are not admitted by it.
      expect(judge(privateCluster(), network, [instance({ securityGroupIds: ['sg-0other'] })])[0]?.code).toBe(
        'MISSING_VPC_ENDPOINTS',
      );
    });

    it('accepts all-traffic rules and rules from a wider block', () => {
      for (const ingress of [
        [https({ cidrs: ['10.0.0.0/8'] })],
        [https({ protocol: '-1', fromPort: undefined, toPort: undefined })],
      ]) {
        const sg = securityGroup(ENDPOINT_SG, { ingress });
        expect(
          judge(privateCluster(), withEndpoints(nodeEndpoints(), { securityGroups: groups(sg) })),
        ).toEqual([]);
      }
    });

    it('treats groups it cannot evaluate as admitting: not in the snapshot, no groups read, nodes unknown', () => {
      expect(judge(privateCluster(), withEndpoints(nodeEndpoints(), { securityGroups: groups() }))).toEqual(
        [],
      );
      expect(judge(privateCluster(), withEndpoints(nodeEndpoints(), { securityGroups: undefined }))).toEqual(
        [],
      );
      const byOtherSg = securityGroup(ENDPOINT_SG, {
        ingress: [https({ cidrs: [], groupIds: ['sg-0whoknows'] })],
      });
      const network = withEndpoints(nodeEndpoints(), { securityGroups: groups(byOtherSg) });
      // At preflight the nodes' groups are not known yet.
      expect(
        diagnoseRouting({
          region,
          network,
          instances: [],
          subnetIds: [NEW_SUBNET],
          cluster: privateCluster(),
        }),
      ).toEqual([]);
    });
  });

  describe('the s3 gateway endpoint', () => {
    it('must be on the subnet route table', () => {
      const endpoints = [...without('s3'), s3Gateway({ routeTableIds: ['rtb-0private000000000'] })];
      const [finding] = judge(privateCluster(), withEndpoints(endpoints));
      expect(finding?.message).toContain(
        `s3 (gateway endpoint vpce-0s3gateway000000001 is not on route table ${NEW_TABLE})`,
      );
      expect(finding?.fix).toContain(
        `aws ec2 modify-vpc-endpoint --vpc-endpoint-id vpce-0s3gateway000000001 --add-route-table-ids ${NEW_TABLE} --region us-west-2`,
      );
    });

    it('counts when the table routes the S3 prefix list to it, or an S3 interface endpoint has private DNS', () => {
      const network = withNewSubnetRoutes(
        withEndpoints([...without('s3'), s3Gateway({ routeTableIds: [] })]),
        [route('pl-68a54001', { kind: 'vpc-endpoint', id: 'vpce-0s3gateway000000001' })],
      );
      expect(judge(privateCluster(), network)).toEqual([]);
      expect(judge(privateCluster(), withEndpoints([...without('s3'), interfaceEndpoint('s3')]))).toEqual([]);
    });
  });

  it('asks for the extra services a cluster uses', () => {
    const findings = diagnoseRouting({
      region,
      network: withEndpoints(),
      instances: [instance()],
      cluster: privateCluster(),
      additionalEndpointServices: ['logs'],
    });
    expect(findings[0]?.message).toContain('Missing or unusable: logs.');
  });

  it('recognises service names of other partitions', () => {
    const endpoints = nodeEndpoints().map((e) => ({ ...e, serviceName: `cn.${e.serviceName}` }));
    expect(judge(privateCluster(), withEndpoints(endpoints))).toEqual([]);
  });
});

describe('private endpoint access does not apply', () => {
  it('to a public-only cluster: no default route stays NO_DEFAULT_ROUTE, endpoints or not', () => {
    expect(judge(publicCluster(), withEndpoints()).map((f) => f.code)).toEqual(['NO_DEFAULT_ROUTE']);
  });

  it('without the cluster (the routing diagnosis as before)', () => {
    expect(
      diagnoseRouting({ region, network: withEndpoints(), instances: [instance()] }).map((f) => f.code),
    ).toEqual(['NO_DEFAULT_ROUTE']);
  });

  it('when the endpoints were not read: NO_DEFAULT_ROUTE, saying the endpoints are unknown', () => {
    const [finding] = judge(privateCluster(), fullNetwork({ vpcEndpoints: undefined }));
    expect(finding?.code).toBe('NO_DEFAULT_ROUTE');
    expect(finding?.message).toContain('the VPC endpoints were not read');
    expect(
      diagnosePrivateAccess({
        region,
        cluster: privateCluster(),
        network: fullNetwork({ vpcEndpoints: undefined }),
        subnetId: NEW_SUBNET,
        routeTable: effectiveRouteTable(fullNetwork(), NEW_SUBNET) as NonNullable<
          ReturnType<typeof effectiveRouteTable>
        >,
        instances: [],
      }),
    ).toEqual({ kind: 'not-applicable', reason: 'endpoints-unknown' });
  });
});

describe('private endpoint access and the other routing verdicts', () => {
  function withIgwRoute(network: NetworkSnapshot): NetworkSnapshot {
    return withNewSubnetRoutes(network, [route('0.0.0.0/0', { kind: 'internet-gateway', id: IGW })]);
  }

  it('needs no public IP behind an internet gateway route when the endpoints are all there', () => {
    expect(judge(privateCluster(), withIgwRoute(withEndpoints()))).toEqual([]);
    expect(judge(privateCluster(), withIgwRoute(fullNetwork())).map((f) => f.code)).toEqual(['NO_PUBLIC_IP']);
  });

  it('still reports a blackhole default route: the subnet was meant to have egress', () => {
    const network = withNewSubnetRoutes(withEndpoints(), [
      route('0.0.0.0/0', { kind: 'nat-gateway', id: 'nat-0dead' }, 'blackhole'),
    ]);
    expect(judge(privateCluster(), network).map((f) => f.code)).toEqual(['BLACKHOLE_DEFAULT_ROUTE']);
  });
});

describe('remediation and MISSING_VPC_ENDPOINTS', () => {
  it('plans no route for it: the subnet never gets an internet route', () => {
    const network = fullNetwork();
    const instances = [instance({ autoScalingGroupName: 'eks-ng-asg' })];
    const findings = judge(privateCluster(), network, instances);
    expect(findings.map((f) => f.code)).toEqual(['MISSING_VPC_ENDPOINTS']);
    const actions = planRemediation({
      region,
      cluster: 'eks-workshop',
      nodegroup: nodegroup({ autoScalingGroupNames: ['eks-ng-asg'] }),
      verdicts: [
        {
          instanceId: 'i-0a1b2c3d4e5f60718',
          subnetId: NEW_SUBNET,
          joined: false,
          pending: false,
          state: 'running',
        },
      ],
      instances,
      findings,
      networks: [network],
      clusterSubnetIds: [NEW_SUBNET],
      // Every permission given: still no route, since the subnet is meant to stay private.
      allowMainRouteTable: true,
      allowSharedRouteTable: true,
      recycleStrategy: 'replace-unjoined',
      loopGuard: { allowed: true },
      secondsLeft: 900,
    });
    expect(actions.filter((a) => a.type === 'create-route' || a.type === 'replace-route')).toEqual([]);
    expect(actions.every((a) => a.status !== 'planned')).toBe(true);
    // The unjoined instance is reported, not recycled: no route was fixed for it.
    expect(actions).toMatchObject([
      {
        type: 'replace-instances',
        status: 'skipped',
        reasonCode: 'NO_ROUTE_FIX',
        instanceIds: ['i-0a1b2c3d4e5f60718'],
      },
    ]);
  });
});
