import { describe, expect, it } from 'vitest';
import { diagnoseRouting } from '../../../functions/core/diagnoseRouting.js';
import { evaluateLoopGuard } from '../../../functions/core/loopGuard.js';
import { type PlanInput, planRemediation } from '../../../functions/core/planRemediation.js';
import type { InstanceVerdict, NetworkSnapshot, RemediationRecord } from '../../../functions/core/types.js';
import {
  instance,
  NAT,
  NEW_SUBNET,
  natGateway,
  nodegroup,
  route,
  routeTable,
  seedNetwork,
  subnet,
} from '../../support/factories.js';

const RTB = 'rtb-0f1e2d3c4b5a69788';

function stranded(instanceId = 'i-0a1b2c3d4e5f60718'): InstanceVerdict {
  return {
    instanceId,
    subnetId: NEW_SUBNET,
    joined: false,
    pending: false,
    state: 'running',
    launchedAt: '2026-11-26T09:00:00Z',
  };
}

/** A plan for the seed (or a variant of its network), with the diagnosis made as the check makes it. */
function plan(overrides: Partial<PlanInput> & { network?: NetworkSnapshot } = {}) {
  const network = overrides.network ?? seedNetwork();
  const verdicts = overrides.verdicts ?? [stranded()];
  const instances = verdicts.map((v) =>
    instance({ instanceId: v.instanceId, autoScalingGroupName: 'eks-ng-asg' }),
  );
  const findings = overrides.findings ?? diagnoseRouting({ region: 'us-west-2', network, instances });
  return planRemediation({
    region: 'us-west-2',
    cluster: 'eks-workshop',
    nodegroup: nodegroup({ autoScalingGroupNames: ['eks-ng-asg'] }),
    verdicts,
    instances,
    findings,
    networks: [network],
    allowMainRouteTable: false,
    recycleStrategy: 'replace-unjoined',
    loopGuard: { allowed: true },
    ...overrides,
  });
}

function withNewTable(
  routes: Parameters<typeof routeTable>[2],
  extra: Partial<NetworkSnapshot> = {},
): NetworkSnapshot {
  const network = seedNetwork(extra);
  network.routeTables = network.routeTables.map((t) =>
    t.routeTableId === RTB ? routeTable(RTB, [NEW_SUBNET], routes) : t,
  );
  return network;
}

