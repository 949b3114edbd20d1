import { subnetsOf } from '../../functions/core/diagnose/diagnoseNetwork.js';
import {
  diagnoseSubnetRouting,
  type SubnetRoutingInput,
} from '../../functions/core/diagnose/diagnoseRouting.js';
import type { Finding, Instance } from '../../functions/core/model/types.js';

export interface RoutingInput extends Omit<SubnetRoutingInput, 'subnetId' | 'instances'> {
  /** The instances to explain, each judged in its own subnet. */
  instances: Instance[];
  /** Subnets to judge even with no instance in them (as at preflight). */
  subnetIds?: string[];
}

/**
 * The routing findings for some instances and subnets, one subnet after another, as diagnoseNetwork
 * gathers them: lets a test state a topology's routing verdicts without the other network checks.
 */
export function diagnoseRouting({ instances, subnetIds = [], ...rest }: RoutingInput): Finding[] {
  const subnets = subnetsOf(instances);
  for (const subnetId of subnetIds) {
    if (!subnets.some((s) => s.subnetId === subnetId)) subnets.push({ subnetId, instances: [] });
  }
  return subnets.flatMap(
    ({ subnetId, instances }) => diagnoseSubnetRouting({ ...rest, subnetId, instances }) ?? [],
  );
}
