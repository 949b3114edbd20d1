import {
  AuthorizeSecurityGroupEgressCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateNetworkAclCommand,
  CreateNetworkAclEntryCommand,
  CreateSecurityGroupCommand,
  CreateVpcEndpointCommand,
  DeleteVpcEndpointsCommand,
  DescribeNetworkAclsCommand,
  EC2Client,
  ModifyVpcAttributeCommand,
  ReplaceNetworkAclAssociationCommand,
  RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsAccountReader } from '../../functions/aws/AwsAccountReader.js';
import { type AwsClients, createAwsClients } from '../../functions/aws/clients.js';
import { diagnoseNetwork, subnetsOf } from '../../functions/core/diagnose/diagnoseNetwork.js';
import type { Finding, NetworkSnapshot } from '../../functions/core/model/types.js';
import { planRemediation } from '../../functions/core/remediate/planRemediation.js';
import {
  harnessClientConfig,
  type MotoServer,
  resetMoto,
  startMotoServer,
  TEST_REGION,
} from '../support/motoServer.js';
import {
  buildSeedAccount,
  SEED,
  type SeedAccount,
  type SeedNodegroupKey,
  type SeedOptions,
} from '../support/seedAccount.js';

/**
 * The network causes of nodes not joining, each built on moto through the real EC2 and EKS APIs next
 * to a healthy twin that must produce no finding. The account is read with the real AwsAccountReader
 * and judged with diagnoseNetwork, for the instances of a nodegroup (as for unjoined nodes) or for
 * its subnets alone (as at preflight). Where a twin is made by applying the fix the finding gives,
 * the test runs that fix's API call.
 */
let moto: MotoServer;
let ec2: EC2Client;

beforeAll(async () => {
  moto = await startMotoServer();
  ec2 = new EC2Client(harnessClientConfig(moto.endpoint));
});

afterAll(async () => {
  ec2?.destroy();
  await moto?.stop();
});

/** A fresh seed account: every describe block starts from a clean moto. */
async function seedWith(options: SeedOptions = {}): Promise<SeedAccount> {
  await resetMoto(moto.endpoint);
  return buildSeedAccount(moto.endpoint, options);
}

/** Clients as the tool builds them, pointed at moto. */
function toolClients(): AwsClients {
  const config = {
    endpoint: moto.endpoint,
    region: TEST_REGION,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing', sessionToken: 'testing' },
    maxAttempts: 2,
  };
  return createAwsClients(config);
}

interface Diagnosis {
  findings: Finding[];
  network: NetworkSnapshot;
}

/**
 * Reads the account as the check does (one reader, one network read per VPC) and diagnoses a
 * nodegroup's network: its instances, or with `preflight` its subnets with no instance.
 */
async function diagnose(seed: SeedAccount, key: SeedNodegroupKey, preflight = false): Promise<Diagnosis> {
  const reader = new AwsAccountReader(toolClients());
  const cluster = await reader.describeCluster(seed.clusterName);
  const nodegroup = await reader.describeNodegroup(seed.clusterName, SEED.nodegroupNames[key]);
  const network = await reader.readNetwork(cluster.vpcId ?? seed.vpcId);
  const subnets = preflight
    ? nodegroup.subnetIds.map((subnetId) => ({ subnetId, instances: [] }))
    : subnetsOf(await reader.describeGroupInstances(nodegroup.autoScalingGroupNames));
  return { findings: diagnoseNetwork({ region: cluster.region, cluster, network, subnets }), network };
}

async function codes(seed: SeedAccount, key: SeedNodegroupKey, preflight = false): Promise<string[]> {
  return (await diagnose(seed, key, preflight)).findings.map((f) => f.code);
}

/** Security-group permissions for TCP 443 with this CIDR block: from it as ingress, to it as egress. */
const tcp443 = (cidr: string) => [
  { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: cidr }] },
];

