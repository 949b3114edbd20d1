import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import type { DeploymentSettings } from '../../infra/config.js';
import { FULL_SETTINGS, synthStack } from './synthStack.js';

const VARIANTS: Record<string, DeploymentSettings> = {
  'the defaults': {},
  'notify on one cluster with e-mail': { clusters: ['eks-workshop'], alertEmails: ['platform@example.com'] },
  'remediate with Slack, VPC scoping and a VPC-attached function': FULL_SETTINGS,
};

describe('cdk-nag AwsSolutions checks', () => {
  for (const [name, settings] of Object.entries(VARIANTS)) {
    it(`pass with every finding acknowledged in code (${name})`, () => {
      const { stack } = synthStack(settings, { nag: true });
      const annotations = Annotations.fromStack(stack);
      const findings = [
        ...annotations.findError('*', Match.stringLikeRegexp('AwsSolutions-.*')),
        ...annotations.findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*')),
      ].map((m) => `${m.id}: ${String(m.entry.data).split('\n')[0]}`);
      expect(findings).toEqual([]);
    });
  }

  it('every acknowledgement gives a reason', () => {
    const { template } = synthStack(FULL_SETTINGS, { nag: true });
    const resources = template.toJSON().Resources as Record<
      string,
      { Metadata?: { cdk_nag?: { rules_to_suppress: { id: string; reason: string }[] } } }
    >;
    const acknowledged = Object.values(resources).flatMap(
      (r) => r.Metadata?.cdk_nag?.rules_to_suppress ?? [],
    );
    expect(acknowledged.length).toBeGreaterThan(0);
    for (const { id, reason } of acknowledged) expect(reason.length, id).toBeGreaterThan(40);
  });
});
