import { describe, expect, it } from 'vitest';
import { isWatchedCluster, watchedCluster } from '../../../functions/core/model/watchedClusters.js';

describe('watched clusters (CLUSTERS)', () => {
  it('reads NAME and REGION/NAME', () => {
    expect(watchedCluster('prod')).toEqual({ name: 'prod' });
    expect(watchedCluster('eu-west-1/prod')).toEqual({ region: 'eu-west-1', name: 'prod' });
  });

  it('a name watches that cluster in every region; REGION/NAME only in its region', () => {
    expect(isWatchedCluster(['prod'], 'eu-west-1', 'prod')).toBe(true);
    expect(isWatchedCluster(['prod'], undefined, 'prod')).toBe(true);
    expect(isWatchedCluster(['us-west-2/prod'], 'us-west-2', 'prod')).toBe(true);
    expect(isWatchedCluster(['us-west-2/prod'], 'eu-west-1', 'prod')).toBe(false);
    expect(isWatchedCluster(['us-west-2/prod'], undefined, 'prod')).toBe(false);
    expect(isWatchedCluster(['us-west-2/prod'], 'us-west-2', 'prod-2')).toBe(false);
    expect(isWatchedCluster([], 'us-west-2', 'prod')).toBe(false);
  });
});
