import {
  AllocateAddressCommand,
  AssociateRouteTableCommand,
  AssociateVpcCidrBlockCommand,
  CreateEgressOnlyInternetGatewayCommand,
  CreateManagedPrefixListCommand,
  CreateNatGatewayCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateSubnetCommand,
  CreateTagsCommand,
  CreateTransitGatewayCommand,
  DescribeRouteTablesCommand,
} from '@aws-sdk/client-ec2';
import { CreateNodegroupCommand, EKSClient } from '@aws-sdk/client-eks';
import { describe, expect, it } from 'vitest';
import type { Report, RouteAction } from '../../functions/core/model/types.js';
import { readAlerts } from '../support/alertQueue.js';
import { EVERY_TIME, unauthorized } from '../support/faultProxy.js';
import { harnessClientConfig } from '../support/motoServer.js';
import {
  ALERT_ONLY,
  endedWith,
  FIXED,
  FIXED_WRITES,
  findingCodes,
  joinedNodes,
  nodegroupOf,
  useRemediationHarness,
} from '../support/remediationHarness.js';

/**
 * Issue 8, "remediation that cannot harm a working network", on moto through the CLI: for each way a
 * route write could break or widen a network, the refusal (no write, the reason as a code) and a
 * healthy twin that is still fixed as before. Faults in the tool's own calls: remediationFaults.test.ts.
 */
const h = useRemediationHarness();

const newSubnet = () => h.seed.nodegroups.new.subnetId;

async function routesOf(routeTableId: string) {
  const { RouteTables } = await h.ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [routeTableId] }));
  return RouteTables?.[0]?.Routes ?? [];
}

/** new_nodegroup_2's 0.0.0.0/0 route, as moto has it. */
const defaultRoute = async () => (await h.defaultRoutes())[0];

async function transitGateway(): Promise<string> {
  const { TransitGateway } = await h.ec2.send(new CreateTransitGatewayCommand({ Description: 'hub' }));
  return TransitGateway?.TransitGatewayId ?? '';
}

async function prefixList(cidrs: string[]): Promise<string> {
  const { PrefixList } = await h.ec2.send(
    new CreateManagedPrefixListCommand({
      PrefixListName: 'egress-via-hub',
      AddressFamily: 'IPv4',
      MaxEntries: 5,
      Entries: cidrs.map((Cidr) => ({ Cidr })),
    }),
  );
  return PrefixList?.PrefixListId ?? '';
}

/** Routes in new_nodegroup_2's table to a transit gateway, by CIDR block or prefix list id. */
async function routeToHub(destinations: { cidr?: string; prefixListId?: string }[]): Promise<string> {
  const tgw = await transitGateway();
  for (const { cidr, prefixListId } of destinations) {
    await h.ec2.send(
      new CreateRouteCommand({
        RouteTableId: h.newTable(),
        TransitGatewayId: tgw,
        ...(cidr && { DestinationCidrBlock: cidr }),
        ...(prefixListId && { DestinationPrefixListId: prefixListId }),
      }),
    );
  }
  return tgw;
}

async function subnet(cidr: string, name: string): Promise<string> {
  const { Subnet } = await h.ec2.send(
    new CreateSubnetCommand({
      VpcId: h.seed.vpcId,
      CidrBlock: cidr,
      AvailabilityZone: h.seed.availabilityZone,
      TagSpecifications: [{ ResourceType: 'subnet', Tags: [{ Key: 'Name', Value: name }] }],
    }),
  );
  return Subnet?.SubnetId ?? '';
}

async function associate(routeTableId: string, subnetId: string): Promise<void> {
  await h.ec2.send(new AssociateRouteTableCommand({ RouteTableId: routeTableId, SubnetId: subnetId }));
}

