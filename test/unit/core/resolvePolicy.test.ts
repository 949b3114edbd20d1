import { describe, expect, it } from 'vitest';
import { POLICY_TAG, resolvePolicy } from '../../../functions/core/check/resolvePolicy.js';

const none = {};

describe('resolvePolicy', () => {
  it('uses the account default when no tag is set', () => {
    expect(resolvePolicy({ nodegroupTags: none, clusterTags: none, accountDefault: 'notify' })).toEqual({
      policy: 'notify',
      source: 'default',
    });
  });

  it('lets the cluster tag beat the default, and the nodegroup tag beat the cluster tag', () => {
    const clusterTags = { [POLICY_TAG]: 'dry-run' };
    expect(resolvePolicy({ nodegroupTags: none, clusterTags, accountDefault: 'notify' })).toMatchObject({
      policy: 'dry-run',
      source: 'cluster tag',
    });
    expect(
      resolvePolicy({ nodegroupTags: { [POLICY_TAG]: 'off' }, clusterTags, accountDefault: 'notify' }),
    ).toMatchObject({ policy: 'off', source: 'nodegroup tag' });
  });

  it('lets an explicit command-line policy beat every tag', () => {
    expect(
      resolvePolicy({
        explicit: 'notify',
        nodegroupTags: { [POLICY_TAG]: 'remediate' },
        clusterTags: { [POLICY_TAG]: 'remediate' },
        accountDefault: 'remediate',
      }),
    ).toEqual({ policy: 'notify', source: 'command line' });
  });

  it('ignores a tag value that is not a policy, falls through, and reports it', () => {
    expect(
      resolvePolicy({
        nodegroupTags: { [POLICY_TAG]: 'fix-it' },
        clusterTags: { [POLICY_TAG]: 'dry-run' },
        accountDefault: 'notify',
      }),
    ).toEqual({ policy: 'dry-run', source: 'cluster tag', invalidTag: { on: 'nodegroup', value: 'fix-it' } });
  });
});