describe('the seed account, every part of the network read', () => {
  let seed: SeedAccount;
  beforeAll(async () => {
    seed = await seedWith();
  });

  it('reads CIDR blocks, DNS attributes, ACLs, security groups and the nodes’ groups from moto', async () => {
    const reader = new AwsAccountReader(toolClients());
    const cluster = await reader.describeCluster(seed.clusterName);
    const network = await reader.readNetwork(seed.vpcId);
    const instances = await reader.describeGroupInstances([seed.nodegroups.default.autoScalingGroupName]);
    expect(cluster.clusterSecurityGroupId).toBe(seed.clusterSecurityGroupId);
    expect(network).toMatchObject({
      cidrBlocks: [SEED.vpcCidr],
      enableDnsSupport: true,
      enableDnsHostnames: true,
    });
    expect(network.vpcEndpoints).toEqual([]);
    expect(network.networkAcls?.find((a) => a.isDefault)?.subnetIds).toContain(seed.nodegroups.new.subnetId);
    expect(network.securityGroups?.map((g) => g.groupId)).toContain(seed.clusterSecurityGroupId);
    expect(instances[0]?.securityGroupIds).toEqual([seed.clusterSecurityGroupId]);
  });

  it('finds only the seed cause: NO_DEFAULT_ROUTE for new_nodegroup_2, nothing for default', async () => {
    expect(await codes(seed, 'new')).toEqual(['NO_DEFAULT_ROUTE']);
    expect(await codes(seed, 'new', true)).toEqual(['NO_DEFAULT_ROUTE']);
    expect(await codes(seed, 'default')).toEqual([]);
  });

  describe('NACL_BLOCKS_EGRESS', () => {
    let aclId: string;
    let defaultAclId: string;

    /** Moves a subnet to another ACL, as ReplaceNetworkAclAssociation does in the console. */
    async function associate(subnetId: string, networkAclId: string) {
      const acls = await ec2.send(
        new DescribeNetworkAclsCommand({ Filters: [{ Name: 'association.subnet-id', Values: [subnetId] }] }),
      );
      const association = acls.NetworkAcls?.[0]?.Associations?.find((a) => a.SubnetId === subnetId);
      await ec2.send(
        new ReplaceNetworkAclAssociationCommand({
          AssociationId: association?.NetworkAclAssociationId,
          NetworkAclId: networkAclId,
        }),
      );
      return acls.NetworkAcls?.[0]?.NetworkAclId as string;
    }

    async function aclWith(entries: ConstructorParameters<typeof CreateNetworkAclEntryCommand>[0][]) {
      const created = await ec2.send(new CreateNetworkAclCommand({ VpcId: seed.vpcId }));
      const id = created.NetworkAcl?.NetworkAclId as string;
      for (const e of entries) await ec2.send(new CreateNetworkAclEntryCommand({ ...e, NetworkAclId: id }));
      return id;
    }

    const allowAll = (RuleNumber: number, Egress: boolean) => ({
      NetworkAclId: '',
      RuleNumber,
      Egress,
      Protocol: '-1',
      RuleAction: 'allow' as const,
      CidrBlock: '0.0.0.0/0',
    });

    /** Runs the create-network-acl-entry commands of a fix through the API. */
    async function applyAclFix(finding: Finding) {
      for (const line of finding.fix
        .split('\n')
        .filter((l) => l.startsWith('aws ec2 create-network-acl-entry'))) {
        const arg = (name: string) => line.match(new RegExp(`--${name} (\\S+)`))?.[1] as string;
        const [, from, to] = arg('port-range').match(/From=(\d+),To=(\d+)/) ?? [];
        await ec2.send(
          new CreateNetworkAclEntryCommand({
            NetworkAclId: arg('network-acl-id'),
            RuleNumber: Number(arg('rule-number')),
            Egress: line.includes(' --egress '),
            Protocol: arg('protocol'),
            PortRange: { From: Number(from), To: Number(to) },
            CidrBlock: arg('cidr-block'),
            RuleAction: 'allow',
          }),
        );
      }
    }

    it('fails: an ACL on the default subnet denies TCP 443 out before allowing everything', async () => {
      aclId = await aclWith([
        {
          NetworkAclId: '',
          RuleNumber: 100,
          Egress: true,
          Protocol: '6',
          PortRange: { From: 443, To: 443 },
          RuleAction: 'deny',
          CidrBlock: '0.0.0.0/0',
        },
        allowAll(200, true),
        allowAll(200, false),
      ]);
      defaultAclId = await associate(seed.nodegroups.default.subnetId, aclId);

      const { findings } = await diagnose(seed, 'default');

      expect(findings.map((f) => f.code)).toEqual(['NACL_BLOCKS_EGRESS']);
      expect(findings[0]).toMatchObject({ resourceId: aclId, subnetId: seed.nodegroups.default.subnetId });
      expect(findings[0]?.message).toContain('denied by rule 100 (deny TCP 443 to 0.0.0.0/0)');
      expect(findings[0]?.fix).toBe(
        `aws ec2 create-network-acl-entry --network-acl-id ${aclId} --rule-number 90 --egress --protocol tcp --port-range From=443,To=443 --cidr-block 0.0.0.0/0 --rule-action allow --region us-west-2`,
      );
      // Static: seen at preflight too.
      expect(await codes(seed, 'default', true)).toEqual(['NACL_BLOCKS_EGRESS']);
      await applyAclFix(findings[0] as Finding);
    });

    it('healthy twin: the same ACL with the fix applied (rule 90 allows 443 out)', async () => {
      expect(await codes(seed, 'default')).toEqual([]);
    });

    it('fails: an ACL that lets HTTPS out but no replies in', async () => {
      const stateless = await aclWith([
        allowAll(100, true),
        {
          NetworkAclId: '',
          RuleNumber: 100,
          Egress: false,
          Protocol: '6',
          PortRange: { From: 22, To: 22 },
          RuleAction: 'allow',
          CidrBlock: '0.0.0.0/0',
        },
      ]);
      await associate(seed.nodegroups.default.subnetId, stateless);

      const { findings } = await diagnose(seed, 'default');

      expect(findings.map((f) => f.code)).toEqual(['NACL_BLOCKS_EGRESS']);
      expect(findings[0]?.message).toContain(
        'the replies (TCP 1024-65535) from the internet are denied inbound',
      );
      expect(findings[0]?.fix).toContain('--ingress --protocol tcp --port-range From=1024,To=65535');
      await applyAclFix(findings[0] as Finding);
    });

    it('healthy twin: the replies allowed in on the ephemeral ports', async () => {
      expect(await codes(seed, 'default')).toEqual([]);
      await associate(seed.nodegroups.default.subnetId, defaultAclId);
    });
  });

  describe('SECURITY_GROUP_BLOCKS_EGRESS', () => {
    const everything = [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }];

    it('fails: the cluster security group on the nodes lost its egress rule', async () => {
      await ec2.send(
        new RevokeSecurityGroupEgressCommand({
          GroupId: seed.clusterSecurityGroupId,
          IpPermissions: everything,
        }),
      );

      const { findings } = await diagnose(seed, 'default');

      expect(findings.map((f) => f.code)).toEqual(['SECURITY_GROUP_BLOCKS_EGRESS']);
      expect(findings[0]).toMatchObject({
        resourceId: seed.clusterSecurityGroupId,
        instanceIds: seed.nodegroups.default.instanceIds,
      });
      expect(findings[0]?.fix).toContain(
        `aws ec2 authorize-security-group-egress --group-id ${seed.clusterSecurityGroupId} --ip-permissions IpProtocol=tcp,FromPort=443,ToPort=443,IpRanges=[{CidrIp=0.0.0.0/0}] --region us-west-2`,
      );
      // Needs instances: nothing at preflight.
      expect(await codes(seed, 'default', true)).toEqual([]);
    });

    it('healthy twin: the fix applied (TCP 443 out to 0.0.0.0/0)', async () => {
      await ec2.send(
        new AuthorizeSecurityGroupEgressCommand({
          GroupId: seed.clusterSecurityGroupId,
          IpPermissions: tcp443('0.0.0.0/0'),
        }),
      );
      expect(await codes(seed, 'default')).toEqual([]);
    });
  });

  describe('VPC_DNS_DISABLED', () => {
    it('fails: DNS support turned off', async () => {
      await ec2.send(
        new ModifyVpcAttributeCommand({ VpcId: seed.vpcId, EnableDnsSupport: { Value: false } }),
      );
      const { findings } = await diagnose(seed, 'default', true);
      expect(findings.map((f) => f.code)).toEqual(['VPC_DNS_DISABLED']);
      expect(findings[0]).toMatchObject({
        resourceId: seed.vpcId,
        fix: `aws ec2 modify-vpc-attribute --vpc-id ${seed.vpcId} --enable-dns-support "{\\"Value\\":true}" --region us-west-2`,
      });
    });

    it('healthy twin: DNS support back on; DNS hostnames off does not matter to a public-only endpoint', async () => {
      await ec2.send(new ModifyVpcAttributeCommand({ VpcId: seed.vpcId, EnableDnsSupport: { Value: true } }));
      await ec2.send(
        new ModifyVpcAttributeCommand({ VpcId: seed.vpcId, EnableDnsHostnames: { Value: false } }),
      );
      expect(await codes(seed, 'default')).toEqual([]);
      await ec2.send(
        new ModifyVpcAttributeCommand({ VpcId: seed.vpcId, EnableDnsHostnames: { Value: true } }),
      );
    });
  });
});