/** A NAT gateway (public unless said otherwise, with its own Elastic IP) in the subnet. */
async function natGateway(subnetId: string, connectivity: 'public' | 'private' = 'public'): Promise<string> {
  const allocation =
    connectivity === 'public'
      ? (await h.ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }))).AllocationId
      : undefined;
  const { NatGateway } = await h.ec2.send(
    new CreateNatGatewayCommand({
      SubnetId: subnetId,
      ConnectivityType: connectivity,
      ...(allocation && { AllocationId: allocation }),
    }),
  );
  return NatGateway?.NatGatewayId ?? '';
}

/** The first action of new_nodegroup_2 in a JSON report: the route action, when there is one. */
function routeAction(stdout: string): RouteAction {
  const action = nodegroupOf(stdout).actions[0];
  if (action?.type !== 'create-route' && action?.type !== 'replace-route') {
    throw new Error(`first action is not a route action: ${JSON.stringify(action)}`);
  }
  return action;
}

/** The run fixed the seed: route to `nat` written, the unjoined instance replaced, exit 0. */
async function expectFixed(run: { code: number | null; stdout: string; stderr: string }, nat: string) {
  const nodegroup = endedWith(run, 0, FIXED);
  expect(nodegroup.actions[0]).toMatchObject({ resourceId: h.newTable(), target: nat });
  expect(await defaultRoute()).toMatchObject({ NatGatewayId: nat, State: 'active' });
  expect(await h.accountWrites()).toEqual(FIXED_WRITES);
}

