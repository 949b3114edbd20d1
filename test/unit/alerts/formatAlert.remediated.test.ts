/**
 * The alert about what a remediation did: the route before and after, the instances replaced, the
 * undo commands of what was done, and a fix that failed (critical, with the permission it lacked and
 * what to run by hand). Inputs from the real planner and executor on the in-memory account.
 */
import { describe, expect, it } from 'vitest';
import { formatAlert } from '../../../functions/alerts/formatAlert.js';
import { withReason } from '../../../functions/core/remediate/reasons.js';
import { bodyOf, chatOf, expectWellFormed, occurrences } from '../../support/alertChecks.js';
import {
  type Published,
  remediated,
  remediatedWithDeniedReplace,
  replaceActionOf,
  routeActionOf,
  scaleCycleOf,
  writesOf,
} from '../../support/alertScenarios.js';
import { NAT } from '../../support/factories.js';
import {
  expectHeadline,
  type Headline,
  seedRouteInEmail,
  usePublished,
} from '../../support/publishedAlerts.js';
import { SEED_ASG, SEED_INSTANCE, SEED_TABLE } from '../../support/seedCheck.js';

const WATCH = 'kubectl get nodes -l eks.amazonaws.com/nodegroup=new_nodegroup_2';
const PERMISSION = 'autoscaling:TerminateInstanceInAutoScalingGroup';

/** What a person sees first: every write done, or one of them failed. */
const HEADLINES: Record<'fixed' | 'fixFailed', Headline> = {
  fixed: {
    alertKind: 'remediated',
    title: ':white_check_mark: eks-workshop/new_nodegroup_2: route fixed, 1 node replaced',
    subject: '[FIXED] eks-workshop/new_nodegroup_2: route fixed, 1 node replaced',
    severity: 'critical',
    eventType: 'RemediationApplied',
  },
  fixFailed: {
    alertKind: 'remediated',
    title: ':x: eks-workshop/new_nodegroup_2: fix failed — replace-instances failed (route fixed)',
    subject: '[FIX FAILED] eks-workshop/new_nodegroup_2: fix failed - replace-instances failed (route fixed)',
    severity: 'critical',
    eventType: 'RemediationFailed',
  },
};

describe('remediated: the route written and the instance replaced', () => {
  const p = usePublished(remediated);

  it('says what was done in the title and subject, at the severity of what was found', () => {
    expectHeadline(p, HEADLINES.fixed);
    expect(p.email.split('\n')[0]).toBe('FIXED: eks-workshop/new_nodegroup_2: route fixed, 1 node replaced');
    expect(p.chat.metadata.additionalContext).toMatchObject({
      alertKind: 'remediated',
      actions: 'done:2',
      remediatedAt: p.nodegroup.remediation?.at,
    });
    expect(p.chat.content.keywords).toContain('remediated');
    expect(p.email).toContain(`Remediation:  ${p.nodegroup.remediation?.at} (open)`);
  });

  it('shows the route table before and after, and the instances replaced, not again as unjoined', () => {
    const route = routeActionOf(p.nodegroup.actions, 'done');
    const replace = replaceActionOf(p.nodegroup.actions, 'done');
    const { description } = p.chat.content;
    expect(description).toContain('*What was done (2)*');
    expect(description).toContain(
      `:white_check_mark: *Done* create-route \`${SEED_TABLE}\`: \`${route.before}\` → \`${route.after}\` — ${route.reason}`,
    );
    expect(description).toContain(
      `:white_check_mark: *Done* replace-instances on 1 instance of \`${SEED_ASG}\`: \`${SEED_INSTANCE}\` — ${replace.reason}`,
    );
    expect(description).not.toContain('*Never joined');
    expect(description).toContain('*Diagnosis before the fix (2)*');
    expect(p.email).toContain(['WHAT WAS DONE (2)', '', seedRouteInEmail(route)].join('\n'));
    expect(p.email).toContain(
      `  - replace-instances on 1 instance of ${SEED_ASG}: ${SEED_INSTANCE}\n    Reason: ${replace.reason}`,
    );
    expect(p.email).toContain('FINDINGS (2), AS FOUND BEFORE THE FIX');
  });

  it('gives the undo command of every done action, the note of those with none, and how to watch the nodes join', () => {
    const route = routeActionOf(p.nodegroup.actions, 'done');
    const replace = replaceActionOf(p.nodegroup.actions, 'done');
    const undo = route.undo as string;
    expect(undo).toMatch(/^aws ec2 delete-route /);
    expect(p.chat.content.description).toContain(
      `*To undo*\n• create-route on \`${SEED_TABLE}\` → \`${NAT}\`: \`${undo}\`\n• replace-instances on 1 instance of \`${SEED_ASG}\`: \`${SEED_INSTANCE}\`: ${replace.undo}`,
    );
    // Only real commands are next steps.
    expect(p.chat.content.nextSteps).toEqual([
      `Watch the replacements join: \`${WATCH} --watch\``,
      `*Undo* create-route on \`${SEED_TABLE}\` → \`${NAT}\`: \`${undo}\``,
    ]);
    expect(p.email).toContain(
      `TO UNDO\n  create-route on ${SEED_TABLE} → ${NAT}:\n    ${undo}\n  replace-instances on 1 instance of ${SEED_ASG}: ${SEED_INSTANCE}: ${replace.undo}`,
    );
    expect(p.email).toContain(`WATCH THE NODES JOIN\n  ${WATCH} --watch`);
    expect(occurrences(p.email, undo)).toBe(1);
  });

  it('keeps the actions as data in the JSON report', () => {
    expect(bodyOf(p.alert).nodegroups[0]?.actions).toEqual(p.nodegroup.actions);
    expect(bodyOf(p.alert).nodegroups[0]?.remediation).toEqual(p.nodegroup.remediation);
  });
});

