import { describe, expect, it } from 'vitest';
import { onDemandHourlyUsd } from '../../../functions/core/diagnose/onDemandPrices.js';
import { UNKNOWN_TYPE, waitingCost } from '../../../functions/core/diagnose/waitingCost.js';
import type { InstanceVerdict } from '../../../functions/core/model/types.js';

const now = new Date('2026-12-02T05:00:00Z');
const minutesAgo = (minutes: number) => new Date(now.getTime() - minutes * 60_000).toISOString();
const unjoined = (instanceId: string, overrides: Partial<InstanceVerdict> = {}): InstanceVerdict => ({
  instanceId,
  subnetId: 'subnet-4575615e8164fa633',
  joined: false,
  pending: false,
  state: 'running',
  ...overrides,
});

describe('waitingCost', () => {
  it('says nothing when nothing waits', () => {
    expect(waitingCost([], now)).toBeUndefined();
  });

  it('adds the hourly prices of the stranded instances and takes the longest run', () => {
    const cost = waitingCost(
      [
        unjoined('i-0a1b2c3d4e5f60718', { instanceType: 'm5.large', launchedAt: minutesAgo(42) }),
        unjoined('i-0b1b2c3d4e5f60718', { instanceType: 'm5.large', launchedAt: minutesAgo(17) }),
        unjoined('i-0c1b2c3d4e5f60718', { instanceType: 't3.medium', launchedAt: minutesAgo(5) }),
      ],
      now,
    );

    expect(cost).toEqual({
      instances: 3,
      longestRunningSeconds: 42 * 60,
      hourlyUsd: 0.2336, // 2 × 0.096 + 0.0416, without float dust
      unpricedTypes: [],
    });
  });

  it('names the types it has no price for, and leaves their cost out rather than guess', () => {
    const cost = waitingCost(
      [
        unjoined('i-1', { instanceType: 'm5.large', launchedAt: minutesAgo(10) }),
        unjoined('i-2', { instanceType: 'x2iedn.32xlarge', launchedAt: minutesAgo(10) }),
        unjoined('i-3', { instanceType: 'x2iedn.32xlarge', launchedAt: minutesAgo(10) }),
        unjoined('i-4', { launchedAt: minutesAgo(10) }),
      ],
      now,
    );

    expect(cost).toMatchObject({
      instances: 4,
      hourlyUsd: 0.096,
      unpricedTypes: [UNKNOWN_TYPE, 'x2iedn.32xlarge'],
    });
  });

  it('has no hourly price at all when no type is priced', () => {
    const cost = waitingCost(
      [unjoined('i-1', { instanceType: 'u-24tb1.112xlarge', launchedAt: minutesAgo(3) })],
      now,
    );

    expect(cost).toEqual({ instances: 1, longestRunningSeconds: 180, unpricedTypes: ['u-24tb1.112xlarge'] });
    expect(cost).not.toHaveProperty('hourlyUsd');
  });

  it('counts an instance listed twice once, and never runs time backwards', () => {
    const late = unjoined('i-1', { instanceType: 'c6g.large', launchedAt: '2026-12-02T05:03:00Z' });

    expect(waitingCost([late, late, unjoined('i-2', { instanceType: 'c6g.large' })], now)).toEqual({
      instances: 2,
      longestRunningSeconds: 0,
      hourlyUsd: 0.136,
      unpricedTypes: [],
    });
  });
});

describe('onDemandHourlyUsd', () => {
  it.each([
    ['t3.medium', 0.0416],
    ['m6i.xlarge', 0.192],
    ['m7g.large', 0.0816],
    ['c7i.large', 0.08925],
    ['t4g.small', 0.0168],
    ['g5.xlarge', 1.006],
  ])('prices %s at %s USD per hour (us-east-1, Linux)', (type, price) => {
    expect(onDemandHourlyUsd(type)).toBe(price);
  });

  it('has no price for a type outside the table, nor for names that only look like keys', () => {
    expect(onDemandHourlyUsd('m5.metal')).toBeUndefined();
    expect(onDemandHourlyUsd('toString')).toBeUndefined();
    expect(onDemandHourlyUsd('__proto__')).toBeUndefined();
  });
});