describe('egress in another form is egress: no default route is added over it', () => {
  it('a prefix list holding 0.0.0.0/0, routed to a transit gateway, is a way out: no finding, no write', async () => {
    const list = await prefixList(['0.0.0.0/0']);
    const tgw = await routeToHub([{ prefixListId: list }]);

    const run = await h.remediate();

    const nodegroup = endedWith(run, 1, ['replace-instances:skipped', 'notify:done']);
    expect(findingCodes(nodegroup)).toEqual(['NODES_NOT_JOINED']);
    expect(nodegroup.actions[0]?.reasonCode).toBe('NO_ROUTE_FIX');
    expect(nodegroup.egress?.[h.newTable()]).toEqual({
      kind: 'internet',
      routes: [`${list} → ${tgw} (active)`],
    });
    expect(await defaultRoute()).toBeUndefined();
    expect(await h.accountWrites()).toEqual(ALERT_ONLY);
  });

  it('twin: a prefix list of private ranges only is no way out, so the seed is fixed as before', async () => {
    const list = await prefixList(['192.168.0.0/16', '172.16.0.0/12']);
    await routeToHub([{ prefixListId: list }]);

    const run = await h.remediate();

    expect(findingCodes(nodegroupOf(run.stdout))).toEqual(['NO_DEFAULT_ROUTE', 'NODES_NOT_JOINED']);
    await expectFixed(run, h.seed.natGatewayId ?? '');
  });

  it('split routes 0.0.0.0/1 + 128.0.0.0/1 to a transit gateway cover the internet: no finding, no write', async () => {
    await routeToHub([{ cidr: '0.0.0.0/1' }, { cidr: '128.0.0.0/1' }]);

    const run = await h.remediate();

    const nodegroup = endedWith(run, 1, ['replace-instances:skipped', 'notify:done']);
    expect(findingCodes(nodegroup)).toEqual(['NODES_NOT_JOINED']);
    expect(nodegroup.egress?.[h.newTable()]?.kind).toBe('internet');
    expect(await h.accountWrites()).toEqual(ALERT_ONLY);
  });

  it('twin: half the internet (0.0.0.0/1 only) is no way out, so the seed is fixed beside it', async () => {
    await routeToHub([{ cidr: '0.0.0.0/1' }]);

    const run = await h.remediate();

    expect(findingCodes(nodegroupOf(run.stdout))).toEqual(['NO_DEFAULT_ROUTE', 'NODES_NOT_JOINED']);
    await expectFixed(run, h.seed.natGatewayId ?? '');
    expect((await routesOf(h.newTable())).map((r) => r.DestinationCidrBlock).sort()).toEqual([
      '0.0.0.0/0',
      '0.0.0.0/1',
      '10.42.0.0/16',
    ]);
  });

  it('a prefix list whose entries cannot be read may be the way out: create-route skipped EGRESS_UNKNOWN, nothing written, the text report names the list', async () => {
    const list = await prefixList(['0.0.0.0/0']);
    await routeToHub([{ prefixListId: list }]);
    h.proxy.addRule(unauthorized('ec2:GetManagedPrefixListEntries', { times: EVERY_TIME }));

    const run = await h.remediate();

    const nodegroup = endedWith(run, 1, ['create-route:skipped', 'replace-instances:skipped', 'notify:done']);
    expect(findingCodes(nodegroup)).not.toContain('NO_DEFAULT_ROUTE');
    expect(nodegroup.actions[0]).toMatchObject({
      type: 'create-route',
      reasonCode: 'EGRESS_UNKNOWN',
      prefixListId: list,
      subnetIds: [newSubnet()],
    });
    expect(nodegroup.actions[0]?.reason).toContain(list);
    expect(nodegroup.egress?.[h.newTable()]).toMatchObject({ kind: 'unknown', prefixListId: list });
    expect(await h.accountWrites()).toEqual(ALERT_ONLY);
    expect(h.proxy.requests().filter((r) => r.operation === 'ec2:GetManagedPrefixListEntries')).not.toEqual(
      [],
    );

    const text = await h.remediate([], {}, { json: false });
    expect(text.stdout).toContain(list);
    expect(text.stdout).toContain('EGRESS_UNKNOWN');
    expect(await h.accountWrites()).not.toContain('ec2:CreateRoute');
  });

  it('IPv6-only egress (::/0 to an egress-only internet gateway) is reported as IPV6_ONLY_EGRESS and no IPv4 route is written', async () => {
    await h.ec2.send(
      new AssociateVpcCidrBlockCommand({ VpcId: h.seed.vpcId, AmazonProvidedIpv6CidrBlock: true }),
    );
    const { EgressOnlyInternetGateway } = await h.ec2.send(
      new CreateEgressOnlyInternetGatewayCommand({ VpcId: h.seed.vpcId }),
    );
    const eigw = EgressOnlyInternetGateway?.EgressOnlyInternetGatewayId ?? '';
    await h.ec2.send(
      new CreateRouteCommand({
        RouteTableId: h.newTable(),
        DestinationIpv6CidrBlock: '::/0',
        EgressOnlyInternetGatewayId: eigw,
      }),
    );

    const run = await h.remediate();

    const nodegroup = endedWith(run, 1, ['replace-instances:skipped', 'notify:done']);
    expect(findingCodes(nodegroup)).toEqual(['IPV6_ONLY_EGRESS', 'NODES_NOT_JOINED']);
    expect(nodegroup.findings[0]).toMatchObject({ resourceId: h.newTable(), subnetId: newSubnet() });
    expect(nodegroup.findings[0]?.message).toContain(eigw);
    expect(nodegroup.actions[0]?.reasonCode).toBe('NO_ROUTE_FIX');
    expect(await defaultRoute()).toBeUndefined();
    expect(await h.accountWrites()).toEqual(ALERT_ONLY);
  });

  it('twin: an IPv6 block and an egress-only gateway without a ::/0 route in the table do not stop the IPv4 fix', async () => {
    await h.ec2.send(
      new AssociateVpcCidrBlockCommand({ VpcId: h.seed.vpcId, AmazonProvidedIpv6CidrBlock: true }),
    );
    await h.ec2.send(new CreateEgressOnlyInternetGatewayCommand({ VpcId: h.seed.vpcId }));

    const run = await h.remediate();

    expect(findingCodes(nodegroupOf(run.stdout))).toEqual(['NO_DEFAULT_ROUTE', 'NODES_NOT_JOINED']);
    await expectFixed(run, h.seed.natGatewayId ?? '');
  });
});

