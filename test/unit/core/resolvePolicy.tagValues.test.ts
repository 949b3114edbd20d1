/** Policy tag values as people type them: surrounding spaces are forgiven, a wrong value is reported. */
import { describe, expect, it } from 'vitest';
import { POLICY_TAG, resolvePolicy } from '../../../functions/core/check/resolvePolicy.js';

describe('resolvePolicy: tag values', () => {
  it('reads a policy with surrounding spaces', () => {
    const nodegroupTags = { [POLICY_TAG]: ' remediate ' };
    expect(resolvePolicy({ nodegroupTags, clusterTags: {}, accountDefault: 'notify' })).toEqual({
      policy: 'remediate',
      source: 'nodegroup tag',
    });
  });

  it('reports a wrong cluster tag when it falls back to the default', () => {
    const clusterTags = { [POLICY_TAG]: 'yes' };
    expect(resolvePolicy({ nodegroupTags: {}, clusterTags, accountDefault: 'notify' })).toEqual({
      policy: 'notify',
      source: 'default',
      invalidTag: { on: 'cluster', value: 'yes' },
    });
  });
});
