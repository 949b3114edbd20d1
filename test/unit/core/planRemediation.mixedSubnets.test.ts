/**
 * planRemediation when the unjoined instances do not all sit behind the route that is fixed: only
 * those behind it are recycled, the others are refused by name, and scale-cycle (which would replace
 * every instance) gives way to replacing each one. Also: an instance known only by its verdict.
 */
import { describe, expect, it } from 'vitest';
import type { RecycleStrategy } from '../../../functions/core/model/settings.js';
import type { Instance, InstanceVerdict } from '../../../functions/core/model/types.js';
import { planRemediation } from '../../../functions/core/remediate/planRemediation.js';
import { diagnoseRouting } from '../../support/diagnoseRouting.js';
import {
  instance,
  NEW_SUBNET,
  NEW_TABLE,
  nodegroup,
  PRIVATE_SUBNET,
  PUBLIC_SUBNET,
  seedNetwork,
} from '../../support/factories.js';

const LONG_AGO = '2026-11-26T09:00:00.000Z';
const behindFix = instance({ instanceId: 'i-0aaa', subnetId: NEW_SUBNET, launchedAt: LONG_AGO });
const elsewhere = instance({ instanceId: 'i-0bbb', subnetId: PRIVATE_SUBNET, launchedAt: LONG_AGO });

function unjoined(i: Instance): InstanceVerdict {
  return {
    instanceId: i.instanceId,
    subnetId: i.subnetId,
    launchedAt: i.launchedAt,
    joined: false,
    pending: false,
    state: 'running',
  };
}

function plan(
  instances: Instance[],
  {
    recycleStrategy = 'replace-unjoined',
    verdicts = instances.map(unjoined),
    minSize = 0,
  }: { recycleStrategy?: RecycleStrategy; verdicts?: InstanceVerdict[]; minSize?: number } = {},
) {
  const network = seedNetwork();
  return planRemediation({
    region: 'us-west-2',
    cluster: 'eks-workshop',
    nodegroup: nodegroup({ scaling: { minSize, maxSize: 4, desiredSize: verdicts.length } }),
    verdicts,
    instances,
    findings: diagnoseRouting({ region: 'us-west-2', network, instances: [behindFix, elsewhere] }),
    networks: [network],
    clusterSubnetIds: [PUBLIC_SUBNET, PRIVATE_SUBNET, NEW_SUBNET],
    allowMainRouteTable: false,
    allowSharedRouteTable: false,
    recycleStrategy,
    loopGuard: { allowed: true },
    secondsLeft: 840,
  });
}

const shape = (actions: ReturnType<typeof plan>) =>
  actions.map((a) => ({
    type: a.type,
    status: a.status,
    reasonCode: a.reasonCode,
    ...((a.type === 'replace-instances' || a.type === 'scale-cycle') && { instanceIds: a.instanceIds }),
  }));

/** The route, then a replacement of the instance behind it; the other is refused by name. */
const ROUTE_THEN_ONLY_BEHIND_IT = [
  { type: 'create-route', status: 'planned', reasonCode: undefined },
  { type: 'replace-instances', status: 'planned', reasonCode: undefined, instanceIds: ['i-0aaa'] },
  { type: 'replace-instances', status: 'skipped', reasonCode: 'ROUTE_NOT_FIXED', instanceIds: ['i-0bbb'] },
];

describe('planRemediation: unjoined instances behind and not behind the fixed route', () => {
  it('replaces the one behind the fix and refuses the other by name', () => {
    const actions = plan([behindFix, elsewhere]);
    expect(shape(actions)).toEqual(ROUTE_THEN_ONLY_BEHIND_IT);
    expect(actions[1]).toMatchObject({ routeTableId: NEW_TABLE });
  });

  it('does not scale-cycle over an instance whose route is not fixed: it replaces each one behind the fix', () => {
    const actions = plan([behindFix, elsewhere], { recycleStrategy: 'scale-cycle' });
    expect(shape(actions)).toEqual(ROUTE_THEN_ONLY_BEHIND_IT);
    expect(actions[1]).toMatchObject({ scaleCycleBlockedBy: 'ROUTE_NOT_FIXED', blockers: ['i-0bbb'] });
  });

  it('names the minimum size that keeps scale-cycle from being used', () => {
    const actions = plan([behindFix], { recycleStrategy: 'scale-cycle', minSize: 1 });
    expect(actions[1]).toMatchObject({
      type: 'replace-instances',
      status: 'planned',
      scaleCycleBlockedBy: 'MIN_SIZE',
      blockers: ['minimum size 1'],
    });
  });

  it('places an instance the group no longer lists by the subnet of its verdict', () => {
    const actions = plan([], { verdicts: [unjoined(behindFix)] });
    expect(shape(actions)).toEqual([
      { type: 'create-route', status: 'planned', reasonCode: undefined },
      { type: 'replace-instances', status: 'planned', reasonCode: undefined, instanceIds: ['i-0aaa'] },
    ]);
  });

  it('refuses to recycle an instance whose subnet is not in any network read', () => {
    const lost = unjoined(instance({ instanceId: 'i-0ccc', subnetId: 'subnet-0gone0000000001' }));
    const actions = plan([], { verdicts: [unjoined(behindFix), lost] });
    expect(shape(actions).slice(1)).toEqual([
      { type: 'replace-instances', status: 'planned', reasonCode: undefined, instanceIds: ['i-0aaa'] },
      {
        type: 'replace-instances',
        status: 'skipped',
        reasonCode: 'ROUTE_NOT_FIXED',
        instanceIds: ['i-0ccc'],
      },
    ]);
  });
});