describe('a route goes only to a NAT gateway that really leads out', () => {
  /** A private subnet whose own table has only the local route. */
  async function isolatedSubnet(): Promise<string> {
    const subnetId = await subnet('10.42.64.0/19', 'IsolatedSubnet');
    const { RouteTable } = await h.ec2.send(new CreateRouteTableCommand({ VpcId: h.seed.vpcId }));
    await associate(RouteTable?.RouteTableId ?? '', subnetId);
    return subnetId;
  }

  async function expectNoUsableNat(nat: string, why: string) {
    const run = await h.remediate();

    endedWith(run, 1, ['create-route:skipped', 'replace-instances:skipped', 'notify:done']);
    const action = routeAction(run.stdout);
    expect(action).toMatchObject({
      type: 'create-route',
      reasonCode: 'NO_USABLE_NAT',
      rejectedNatGateways: [{ natGatewayId: nat, why }],
    });
    expect(action.manualFix).toContain('aws ec2 create-nat-gateway');
    expect(action.manualFix).toContain(`--subnet-id ${h.seed.publicSubnetId}`);
    expect(action.reason).toContain(nat);
    expect(await defaultRoute()).toBeUndefined();
    expect(await h.accountWrites()).toEqual(ALERT_ONLY);
  }

  it('a NAT gateway in a private subnet (no internet gateway route) is rejected NO_INTERNET_ROUTE: nothing written, manual fix given', async () => {
    await h.freshAccount({ withNatGateway: false });
    const nat = await natGateway(await isolatedSubnet());
    await expectNoUsableNat(nat, 'NO_INTERNET_ROUTE');
  });

  it('a NAT gateway in the unjoined subnet itself is rejected IN_PATCHED_TABLE (a loop): nothing written', async () => {
    await h.freshAccount({ withNatGateway: false });
    const nat = await natGateway(newSubnet());
    await expectNoUsableNat(nat, 'IN_PATCHED_TABLE');
  });

  it('a private-connectivity NAT gateway, even in the public subnet, is rejected PRIVATE_CONNECTIVITY: nothing written', async () => {
    await h.freshAccount({ withNatGateway: false });
    const nat = await natGateway(h.seed.publicSubnetId, 'private');
    await expectNoUsableNat(nat, 'PRIVATE_CONNECTIVITY');
  });

  it('twin: a public NAT gateway in the public subnet is used: route to it, instance replaced', async () => {
    await h.freshAccount({ withNatGateway: false });
    const nat = await natGateway(h.seed.publicSubnetId);

    const run = await h.remediate();

    await expectFixed(run, nat);
  });
});