describe('ENDPOINT_ACCESS_EXCLUDES_NODES', () => {
  it('fails: a public-only endpoint whose publicAccessCidrs leave out the NAT gateway address', async () => {
    const seed = await seedWith({ publicAccessCidrs: ['198.51.100.0/24'] });
    const { findings } = await diagnose(seed, 'default');
    expect(findings.map((f) => f.code)).toEqual(['ENDPOINT_ACCESS_EXCLUDES_NODES']);
    expect(findings[0]?.message).toContain(`${seed.natPublicIp} (NAT gateway ${seed.natGatewayId}`);
    expect(findings[0]?.fix).toContain(
      `aws eks update-cluster-config --name eks-workshop --resources-vpc-config publicAccessCidrs=198.51.100.0/24,${seed.natPublicIp}/32 --region us-west-2`,
    );
    expect(await codes(seed, 'default', true)).toEqual(['ENDPOINT_ACCESS_EXCLUDES_NODES']);
  });

  it('healthy twin: the same CIDR list with the NAT gateway address added', async () => {
    const seed = await seedWith({ publicAccessCidrs: (ip) => ['198.51.100.0/24', `${ip}/32`] });
    expect(seed.natPublicIp).toBeDefined();
    expect(await codes(seed, 'default')).toEqual([]);
  });

  it('healthy twin: private access on as well, so nodes use the private endpoint', async () => {
    const seed = await seedWith({ publicAccessCidrs: ['198.51.100.0/24'], endpointPrivateAccess: true });
    expect(await codes(seed, 'default')).toEqual([]);
  });
});

