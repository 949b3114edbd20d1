import { describe, expect, it } from 'vitest';
import {
  type ChangeTarget,
  changeTargets,
  latestChange,
  relevantChange,
} from '../../../functions/core/diagnose/relevantChange.js';
import type { ChangeEvent } from '../../../functions/core/model/ports.js';
import type { Finding } from '../../../functions/core/model/types.js';
import { diagnoseRouting } from '../../support/diagnoseRouting.js';
import {
  IGW,
  instance,
  NAT,
  NEW_TABLE,
  natGateway,
  route,
  seedNetwork,
  VPC,
  withNewSubnetRoutes,
} from '../../support/factories.js';

const region = 'us-west-2';
const DEAD_NAT = 'nat-0dead000000000000';
const ROLE = 'arn:aws:sts::123456789012:assumed-role/platform-admin/jdoe';

/** A finding as a diagnosis makes it, with only what the lookup reads. */
function finding(overrides: Partial<Finding> & Pick<Finding, 'code' | 'resourceId'>): Finding {
  return { severity: 'critical', message: '', fix: '', ...overrides };
}

function event(eventName: string, eventTime: string, overrides: Partial<ChangeEvent> = {}): ChangeEvent {
  return { eventName, eventTime, eventSource: 'ec2.amazonaws.com', readOnly: false, ...overrides };
}

const names = (targets: ChangeTarget[]) => targets.map((t) => t.resourceName);

describe('changeTargets: which resource a finding is about in CloudTrail', () => {
  it('NO_DEFAULT_ROUTE (as diagnosed on the seed) looks up its route table for route and association calls', () => {
    const [noRoute] = diagnoseRouting({ region, network: seedNetwork(), instances: [instance()] });
    expect(noRoute?.code).toBe('NO_DEFAULT_ROUTE');
    expect(changeTargets(noRoute as Finding)).toEqual([
      {
        resourceName: NEW_TABLE,
        eventSource: 'ec2.amazonaws.com',
        eventNames: [
          'CreateRoute',
          'DeleteRoute',
          'ReplaceRoute',
          'CreateRouteTable',
          'AssociateRouteTable',
          'DisassociateRouteTable',
          'ReplaceRouteTableAssociation',
        ],
      },
    ]);
  });

  it('BLACKHOLE_DEFAULT_ROUTE to a deleted NAT gateway also looks up that gateway for DeleteNatGateway, not the fix’s live one', () => {
    const network = withNewSubnetRoutes(
      seedNetwork({ natGateways: [natGateway(), natGateway({ natGatewayId: DEAD_NAT, state: 'deleted' })] }),
      [route('0.0.0.0/0', { kind: 'nat-gateway', id: DEAD_NAT })],
    );
    const [blackhole] = diagnoseRouting({ region, network, instances: [instance()] });
    expect(blackhole).toMatchObject({
      code: 'BLACKHOLE_DEFAULT_ROUTE',
      natGatewayId: NAT,
      deadNatGatewayId: DEAD_NAT,
    });
    const targets = changeTargets(blackhole as Finding);
    expect(names(targets)).toEqual([NEW_TABLE, DEAD_NAT]);
    expect(targets[1]?.eventNames).toEqual(['DeleteNatGateway']);
  });

  it('BLACKHOLE_DEFAULT_ROUTE whose NAT gateway no longer exists at all still names that gateway', () => {
    const gone = 'nat-0gone000000000000';
    const network = withNewSubnetRoutes(seedNetwork(), [
      route('0.0.0.0/0', { kind: 'nat-gateway', id: gone }),
    ]);
    const [blackhole] = diagnoseRouting({ region, network, instances: [instance()] });
    expect(names(changeTargets(blackhole as Finding))).toEqual([NEW_TABLE, gone]);
  });

  it('NO_PUBLIC_IP names the subnet as its resource, but the lookup is of its route table', () => {
    const network = withNewSubnetRoutes(seedNetwork(), [
      route('0.0.0.0/0', { kind: 'internet-gateway', id: IGW }),
    ]);
    const [noIp] = diagnoseRouting({ region, network, instances: [instance()] });
    expect(noIp).toMatchObject({ code: 'NO_PUBLIC_IP', resourceId: 'subnet-0e5e4b6c1d2a3f405' });
    expect(names(changeTargets(noIp as Finding))).toEqual([NEW_TABLE]);
  });

  it.each([
    ['MISSING_VPC_ENDPOINTS', VPC, VPC, ['CreateVpcEndpoint', 'DeleteVpcEndpoints', 'ModifyVpcEndpoint']],
    [
      'NACL_BLOCKS_EGRESS',
      'acl-0b10cked00000000',
      'acl-0b10cked00000000',
      [
        'CreateNetworkAclEntry',
        'ReplaceNetworkAclEntry',
        'DeleteNetworkAclEntry',
        'ReplaceNetworkAclAssociation',
        'CreateNetworkAcl',
      ],
    ],
    ['VPC_DNS_DISABLED', VPC, VPC, ['ModifyVpcAttribute', 'CreateVpc']],
  ] as const)('%s looks up %s', (code, resourceId, resourceName, eventNames) => {
    expect(changeTargets(finding({ code, resourceId }))).toEqual([
      { resourceName, eventSource: 'ec2.amazonaws.com', eventNames },
    ]);
  });

  it('SECURITY_GROUP_BLOCKS_EGRESS looks for egress rule changes only: a stateful group’s ingress cannot block egress', () => {
    const [target] = changeTargets(
      finding({ code: 'SECURITY_GROUP_BLOCKS_EGRESS', resourceId: 'sg-0c1u5ter000000001' }),
    );
    expect(target?.resourceName).toBe('sg-0c1u5ter000000001');
    expect(target?.eventNames).toContain('RevokeSecurityGroupEgress');
    expect(target?.eventNames).toContain('ModifySecurityGroupRules');
    expect(target?.eventNames).not.toContain('RevokeSecurityGroupIngress');
  });

  it('ENDPOINT_ACCESS_EXCLUDES_NODES looks up the cluster by name for EKS calls', () => {
    const byArn = finding({
      code: 'ENDPOINT_ACCESS_EXCLUDES_NODES',
      resourceId: 'arn:aws:eks:us-west-2:123456789012:cluster/eks-workshop',
    });
    expect(changeTargets(byArn)).toEqual([
      {
        resourceName: 'eks-workshop',
        eventSource: 'eks.amazonaws.com',
        eventNames: ['UpdateClusterConfig', 'CreateCluster'],
      },
    ]);
    // Without an ARN the finding names the cluster itself.
    expect(
      names(changeTargets(finding({ code: 'ENDPOINT_ACCESS_EXCLUDES_NODES', resourceId: 'eks-workshop' }))),
    ).toEqual(['eks-workshop']);
  });

  it.each([
    'NODES_NOT_JOINED',
    'NODE_ROLE_MISSING_POLICY',
    'CLUSTER_API_UNREACHABLE',
    'NODEGROUP_HEALTH_ISSUE',
  ] as const)('%s is not a resource change: nothing to look up', (code) => {
    expect(
      changeTargets(finding({ code, resourceId: 'arn:aws:eks:us-west-2:123456789012:nodegroup/x' })),
    ).toEqual([]);
  });
});