describe('a route table that also serves subnets outside the cluster is not widened', () => {
  const DATABASE_CIDR = '10.42.160.0/19';

  async function shareWithDatabaseSubnet(): Promise<string> {
    const database = await subnet(DATABASE_CIDR, 'DatabaseSubnet');
    await associate(h.newTable(), database);
    return database;
  }

  it('refuses SHARED_ROUTE_TABLE, naming the outside subnet, and writes nothing', async () => {
    const database = await shareWithDatabaseSubnet();

    const run = await h.remediate();

    const nodegroup = endedWith(run, 1, ['create-route:skipped', 'replace-instances:skipped', 'notify:done']);
    expect(findingCodes(nodegroup)).toEqual(['NO_DEFAULT_ROUTE', 'NODES_NOT_JOINED']);
    const action = routeAction(run.stdout);
    expect(action).toMatchObject({
      type: 'create-route',
      reasonCode: 'SHARED_ROUTE_TABLE',
      outsideSubnetIds: [database],
    });
    expect([...action.subnetIds].sort()).toEqual([newSubnet(), database].sort());
    expect(action.reason).toContain(database);
    expect(action.manualFix).toContain(`aws ec2 create-route --route-table-id ${h.newTable()}`);
    expect(await defaultRoute()).toBeUndefined();
    expect(await h.accountWrites()).toEqual(ALERT_ONLY);
  });

  it('twin: the same table tagged eks-join-remediator/managed=true is patched', async () => {
    const database = await shareWithDatabaseSubnet();
    await h.ec2.send(
      new CreateTagsCommand({
        Resources: [h.newTable()],
        Tags: [{ Key: 'eks-join-remediator/managed', Value: 'true' }],
      }),
    );

    const run = await h.remediate();

    await expectFixed(run, h.seed.natGatewayId ?? '');
    expect([...routeAction(run.stdout).subnetIds].sort()).toEqual([newSubnet(), database].sort());
  });

  it('twin: --allow-shared-route-table patches it', async () => {
    await shareWithDatabaseSubnet();
    await expectFixed(await h.remediate(['--allow-shared-route-table']), h.seed.natGatewayId ?? '');
  });

  it('twin: ALLOW_SHARED_ROUTE_TABLE=true patches it', async () => {
    await shareWithDatabaseSubnet();
    await expectFixed(await h.remediate([], { ALLOW_SHARED_ROUTE_TABLE: 'true' }), h.seed.natGatewayId ?? '');
  });

  it('twin: a subnet of another nodegroup of the cluster sharing the table is not outside: patched', async () => {
    const batch = await subnet('10.42.128.0/19', 'BatchSubnet');
    await associate(h.newTable(), batch);
    const eks = new EKSClient(harnessClientConfig(h.moto.endpoint));
    await eks.send(
      new CreateNodegroupCommand({
        clusterName: h.seed.clusterName,
        nodegroupName: 'batch',
        subnets: [batch],
        nodeRole: 'arn:aws:iam::123456789012:role/eks-workshop-node-role',
        scalingConfig: { minSize: 0, maxSize: 2, desiredSize: 0 },
      }),
    );
    eks.destroy();

    const run = await h.remediate();

    await expectFixed(run, h.seed.natGatewayId ?? '');
    const action = routeAction(run.stdout);
    expect([...action.subnetIds].sort()).toEqual([newSubnet(), batch].sort());
    expect(action.outsideSubnetIds).toBeUndefined();
  });
});

describe('membership is never read from the nodegroup label alone', () => {
  it('a Node without the nodegroup label, named by spec.providerID, counts as joined: no finding, no write, exit 0', async () => {
    const [instanceId = ''] = h.seed.nodegroups.new.instanceIds;
    h.stub.addNode({
      instanceId,
      availabilityZone: 'us-west-2a',
      nodegroup: 'new_nodegroup_2',
      nodegroupLabel: false,
    });
    const before = h.stub.nodeListRequests().length;

    const run = await h.remediate();

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const nodegroup = nodegroupOf(run.stdout);
    expect(nodegroup.findings).toEqual([]);
    expect(nodegroup.actions).toEqual([]);
    expect(nodegroup.instances).toEqual([expect.objectContaining({ instanceId, joined: true })]);
    expect(await h.accountWrites()).toEqual([]);
    const lists = h.stub.nodeListRequests().slice(before);
    expect(lists.map((r) => r.query.labelSelector)).toEqual([
      'eks.amazonaws.com/nodegroup=new_nodegroup_2',
      undefined,
    ]);
    expect(await readAlerts(h.moto.endpoint, h.seed.queueUrl, { waitMs: 1500 })).toEqual([]);
  });

  it('twin: no Node at all for the instance: fixed as before', async () => {
    h.stub.setNodes(joinedNodes(h.seed.nodegroups.default.instanceIds, 'default'));

    const run = await h.remediate();

    expect(findingCodes(nodegroupOf(run.stdout))).toEqual(['NO_DEFAULT_ROUTE', 'NODES_NOT_JOINED']);
    await expectFixed(run, h.seed.natGatewayId ?? '');
    const [alert] = await readAlerts(h.moto.endpoint, h.seed.queueUrl, { waitMs: 5000 });
    expect((JSON.parse(alert?.message ?? '{}') as Report).nodegroups[0]?.alertKind).toBe('remediated');
  });
});
