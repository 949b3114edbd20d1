/**
 * Escalations: a person is needed, because the loop guard stopped a fix that keeps being needed, or
 * because the replacements of a remediation did not join either. Critical, in the nodegroup's
 * thread, with the guard's own words (from its data) or the replacements named, and where to look.
 * Inputs from the real check on the in-memory account.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { formatAlert, threadIdFor } from '../../../functions/alerts/formatAlert.js';
import type { InstanceVerdict, NodegroupReport } from '../../../functions/core/model/types.js';
import { bodyOf, chatOf, occurrences } from '../../support/alertChecks.js';
import {
  escalatedAfterFix,
  escalatedByLoopGuard,
  mainTableRefused,
  problem,
  routeActionOf,
} from '../../support/alertScenarios.js';
import { NAT } from '../../support/factories.js';
import { expectHeadline, usePublished } from '../../support/publishedAlerts.js';
import { SEED_ASG, SEED_INSTANCE, SEED_TABLE } from '../../support/seedCheck.js';

const FIX = `aws ec2 create-route --route-table-id ${SEED_TABLE} --destination-cidr-block 0.0.0.0/0 --nat-gateway-id ${NAT} --region us-west-2`;

describe('escalation by the loop guard', () => {
  const p = usePublished(escalatedByLoopGuard);

  it('says a person is needed and why, critical, in the nodegroup thread', () => {
    expectHeadline(p, {
      alertKind: 'escalation',
      title:
        ':rotating_light: eks-workshop/new_nodegroup_2: needs a person — loop guard reached, NO_DEFAULT_ROUTE persists',
      // 104 characters: cut to fit SNS.
      subject:
        '[ESCALATION] eks-workshop/new_nodegroup_2: needs a person - loop guard reached, NO_DEFAULT_ROUTE...',
      severity: 'critical',
      eventType: 'RemediationEscalated',
    });
    expect(p.chat.metadata.threadId).toBe(threadIdFor('eks-workshop', 'new_nodegroup_2'));
  });

  it('gives the guard its words once, then what a person must run', () => {
    const stopped = routeActionOf(p.nodegroup.actions, 'skipped');
    expect(stopped).toMatchObject({ reasonCode: 'LOOP_GUARD', loopGuard: { remediations: 2, limit: 2 } });
    const words = stopped.reason.replace(/^loop guard: /, '').replace(/; planned: .*$/, '');
    const { description, nextSteps } = p.chat.content;
    expect(description).toContain(`*Why a person is needed*\n• Loop guard: ${words}\n`);
    expect(occurrences(description, 'loop guard: loop guard')).toBe(0);
    expect(description).toContain('*Skipped (2): a person must act*');
    expect(description).toContain(`— ${stopped.reason}\n      ↳ by hand: \`${FIX}\``);
    expect(nextSteps[0]).toBe(`*NO_DEFAULT_ROUTE*: \`${FIX}\``);
    expect(p.email).toContain(`WHY A PERSON IS NEEDED\n  - Loop guard: ${words}\n`);
    expect(p.email).toContain(`    Reason: ${stopped.reason}`);
    expect(p.alert.structure.default).not.toContain('delete-route');
    expect(p.email).not.toContain('delete-route');
  });

  it('words the guard from its data, not from the reason of the action it stopped', () => {
    const stopped = {
      ...routeActionOf(p.nodegroup.actions, 'skipped'),
      loopGuard: { remediations: 3, limit: 3, windowSeconds: 90 * 60 },
      reason: 'words that say nothing of the guard',
    };
    const alert = formatAlert(p.report, { ...p.nodegroup, actions: [stopped] });
    expect(chatOf(alert).content.title).toContain('loop guard reached');
    expect(chatOf(alert).content.description).toContain(
      '*Why a person is needed*\n• Loop guard: 3 remediation(s) of this nodegroup in the last 1.5 h (limit 3), so nothing more is changed automatically\n',
    );
  });

  it('does not claim the loop guard for a reason that merely mentions it', async () => {
    const refused = routeActionOf((await mainTableRefused('remediate')).nodegroup.actions, 'skipped');
    const alert = formatAlert(p.report, {
      ...p.nodegroup,
      actions: [{ ...refused, reason: 'loop guard: words from somewhere else' }],
    });
    expect(chatOf(alert).content.title).not.toContain('loop guard reached');
    expect(chatOf(alert).content.description).not.toContain('• Loop guard:');
    expect(alert.structure.email).not.toContain('  - Loop guard:');
  });
});

describe('escalation because the replacements did not join', () => {
  const p = usePublished(escalatedAfterFix);
  let unjoined: InstanceVerdict;
  beforeAll(() => {
    unjoined = p.nodegroup.instances[0] as InstanceVerdict;
  });

  it('says the fix did not help and names the replacements', () => {
    const at = p.nodegroup.remediation?.at;
    expect(p.nodegroup.remediation?.status).toBe('escalated');
    expectHeadline(p, {
      alertKind: 'escalation',
      title: `:rotating_light: eks-workshop/new_nodegroup_2: needs a person — the fix did not help: replacements ${unjoined.instanceId} have not joined`,
      subject: /^\[ESCALATION\] eks-workshop\/new_nodegroup_2: needs a person - the fix did not help/,
      severity: 'critical',
      eventType: 'RemediationEscalated',
    });
    expect(p.chat.content.description).toContain(
      `• The fix did not help: after the remediation of ${at} (route fixed, 1 node replaced), replacements ${unjoined.instanceId} have not joined.`,
    );
    expect(p.email).toContain('WHY A PERSON IS NEEDED\n  - The fix did not help');
  });

  it('shows the remediation, how to undo it, and where to look first', () => {
    const record = p.nodegroup.remediation;
    const route = routeActionOf(record?.actions ?? [], 'done');
    const { description, nextSteps } = p.chat.content;
    expect(description).toContain(`*Remediation of ${record?.at}* (escalated)`);
    expect(description).toContain(`\`${route.before}\` → \`${route.after}\``);
    expect(description).toContain(`*Never joined (1)*\n• \`${unjoined.instanceId}\``);
    expect(description).toContain(`*To undo*\n• create-route on \`${SEED_TABLE}\``);
    expect(nextSteps[0]).toContain(
      `\`aws ec2 get-console-output --instance-id ${unjoined.instanceId} --latest --output text --region us-west-2\``,
    );
    expect(nextSteps).toContain(`*Undo* create-route on \`${SEED_TABLE}\` → \`${NAT}\`: \`${route.undo}\``);
    expect(p.email).toContain(`REMEDIATION OF ${record?.at} (escalated)`);
    expect(p.email).toContain(
      `TO UNDO THE REMEDIATION\n  create-route on ${SEED_TABLE} → ${NAT}:\n    ${route.undo}`,
    );
    expect(p.email).toContain('INVESTIGATE: the boot log of an instance that did not join');
    expect(p.chat.metadata.relatedResources).toEqual(
      expect.arrayContaining([unjoined.instanceId, SEED_INSTANCE, SEED_ASG]),
    );
  });

  it('keeps the kind and the remediation in the JSON report', () => {
    // The report as published holds no nodegroup yet: the JSON variant adds this one.
    expect(JSON.parse(p.alert.structure.sqs)).toEqual({ ...p.report, nodegroups: [p.nodegroup] });
    expect(bodyOf(p.alert).nodegroups[0]?.alertKind).toBe('escalation');
  });

  describe('with the instances of before the fix', () => {
    let old: InstanceVerdict;
    let findings: NodegroupReport['findings'];
    beforeAll(async () => {
      const found = await problem();
      old = found.nodegroup.instances[0] as InstanceVerdict;
      findings = found.nodegroup.findings.filter((f) => f.code === 'NODES_NOT_JOINED');
    });

    it('says when the old instances were never replaced', () => {
      const alert = formatAlert(p.report, { ...p.nodegroup, instances: [old], findings });
      expect(chatOf(alert).content.title).toBe(
        `:rotating_light: eks-workshop/new_nodegroup_2: needs a person — the fix did not help: ${SEED_INSTANCE} still not joined`,
      );
    });

    it('does not call an old instance that still did not join a replacement', () => {
      const older = { ...old, instanceId: 'i-0d0000000000000dd', launchedAt: '2026-11-26T08:00:00.000Z' };
      const both = p.nodegroup.findings.map((f) =>
        f.code === 'NODES_NOT_JOINED' ? { ...f, instanceIds: [older.instanceId, unjoined.instanceId] } : f,
      );
      const alert = formatAlert(p.report, { ...p.nodegroup, instances: [older, unjoined], findings: both });
      expect(chatOf(alert).content.title).toBe(
        `:rotating_light: eks-workshop/new_nodegroup_2: needs a person — the fix did not help: replacements ${unjoined.instanceId} have not joined`,
      );
      expect(chatOf(alert).content.description).toContain(
        `replacements ${unjoined.instanceId} have not joined; i-0d0000000000000dd was not replaced and has not joined.`,
      );
    });
  });
});