describe('remediated by scale-cycle', () => {
  const p = usePublished(() =>
    remediated(
      {
        minSize: 0,
        desiredSize: 2,
        instances: [
          {
            instanceId: SEED_INSTANCE,
            subnetId: 'subnet-0e5e4b6c1d2a3f405',
            availabilityZone: 'us-west-2a',
            launchedAt: '2026-11-26T09:00:00.000Z',
            state: 'running',
            lifecycleState: 'InService',
            joined: false,
          },
        ],
      },
      { remediation: { recycleStrategy: 'scale-cycle' } },
    ),
  );

  it('shows the sizes of the cycle, and lists the undo commands last action first', () => {
    expectWellFormed(p.alert);
    const cycle = scaleCycleOf(p.nodegroup.actions);
    const route = routeActionOf(p.nodegroup.actions, 'done');
    expect(cycle).toMatchObject({ status: 'done', desiredSize: 2 });
    expect(p.chat.content.title).toBe(
      ':white_check_mark: eks-workshop/new_nodegroup_2: route fixed, nodegroup cycled',
    );
    expect(p.chat.content.description).toContain(
      `:white_check_mark: *Done* scale-cycle on \`new_nodegroup_2\` (\`${SEED_ASG}\`): desired size 2 → 0 → 2 — ${cycle.reason}`,
    );
    expect(p.chat.content.description).toContain('*To undo (in this order)*');
    expect(p.email).toContain('TO UNDO (run in this order)');
    expect(p.email.indexOf(cycle.undo as string)).toBeLessThan(p.email.indexOf(route.undo as string));
  });
});

describe('remediated, with an action that failed for a missing permission', () => {
  const p = usePublished(remediatedWithDeniedReplace);

  it('says the fix failed, critical', () => {
    expectHeadline(p, HEADLINES.fixFailed);
  });

  it('names the missing permission and what to run by hand, and still lists the instance as unjoined', () => {
    const failed = replaceActionOf(p.nodegroup.actions, 'failed');
    expect(failed.reasonCode).toBe('ACCESS_DENIED');
    expect(failed.reason).toContain(PERMISSION);
    const { description, nextSteps } = p.chat.content;
    expect(description).toContain(
      `*Failed (1)*\n:x: *Failed* replace-instances on 1 instance of \`${SEED_ASG}\`: \`${SEED_INSTANCE}\` — ${failed.reason}\n      ↳ by hand: the *NODES_NOT_JOINED* commands in the next steps`,
    );
    expect(description).toContain(`*Never joined (1)*\n• \`${SEED_INSTANCE}\``);
    const step = nextSteps.find((s) => s.startsWith(':x: *Failed*'));
    expect(step).toContain(PERMISSION);
    expect(step).toContain(
      `--instance-id ${SEED_INSTANCE} --no-should-decrement-desired-capacity --region us-west-2`,
    );
    expect(p.email).toContain(
      `FAILED (1)\n\n  - replace-instances on 1 instance of ${SEED_ASG}: ${SEED_INSTANCE}\n    Reason: ${failed.reason}\n    By hand:\n      # After fixing the cause`,
    );
  });

  it('gives undo commands for the done actions only', () => {
    const route = routeActionOf(p.nodegroup.actions, 'done');
    expect(p.alert.structure.default).toContain(route.undo);
    expect(p.email).toContain(route.undo);
    expect(writesOf(p.nodegroup).filter((a) => a.undo)).toEqual([route]);
  });
});

describe('a report of what remediation did, without an alert kind (the CLI report)', () => {
  it('is called "fixed" when every write succeeded, "fix failed" when one failed', async () => {
    const fixed = await remediated();
    const failed = await remediatedWithDeniedReplace();
    const title = (p: Published) =>
      chatOf(formatAlert(p.report, { ...p.nodegroup, alertKind: undefined, remediation: undefined })).content
        .title;
    expect(title(fixed)).toMatch(/ — NO_DEFAULT_ROUTE \(fixed\)$/);
    expect(title(failed)).toMatch(/ — NO_DEFAULT_ROUTE \(fix failed\)$/);
  });

  it('is told as the problem when every write was refused, even if called remediated', async () => {
    const p = await remediated();
    const refused = writesOf(p.nodegroup).map((a) =>
      withReason({ ...a, status: 'skipped', reasonCode: 'NO_WRITER', undo: undefined }),
    );
    const alert = formatAlert(p.report, { ...p.nodegroup, actions: refused });
    expect(chatOf(alert).content.title).toBe(
      ':rotating_light: eks-workshop/new_nodegroup_2: 1 node never joined — NO_DEFAULT_ROUTE (fix skipped)',
    );
    expect(alert.structure.default).not.toContain('delete-route');
    expect(alert.structure.email).not.toContain('delete-route');
  });
});