describe('relevantChange: the most recent change that bears on the finding', () => {
  const [table] = changeTargets(
    finding({ code: 'NO_DEFAULT_ROUTE', resourceId: NEW_TABLE, routeTableId: NEW_TABLE }),
  ) as [ChangeTarget];

  it('picks the newest relevant write, whatever order the events come in', () => {
    const events = [
      event('CreateRoute', '2026-09-01T08:00:00Z'),
      event('DeleteRoute', '2026-11-26T10:02:00Z', { principalArn: ROLE }),
      event('AssociateRouteTable', '2026-10-15T12:00:00Z'),
    ];
    expect(relevantChange(table, events)).toMatchObject({ eventName: 'DeleteRoute', principalArn: ROLE });
    expect(relevantChange(table, [...events].reverse())?.eventName).toBe('DeleteRoute');
  });

  it('skips read-only calls, calls that do not change routing, and same-named calls of other services', () => {
    const events = [
      event('DescribeRouteTables', '2026-11-26T11:00:00Z', { readOnly: true }),
      event('CreateRoute', '2026-11-26T10:59:00Z', { readOnly: true }),
      event('CreateTags', '2026-11-26T10:58:00Z'),
      event('CreateRoute', '2026-11-26T10:57:00Z', { eventSource: 'apigateway.amazonaws.com' }),
      event('ReplaceRoute', '2026-11-20T09:00:00Z'),
    ];
    expect(relevantChange(table, events)?.eventName).toBe('ReplaceRoute');
  });

  it('counts this tool’s own CreateRoute as a change like any other', () => {
    const tool = 'arn:aws:sts::123456789012:assumed-role/eks-join-remediator-JoinCheck/i-run';
    expect(
      relevantChange(table, [event('CreateRoute', '2026-11-26T10:30:00Z', { principalArn: tool })])
        ?.principalArn,
    ).toBe(tool);
  });

  it('finds nothing in a history without a relevant write', () => {
    expect(relevantChange(table, [])).toBeUndefined();
    expect(relevantChange(table, [event('CreateTags', '2026-11-26T10:58:00Z')])).toBeUndefined();
  });

  it('latestChange over a table and its dead NAT gateway: the gateway’s deletion is newer than the route', () => {
    const nat: ChangeTarget = {
      resourceName: DEAD_NAT,
      eventSource: 'ec2.amazonaws.com',
      eventNames: ['DeleteNatGateway'],
    };
    const change = latestChange([
      { target: table, events: [event('CreateRoute', '2026-08-01T08:00:00Z')] },
      { target: nat, events: [event('DeleteNatGateway', '2026-11-26T09:12:00Z', { principalArn: ROLE })] },
    ]);
    expect(change).toMatchObject({ eventName: 'DeleteNatGateway', principalArn: ROLE });
  });
});
