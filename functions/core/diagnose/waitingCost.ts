import type { InstanceVerdict, WaitingCost } from '../model/types.js';
import { onDemandHourlyUsd } from './onDemandPrices.js';

/** Stands for an instance whose type EC2 did not give: it has no price either. */
export const UNKNOWN_TYPE = 'unknown';

/**
 * How long the given (unjoined or not-ready) instances have run and their estimated on-demand price
 * per hour; undefined when there are none. An instance listed twice counts once.
 */
export function waitingCost(verdicts: InstanceVerdict[], now: Date): WaitingCost | undefined {
  const instances = [...new Map(verdicts.map((v) => [v.instanceId, v])).values()];
  if (instances.length === 0) return undefined;

  let longestRunningSeconds = 0;
  let priced = 0;
  let hourlyUsd = 0;
  const unpriced = new Set<string>();
  for (const instance of instances) {
    const launched = instance.launchedAt ? Date.parse(instance.launchedAt) : Number.NaN;
    if (Number.isFinite(launched)) {
      // A clock behind the launch time is not negative time.
      longestRunningSeconds = Math.max(longestRunningSeconds, Math.floor((now.getTime() - launched) / 1000));
    }
    const type = instance.instanceType ?? UNKNOWN_TYPE;
    const price = onDemandHourlyUsd(type);
    if (price === undefined) {
      unpriced.add(type);
    } else {
      priced++;
      hourlyUsd += price;
    }
  }
  return {
    instances: instances.length,
    longestRunningSeconds,
    // Sums of binary fractions drift (0.1 + 0.2): a price to four decimals is all the table has.
    ...(priced > 0 && { hourlyUsd: Math.round(hourlyUsd * 10_000) / 10_000 }),
    unpricedTypes: [...unpriced].sort(),
  };
}
