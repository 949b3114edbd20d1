/** The bounded fan-out of the check's reads: at most `limit` calls in flight, results in input order. */
import { describe, expect, it } from 'vitest';
import { mapWithConcurrency } from '../../../functions/core/check/mapWithConcurrency.js';

describe('mapWithConcurrency', () => {
  it('keeps at most `limit` calls in flight, and returns the results in input order', async () => {
    let inFlight = 0;
    let most = 0;
    const items = [5, 1, 4, 2, 3, 0, 6, 2, 1, 3];
    const results = await mapWithConcurrency(items, 4, async (n) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, n));
      inFlight -= 1;
      return n * 10;
    });
    expect(most).toBe(4);
    expect(results).toEqual(items.map((n) => n * 10));
  });

  it('calls each item once, and nothing for no items', async () => {
    const seen: number[] = [];
    expect(await mapWithConcurrency([1, 2, 3], 8, async (n) => seen.push(n))).toHaveLength(3);
    expect(seen.sort()).toEqual([1, 2, 3]);
    expect(await mapWithConcurrency([], 4, async () => 1)).toEqual([]);
  });
});