describe('planRemediation', () => {
  it('plans the seed fix: the route to the same-zone NAT gateway, then the unjoined instance replaced', () => {
    const actions = plan();
    expect(actions).toEqual([
      expect.objectContaining({
        type: 'create-route',
        resourceId: RTB,
        target: NAT,
        status: 'planned',
        before: 'no 0.0.0.0/0 route',
        after: `0.0.0.0/0 → ${NAT} (active)`,
        undo: `aws ec2 delete-route --route-table-id ${RTB} --destination-cidr-block 0.0.0.0/0 --region us-west-2`,
      }),
      expect.objectContaining({
        type: 'replace-instances',
        resourceId: 'i-0a1b2c3d4e5f60718',
        autoScalingGroupName: 'eks-ng-asg',
        status: 'planned',
      }),
    ]);
    expect(actions[0]?.reason).not.toContain('crosses zones');
  });

  it('uses a NAT gateway in another zone when the subnet zone has none, and says so', () => {
    const network = seedNetwork({
      subnets: [...seedNetwork().subnets, subnet('subnet-0pubb', 'us-west-2b', '10.42.32.0/19')],
      natGateways: [natGateway({ natGatewayId: 'nat-0b', subnetId: 'subnet-0pubb' })],
    });
    const [routeAction] = plan({ network });
    expect(routeAction).toMatchObject({ type: 'create-route', target: 'nat-0b', status: 'planned' });
    expect(routeAction?.reason).toContain('crosses zones');
  });

  it('writes nothing without an available NAT gateway, says what a person must do, and recycles nothing', () => {
    const actions = plan({ network: seedNetwork({ natGateways: [natGateway({ state: 'deleted' })] }) });
    expect(actions.map((a) => [a.type, a.status])).toEqual([
      ['create-route', 'skipped'],
      ['replace-instances', 'skipped'],
    ]);
    expect(actions[0]?.reason).toMatch(/no available NAT gateway .* A person can run: .*create-nat-gateway/s);
    expect(actions[1]?.reason).toContain('reported, not recycled');
  });

  it('replaces a blackhole default route, with the undo that restores the old target', () => {
    const network = withNewTable([route('0.0.0.0/0', { kind: 'nat-gateway', id: 'nat-0dead' }, 'blackhole')]);
    const [routeAction] = plan({ network });
    expect(routeAction).toMatchObject({
      type: 'replace-route',
      status: 'planned',
      target: NAT,
      before: '0.0.0.0/0 → nat-0dead (blackhole)',
      undo: `aws ec2 replace-route --route-table-id ${RTB} --destination-cidr-block 0.0.0.0/0 --nat-gateway-id nat-0dead --region us-west-2`,
    });
  });

  it('replaces an active-looking route whose NAT gateway is deleted', () => {
    const network = withNewTable([route('0.0.0.0/0', { kind: 'nat-gateway', id: 'nat-0dead' })], {
      natGateways: [natGateway(), natGateway({ natGatewayId: 'nat-0dead', state: 'deleted' })],
    });
    expect(plan({ network })[0]).toMatchObject({ type: 'replace-route', status: 'planned', target: NAT });
  });

  it('never touches an active default route to a transit gateway, and does not churn the nodes', () => {
    const network = withNewTable([route('0.0.0.0/0', { kind: 'transit-gateway', id: 'tgw-0123' })]);
    const actions = plan({ network });
    expect(actions.filter((a) => a.status === 'planned')).toEqual([]);
    expect(actions.some((a) => a.type === 'create-route' || a.type === 'replace-route')).toBe(false);
  });

  it('refuses to replace a default route that is alive even if a finding says otherwise', () => {
    const network = withNewTable([route('0.0.0.0/0', { kind: 'nat-gateway', id: NAT })]);
    const [routeAction] = plan({
      network,
      findings: [
        {
          code: 'BLACKHOLE_DEFAULT_ROUTE',
          severity: 'critical',
          resourceId: RTB,
          routeTableId: RTB,
          subnetId: NEW_SUBNET,
          natGatewayId: NAT,
          instanceIds: ['i-0a1b2c3d4e5f60718'],
          message: 'stale',
          fix: 'x',
        },
      ],
    });
    expect(routeAction).toMatchObject({ type: 'replace-route', status: 'skipped' });
    expect(routeAction?.reason).toContain('is not dead');
  });

  it('refuses the VPC main route table unless allowed, and plans it when allowed', () => {
    const network = seedNetwork();
    network.routeTables = network.routeTables.filter((t) => t.routeTableId !== RTB);
    const refused = plan({ network });
    expect(refused[0]).toMatchObject({
      type: 'create-route',
      resourceId: 'rtb-0main000000000000',
      status: 'skipped',
    });
    expect(refused[0]?.reason).toContain('ALLOW_MAIN_ROUTE_TABLE=true');
    expect(refused[0]?.reason).toContain('aws ec2 create-route --route-table-id rtb-0main000000000000');
    expect(refused[1]).toMatchObject({ type: 'replace-instances', status: 'skipped' });

    const allowed = plan({ network, allowMainRouteTable: true });
    expect(allowed.map((a) => a.status)).toEqual(['planned', 'planned']);
  });

  it('never recycles nodes that joined or are still pending', () => {
    const joined: InstanceVerdict = { ...stranded('i-0joined'), joined: true };
    const pending: InstanceVerdict = { ...stranded('i-0pending'), pending: true };
    const actions = plan({ verdicts: [stranded(), joined, pending] });
    expect(actions.filter((a) => a.type === 'replace-instances').map((a) => a.instanceId)).toEqual([
      'i-0a1b2c3d4e5f60718',
    ]);
  });

  it('uses scale-cycle when asked, nothing joined and the minimum size allows 0', () => {
    const actions = plan({ recycleStrategy: 'scale-cycle', verdicts: [stranded(), stranded('i-0second')] });
    expect(actions[1]).toMatchObject({
      type: 'scale-cycle',
      resourceId: 'new_nodegroup_2',
      desiredSize: 1,
      status: 'planned',
    });
    expect(actions).toHaveLength(2);
  });

  it('falls back from scale-cycle to replacing the unjoined when a node joined, and says so', () => {
    const actions = plan({
      recycleStrategy: 'scale-cycle',
      verdicts: [stranded(), { ...stranded('i-0joined'), joined: true }],
    });
    expect(actions[1]).toMatchObject({ type: 'replace-instances', status: 'planned' });
    expect(actions[1]?.reason).toContain('scale-cycle not used: some nodes of the nodegroup did join');
  });

  it('falls back from scale-cycle when the minimum size does not allow 0', () => {
    const actions = plan({
      recycleStrategy: 'scale-cycle',
      nodegroup: nodegroup({
        autoScalingGroupNames: ['eks-ng-asg'],
        scaling: { minSize: 1, maxSize: 2, desiredSize: 1 },
      }),
    });
    expect(actions[1]?.reason).toContain('its minimum size is 1');
  });

  it('turns every write into a skip with the loop-guard reason past the limit', () => {
    const records = [1, 2].map(
      (n): RemediationRecord => ({
        cluster: 'eks-workshop',
        nodegroup: 'new_nodegroup_2',
        at: `2026-11-26T0${n}:00:00.000Z`,
        status: 'escalated',
        actions: [],
        replacedInstanceIds: [],
      }),
    );
    const loopGuard = evaluateLoopGuard(records, { maxRemediations: 2, windowSeconds: 21600 });
    const actions = plan({ loopGuard });
    expect(actions.map((a) => a.status)).toEqual(['skipped', 'skipped']);
    expect(actions[0]?.reason).toMatch(/^loop guard: 2 remediation\(s\) of this nodegroup in the last 6 h/);
  });

  it('plans no write for the causes a person must fix (endpoints, ACLs, security groups, DNS, node role)', () => {
    const codes = [
      'MISSING_VPC_ENDPOINTS',
      'ENDPOINT_ACCESS_EXCLUDES_NODES',
      'NACL_BLOCKS_EGRESS',
      'SECURITY_GROUP_BLOCKS_EGRESS',
      'VPC_DNS_DISABLED',
      'NODE_ROLE_MISSING_POLICY',
      'NODE_ROLE_NOT_AUTHORIZED',
      'NODEGROUP_HEALTH_ISSUE',
      'NO_PUBLIC_IP',
    ] as const;
    const findings = codes.map((code) => ({
      code,
      severity: 'critical' as const,
      resourceId: RTB,
      routeTableId: RTB,
      subnetId: NEW_SUBNET,
      natGatewayId: NAT,
      instanceIds: ['i-0a1b2c3d4e5f60718'],
      message: code,
      fix: 'by hand',
    }));
    const actions = plan({ findings });
    expect(actions.filter((a) => a.status === 'planned')).toEqual([]);
    expect(actions.map((a) => a.type)).toEqual(['replace-instances']);
  });

  it('plans nothing for a healthy nodegroup', () => {
    expect(plan({ verdicts: [], findings: [] })).toEqual([]);
  });
});
