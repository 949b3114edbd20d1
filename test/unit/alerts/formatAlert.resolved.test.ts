/**
 * The follow-up that closes a remediation: its replacements joined. Info, in the same chat thread,
 * naming what was done and who joined, with nothing left to undo. Inputs from the real check: a
 * remediation on the in-memory account, then the replacement joins.
 */
import { describe, expect, it } from 'vitest';
import { formatAlert } from '../../../functions/alerts/formatAlert.js';
import { chatOf } from '../../support/alertChecks.js';
import { problem, resolved, routeActionOf } from '../../support/alertScenarios.js';
import { expectHeadline, usePublished } from '../../support/publishedAlerts.js';
import { SEED_ASG, SEED_INSTANCE, SEED_TABLE } from '../../support/seedCheck.js';

const WATCH = 'kubectl get nodes -l eks.amazonaws.com/nodegroup=new_nodegroup_2';

describe('resolved', () => {
  const p = usePublished(resolved);
  const found = usePublished(problem);

  it('says it is resolved, at severity info, in the thread of the problem', () => {
    expectHeadline(p, {
      alertKind: 'resolved',
      title: ':large_green_circle: eks-workshop/new_nodegroup_2: resolved — replacements joined',
      subject: '[RESOLVED] eks-workshop/new_nodegroup_2: resolved - replacements joined',
      severity: 'info',
      eventType: 'NodesJoined',
    });
    expect(p.chat.metadata.threadId).toBe(found.chat.metadata.threadId);
    expect(p.chat.id).not.toBe(found.chat.id);
    expect(p.chat.metadata.additionalContext).toMatchObject({
      alertKind: 'resolved',
      remediatedAt: p.nodegroup.remediation?.at,
    });
  });

  it('names the remediation, its done actions and the replacements that joined', () => {
    const record = p.nodegroup.remediation;
    expect(record?.status).toBe('resolved');
    const route = routeActionOf(record?.actions ?? [], 'done');
    const [replacement] = p.nodegroup.instances;
    const { description } = p.chat.content;
    expect(description).toContain(`*Remediation of ${record?.at}* (resolved)`);
    expect(description).toContain(
      `:white_check_mark: *Done* create-route \`${SEED_TABLE}\`: \`${route.before}\` → \`${route.after}\``,
    );
    expect(description).toContain(
      `:white_check_mark: *Done* replace-instances on 1 instance of \`${SEED_ASG}\`: \`${SEED_INSTANCE}\``,
    );
    expect(description).toContain(
      `*Replacements joined (1)*\n• \`${replacement?.instanceId}\` as \`${replacement?.nodeName}\` (Ready), launched ${replacement?.launchedAt}`,
    );
    expect(p.email).toContain(`REMEDIATION OF ${record?.at} (resolved)`);
    expect(p.email).toContain(`    Before: ${route.before}\n    After:  ${route.after}`);
    expect(p.email).toContain(
      `Replacements that joined (1):\n  - ${replacement?.instanceId} as ${replacement?.nodeName} (Ready)`,
    );
    expect(p.email).not.toContain('FINDINGS');
  });

  it('counts the other nodes that joined without listing them as replacements', () => {
    const older = {
      ...p.nodegroup.instances[0],
      instanceId: 'i-0c0000000000000aa',
      nodeName: 'ip-10-42-200-40',
      launchedAt: '2026-11-20T08:00:00.000Z',
    };
    const nodegroup = {
      ...p.nodegroup,
      instances: [...p.nodegroup.instances, older as (typeof p.nodegroup.instances)[0]],
    };
    const { description } = chatOf(formatAlert(p.report, nodegroup)).content;
    expect(description).toContain('*Replacements joined (1)*');
    expect(description).toContain('\n1 other node joined');
    expect(description).not.toContain('i-0c0000000000000aa');
  });

  it('offers no undo once the fix worked, only how to see the nodes', () => {
    expect(p.alert.structure.default).not.toContain('delete-route');
    expect(p.email).not.toContain('delete-route');
    expect(p.chat.content.nextSteps).toEqual([`Nothing left to do. To see the nodes: \`${WATCH}\``]);
  });

  it('shows only the done actions of the remediation, not what it refused', () => {
    const record = p.nodegroup.remediation;
    if (!record) throw new Error('no remediation');
    const refused = {
      ...routeActionOf(record.actions),
      status: 'skipped' as const,
      resourceId: 'rtb-0main000000000000',
      routeTableId: 'rtb-0main000000000000',
    };
    const nodegroup = { ...p.nodegroup, remediation: { ...record, actions: [...record.actions, refused] } };
    const alert = formatAlert(p.report, nodegroup);
    expect(chatOf(alert).content.description).not.toContain('rtb-0main000000000000');
    expect(alert.structure.email).not.toContain('rtb-0main000000000000');
  });
});