describe('MISSING_VPC_ENDPOINTS: a private cluster and a subnet without a default route', () => {
  let seed: SeedAccount;
  let endpointGroup: string;
  const endpointIds = new Map<string, string>();

  beforeAll(async () => {
    seed = await seedWith({
      endpointPrivateAccess: true,
      endpointPublicAccess: false,
      publicAccessCidrs: [],
    });
    const group = await ec2.send(
      new CreateSecurityGroupCommand({
        VpcId: seed.vpcId,
        GroupName: 'vpc-endpoints',
        Description: 'VPC endpoints',
      }),
    );
    endpointGroup = group.GroupId as string;
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: endpointGroup,
        IpPermissions: tcp443(SEED.vpcCidr),
      }),
    );
  });

  async function createInterface(service: string, privateDns = true) {
    const created = await ec2.send(
      new CreateVpcEndpointCommand({
        VpcId: seed.vpcId,
        ServiceName: `com.amazonaws.${TEST_REGION}.${service}`,
        VpcEndpointType: 'Interface',
        SubnetIds: [seed.nodegroups.new.subnetId],
        SecurityGroupIds: [endpointGroup],
        PrivateDnsEnabled: privateDns,
      }),
    );
    endpointIds.set(service, created.VpcEndpoint?.VpcEndpointId as string);
  }

  it('fails: no endpoint at all — MISSING_VPC_ENDPOINTS naming all five, never NO_DEFAULT_ROUTE, nothing planned', async () => {
    const { findings, network } = await diagnose(seed, 'new');

    expect(findings.map((f) => f.code)).toEqual(['MISSING_VPC_ENDPOINTS']);
    const [finding] = findings;
    expect(finding).toMatchObject({
      resourceId: seed.vpcId,
      subnetId: seed.nodegroups.new.subnetId,
      routeTableId: seed.nodegroups.new.routeTableId,
    });
    expect(finding?.message).toContain('Missing or unusable: ec2, ecr.api, ecr.dkr, sts, s3.');
    expect(finding?.fix).toContain(
      `aws ec2 create-vpc-endpoint --vpc-id ${seed.vpcId} --service-name com.amazonaws.us-west-2.ecr.api --vpc-endpoint-type Interface --subnet-ids ${seed.nodegroups.new.subnetId} --security-group-ids ${seed.clusterSecurityGroupId} --private-dns-enabled --region us-west-2`,
    );
    expect(finding?.fix).toContain(
      `aws ec2 create-vpc-endpoint --vpc-id ${seed.vpcId} --service-name com.amazonaws.us-west-2.s3 --vpc-endpoint-type Gateway --route-table-ids ${seed.nodegroups.new.routeTableId} --region us-west-2`,
    );
    expect(await codes(seed, 'new', true)).toEqual(['MISSING_VPC_ENDPOINTS']);

    // Remediation acts only on routing findings: no internet route is planned for this subnet.
    const reader = new AwsAccountReader(toolClients());
    const instances = await reader.describeGroupInstances([seed.nodegroups.new.autoScalingGroupName]);
    const nodegroup = await reader.describeNodegroup(seed.clusterName, SEED.nodegroupNames.new);
    const actions = planRemediation({
      region: TEST_REGION,
      cluster: seed.clusterName,
      nodegroup,
      verdicts: instances.map((i) => ({
        instanceId: i.instanceId,
        subnetId: i.subnetId,
        joined: false,
        pending: false,
        state: i.state,
      })),
      instances,
      findings,
      networks: [network],
      clusterSubnetIds: nodegroup.subnetIds,
      allowMainRouteTable: true,
      allowSharedRouteTable: true,
      recycleStrategy: 'replace-unjoined',
      loopGuard: { allowed: true },
      secondsLeft: 600,
    });
    expect(actions.filter((a) => a.status === 'planned')).toEqual([]);
    expect(actions.map((a) => a.type)).not.toContain('create-route');
  });

  it('fails: all but ecr.dkr — names only ecr.dkr', async () => {
    for (const service of ['ec2', 'ecr.api', 'sts']) await createInterface(service);
    await ec2.send(
      new CreateVpcEndpointCommand({
        VpcId: seed.vpcId,
        ServiceName: `com.amazonaws.${TEST_REGION}.s3`,
        VpcEndpointType: 'Gateway',
        RouteTableIds: [seed.nodegroups.new.routeTableId],
      }),
    );
    const { findings } = await diagnose(seed, 'new');
    expect(findings.map((f) => f.code)).toEqual(['MISSING_VPC_ENDPOINTS']);
    expect(findings[0]?.message).toContain('Missing or unusable: ecr.dkr.');
  });

  it('fails: ecr.dkr there but with private DNS off', async () => {
    await createInterface('ecr.dkr', false);
    const { findings } = await diagnose(seed, 'new');
    expect(findings[0]?.message).toContain(`ecr.dkr (${endpointIds.get('ecr.dkr')} has private DNS off`);
    expect(findings[0]?.fix).toContain(
      `aws ec2 modify-vpc-endpoint --vpc-endpoint-id ${endpointIds.get('ecr.dkr')} --private-dns-enabled`,
    );
  });

  it('healthy twin: every endpoint, available, with private DNS — no finding at all, at preflight either', async () => {
    // moto's ModifyVpcEndpoint cannot turn private DNS on: replace the endpoint instead.
    await ec2.send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: [endpointIds.get('ecr.dkr') as string] }));
    await createInterface('ecr.dkr');
    expect(await codes(seed, 'new')).toEqual([]);
    expect(await codes(seed, 'new', true)).toEqual([]);
    expect(await codes(seed, 'default')).toEqual([]);
  });

  it('fails: the endpoints’ security group stops admitting HTTPS from the VPC', async () => {
    await ec2.send(
      new RevokeSecurityGroupIngressCommand({
        GroupId: endpointGroup,
        IpPermissions: tcp443(SEED.vpcCidr),
      }),
    );
    const { findings } = await diagnose(seed, 'new');
    expect(findings.map((f) => f.code)).toEqual(['MISSING_VPC_ENDPOINTS']);
    expect(findings[0]?.message).toContain(`do not allow TCP 443 from ${SEED.newSubnetCidr}`);
    expect(findings[0]?.fix).toContain(
      `aws ec2 authorize-security-group-ingress --group-id ${endpointGroup} --protocol tcp --port 443 --cidr ${SEED.newSubnetCidr} --region us-west-2`,
    );
  });

  it('healthy twin: the fix applied (TCP 443 from the node subnet)', async () => {
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: endpointGroup,
        IpPermissions: tcp443(SEED.newSubnetCidr),
      }),
    );
    expect(await codes(seed, 'new')).toEqual([]);
  });

  it('fails: DNS hostnames off, which private endpoint access needs', async () => {
    await ec2.send(
      new ModifyVpcAttributeCommand({ VpcId: seed.vpcId, EnableDnsHostnames: { Value: false } }),
    );
    const { findings } = await diagnose(seed, 'new', true);
    expect(findings.map((f) => f.code)).toEqual(['VPC_DNS_DISABLED']);
    expect(findings[0]?.fix).toBe(
      `aws ec2 modify-vpc-attribute --vpc-id ${seed.vpcId} --enable-dns-hostnames "{\\"Value\\":true}" --region us-west-2`,
    );
  });

  it('healthy twin: DNS hostnames back on', async () => {
    await ec2.send(new ModifyVpcAttributeCommand({ VpcId: seed.vpcId, EnableDnsHostnames: { Value: true } }));
    expect(await codes(seed, 'new', true)).toEqual([]);
  });
});
