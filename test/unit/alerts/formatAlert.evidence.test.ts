/**
 * The evidence of issue 11 in the alert: who last changed a finding's resource, nodes that are not
 * Ready, launches that fail, the boot logs of unjoined instances, what the waiting costs, and
 * instances that just launched into a subnet where they cannot join. Each in the chat notification
 * and the email, in the same words (the CLI report's tests check the third channel). The inputs are
 * the seed's real problem alert with the model's new fields set (test/support/alertScenarios.ts).
 */
import { describe, expect, it } from 'vitest';
import { formatAlert } from '../../../functions/alerts/formatAlert.js';
import type { Finding, FindingCode, ResourceChange } from '../../../functions/core/model/types.js';
import { formatText } from '../../../functions/report/formatText.js';
import { EMAIL_MARKUP, expectWellFormed, occurrences } from '../../support/alertChecks.js';
import {
  addressesFinding,
  bootEvidence,
  foundChange,
  KMS_KEY_ARN,
  kmsKeyFinding,
  launchedAMinuteAgo,
  launchesFail,
  launchFailuresFinding,
  notReadyFinding,
  type Published,
  preflightAtLaunch,
  problem,
  ROLE_SESSION,
  renderedWith,
  waitingCostOf,
} from '../../support/alertScenarios.js';
import { NEW_SUBNET, PRIVATE_SUBNET } from '../../support/factories.js';
import { usePublished } from '../../support/publishedAlerts.js';
import { SEED_INSTANCE, SEED_TABLE } from '../../support/seedCheck.js';

/** The chat description as plain words: without the code spans' backticks. */
const words = (p: Published) => p.chat.content.description.replaceAll('`', '');

/** The seed's alert with a last change on its NO_DEFAULT_ROUTE finding. */
function withLastChange(p: Published, change: ResourceChange): Published {
  return renderedWith(p, {
    findings: p.nodegroup.findings.map((f) =>
      f.code === 'NO_DEFAULT_ROUTE' ? { ...f, lastChange: change } : f,
    ),
  });
}

describe('the last change of a finding’s resource', () => {
  const p = usePublished(() => problem('notify'));

  it('names the call, the caller and the time under the finding, in chat and email', () => {
    const alert = withLastChange(p, foundChange());
    expectWellFormed(alert.alert);
    const line = `Last change: DeleteRoute by ${ROLE_SESSION} at 2026-11-26 10:02 UTC`;
    expect(alert.chat.content.description).toContain(
      `*NO_DEFAULT_ROUTE* (\`${SEED_TABLE}\`, explicitly associated with \`${NEW_SUBNET}\`)`,
    );
    expect(alert.chat.content.description).toContain(
      `      ↳ Last change: DeleteRoute by \`${ROLE_SESSION}\` at 2026-11-26 10:02 UTC`,
    );
    expect(alert.email).toContain(`     ${line}\n     Fix:`);
  });

  it('falls back to the user name, then says the caller is unknown', () => {
    const byUser = withLastChange(p, foundChange({ principalArn: undefined, userName: 'jane' }));
    expect(byUser.email).toContain('Last change: DeleteRoute by jane at 2026-11-26 10:02 UTC');
    const nobody = withLastChange(p, foundChange({ principalArn: undefined }));
    expect(nobody.email).toContain('Last change: DeleteRoute by an unknown caller at 2026-11-26 10:02 UTC');
  });

  it.each([
    [{ found: false, why: 'NONE_FOUND' }, 'no change in 90 days of CloudTrail'],
    [{ found: false, why: 'ACCESS_DENIED' }, 'cloudtrail:LookupEvents is not allowed'],
    [
      { found: false, why: 'UNAVAILABLE', detail: 'ThrottlingException: Rate exceeded' },
      'the CloudTrail lookup failed (ThrottlingException: Rate exceeded)',
    ],
    [{ found: false, why: 'NOT_LOOKED_UP' }, 'not looked up in this check'],
  ] as [ResourceChange, string][])('says why it is not known: %o', (change, why) => {
    const alert = withLastChange(p, change);
    expect(alert.chat.content.description).toContain(`      ↳ Last change: not known — ${why}`);
    expect(alert.email).toContain(`     Last change: not known — ${why}`);
    expect(alert.alert.message).not.toMatch(/undefined/);
  });

  it('says nothing of changes when none was looked for', () => {
    expect(p.email).not.toContain('Last change');
    expect(p.chat.content.description).not.toContain('Last change');
  });
});

describe('nodes that registered but are not Ready (NODES_NOT_READY)', () => {
  const p = usePublished(() => problem('notify'));
  const notReady = (finding: Finding = notReadyFinding()) =>
    renderedWith(p, {
      instances: p.nodegroup.instances.map((v) => ({
        ...v,
        joined: true,
        ready: false,
        nodeName: 'ip-10-42-200-7.us-west-2.compute.internal',
      })),
      findings: [finding],
      actions: [],
      routeTables: [],
    });

  it('says how many nodes are not Ready and why, in the subject and the title', () => {
    const alert = notReady();
    expectWellFormed(alert.alert);
    expect(alert.alert.subject).toBe(
      '[CRITICAL] eks-workshop/new_nodegroup_2: 1 node not Ready - VPC_CNI_MISSING',
    );
    expect(alert.chat.content.title).toBe(
      ':rotating_light: eks-workshop/new_nodegroup_2: 1 node not Ready — VPC_CNI_MISSING',
    );
    expect(alert.chat.metadata.eventType).toBe('NodesNotReady');
  });

  it('names each node with its Ready condition, and the likely cause, in chat and email', () => {
    const alert = notReady();
    const node = `ip-10-42-200-7.us-west-2.compute.internal (${SEED_INSTANCE}): KubeletNotReady — container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady`;
    const cause =
      'Likely cause: the VPC CNI is missing: no vpc-cni add-on and no aws-node to give pods their network (VPC_CNI_MISSING)';
    expect(words(alert)).toContain(`↳ Not Ready: ${node}`);
    expect(words(alert)).toContain(`↳ ${cause}`);
    expect(alert.email).toContain(`     Not Ready: ${node}\n     ${cause}\n     Fix:`);
    expect(alert.chat.metadata.relatedResources).toContain(SEED_INSTANCE);
  });

  it('words every cause, and says so when the account shows none', () => {
    const all = notReady(
      notReadyFinding({
        notReadyCauses: ['VPC_CNI_DEGRADED', 'CNI_POLICY_MISSING', 'SUBNET_ADDRESSES_EXHAUSTED'],
      }),
    );
    expect(all.email).toContain('Likely cause: the vpc-cni add-on is not healthy');
    expect(all.email).toContain('lacks AmazonEKS_CNI_Policy');
    expect(all.email).toContain(
      "Likely cause: a not-ready node's subnet has no free IP address left for pods",
    );
    expect(all.chat.content.title).toContain(
      'VPC_CNI_DEGRADED, CNI_POLICY_MISSING, SUBNET_ADDRESSES_EXHAUSTED',
    );
    const none = notReady(notReadyFinding({ notReadyCauses: [] }));
    expect(none.chat.content.title).toMatch(/1 node not Ready — cause not identified$/);
    expect(none.email).toContain(
      "Likely cause: none found in the account; the Ready condition's message is all there is",
    );
  });

  it('lists a few nodes in chat and counts the rest', () => {
    const nodes = Array.from({ length: 12 }, (_, i) => ({
      nodeName: `ip-10-42-200-${i}.us-west-2.compute.internal`,
      instanceId: `i-${i}`,
      reason: 'KubeletNotReady',
    }));
    const alert = notReady(notReadyFinding({ notReadyNodes: nodes }));
    expect(alert.chat.content.title).toContain('12 nodes not Ready');
    expect(occurrences(alert.chat.content.description, '↳ Not Ready:')).toBe(3);
    expect(alert.chat.content.description).toContain('↳ … and 9 more nodes not Ready');
    expect(occurrences(alert.email, 'Not Ready: ip-')).toBe(10);
    expect(alert.email).toContain('… and 2 more nodes not Ready');
  });
});

describe('launches that fail', () => {
  const p = usePublished(() => problem('notify'));
  const FINDINGS: Record<
    Extract<FindingCode, 'EBS_KMS_KEY_UNUSABLE' | 'SUBNET_ADDRESSES_EXHAUSTED' | 'LAUNCH_FAILURES'>,
    () => Finding
  > = {
    EBS_KMS_KEY_UNUSABLE: kmsKeyFinding,
    SUBNET_ADDRESSES_EXHAUSTED: addressesFinding,
    LAUNCH_FAILURES: launchFailuresFinding,
  };

  it.each(Object.keys(FINDINGS) as (keyof typeof FINDINGS)[])(
    '%s reads as launches that fail, alert only, with Auto Scaling’s words, count, span and the fix',
    (code) => {
      const finding = FINDINGS[code]();
      const alert = launchesFail(p, [finding]);
      expectWellFormed(alert.alert);
      expect(alert.alert.subject).toBe(`[CRITICAL] eks-workshop/new_nodegroup_2: launches fail - ${code}`);
      expect(alert.chat.content.title).toBe(
        `:rotating_light: eks-workshop/new_nodegroup_2: launches fail — ${code}`,
      );
      expect(alert.chat.metadata.eventType).toBe('LaunchesFailing');
      const note =
        'Launches fail: Auto Scaling cannot start the instances, so none exists to join. Alert only: this tool does not remediate failing launches; run the fix below.';
      expect(alert.chat.content.description).toContain(note);
      expect(alert.email).toContain(note);
      const status = finding.launchFailures?.statusMessages[0] as string;
      expect(alert.chat.content.description).toContain(`↳ Auto Scaling says: \`${status}\``);
      expect(alert.email).toContain(`     Auto Scaling says: ${status}`);
      expect(alert.chat.content.nextSteps).toContain(`*${code}*: \`${finding.fix}\``);
      expect(alert.email).toContain(`     Fix:\n       ${finding.fix}`);
      expect(alert.chat.content.description).not.toMatch(/Never joined|Planned|Skipped/);
    },
  );

  it('gives the count and the time span of the failed launches', () => {
    const many = launchesFail(p, [launchFailuresFinding()]);
    const span = 'Failed launches: 7 launches failed from 2026-11-26 09:10 UTC to 2026-11-26 09:55 UTC';
    expect(many.chat.content.description).toContain(`↳ ${span}`);
    expect(many.email).toContain(`     ${span}`);
    const one = launchesFail(p, [addressesFinding()]);
    expect(one.email).toContain('Failed launches: 1 launch failed at 2026-11-26 09:58 UTC');
  });

  it('names the KMS key, its state and what its policy lacks', () => {
    const alert = launchesFail(p, [kmsKeyFinding()]);
    expect(alert.chat.content.description).toContain(`↳ KMS key: \`${KMS_KEY_ARN}\` (state Disabled)`);
    const wrong =
      'What is wrong: the key is disabled; its policy does not let the Auto Scaling service-linked role create grants (kms:CreateGrant)';
    expect(alert.chat.content.description).toContain(`↳ ${wrong}`);
    expect(alert.email).toContain(`     KMS key: ${KMS_KEY_ARN} (state Disabled)\n     ${wrong}`);
    expect(alert.chat.metadata.relatedResources).toContain(KMS_KEY_ARN);
  });

  it('gives the free addresses left and the subnets that still have room', () => {
    const alert = launchesFail(p, [addressesFinding()]);
    expect(words(alert)).toContain(`↳ Free IP addresses: 0 in ${NEW_SUBNET}`);
    expect(words(alert)).toContain(`↳ Subnets of the nodegroup with room: ${PRIVATE_SUBNET} (4,059 free)`);
    expect(alert.email).toContain(`Free IP addresses: 0 in ${NEW_SUBNET}`);
    const none = launchesFail(p, [addressesFinding({ subnetsWithRoom: [] })]);
    expect(none.email).toContain('Subnets of the nodegroup with room: none');
  });

  it('keeps a backtick of a status message from breaking the chat code span', () => {
    const alert = launchesFail(p, [
      launchFailuresFinding({ launchFailures: { statusMessages: ['bad `value` here'], count: 1 } }),
    ]);
    expect(alert.chat.content.description).toContain("↳ Auto Scaling says: `bad 'value' here`");
    expect(alert.email).toContain('Failed launches: 1 launch failed\n');
  });
});

describe('the boot logs of unjoined instances', () => {
  const p = usePublished(() => problem('notify'));

  it('shows the signatures, the verdict and the last lines as a code block in chat, indented in email', () => {
    const alert = renderedWith(p, { bootEvidence: [bootEvidence()] });
    expectWellFormed(alert.alert);
    const [first, second, third] = bootEvidence().lines;
    const headline = `Boot log of ${SEED_INSTANCE} at 2026-11-26 09:58 UTC: API_TIMEOUT (timed out reaching the cluster API) — corroborates the diagnosis`;
    expect(alert.chat.content.description).toContain(
      `*Boot logs (1)*\n• Boot log of \`${SEED_INSTANCE}\` at 2026-11-26 09:58 UTC: API_TIMEOUT (timed out reaching the cluster API) — corroborates the diagnosis\n\`\`\`\n${first}\n${second}\n${third}\n\`\`\``,
    );
    expect(alert.email).toContain(
      `BOOT LOGS OF UNJOINED INSTANCES (1)\n\n  - ${headline}\n      ${first}\n      ${second}\n      ${third}`,
    );
  });

  it('says when the log contradicts the diagnosis or is inconclusive', () => {
    const alert = renderedWith(p, {
      bootEvidence: [
        bootEvidence({ signatures: ['UNAUTHORIZED'], verdict: 'contradicts' }),
        bootEvidence({ instanceId: 'i-2', signatures: [], verdict: 'inconclusive', at: undefined }),
      ],
    });
    expect(alert.email).toContain(
      'UNAUTHORIZED (the cluster refused the node (Unauthorized)) — contradicts the diagnosis: the cause may be elsewhere, read the log',
    );
    expect(alert.email).toContain(
      'Boot log of i-2: no known failure signature — inconclusive: neither confirms nor rules out the diagnosis',
    );
    expect(words(alert)).toContain('Boot log of i-2: no known failure signature — inconclusive');
  });

  it('says why there is no log to show', () => {
    const alert = renderedWith(p, {
      bootEvidence: [
        bootEvidence({ lines: [], signatures: [], unavailable: 'ec2:GetConsoleOutput is not allowed' }),
      ],
    });
    expect(alert.chat.content.description).toContain(
      `• Boot log of \`${SEED_INSTANCE}\`: not available — ec2:GetConsoleOutput is not allowed`,
    );
    expect(alert.chat.content.description).not.toContain('```');
    expect(alert.email).toContain(
      `  - Boot log of ${SEED_INSTANCE}: not available — ec2:GetConsoleOutput is not allowed`,
    );
  });

  it('defuses a code fence inside the log and keeps every fence closed', () => {
    const alert = renderedWith(p, { bootEvidence: [bootEvidence({ lines: ['before ``` after'] })] });
    expect(alert.chat.content.description).toContain("before ''' after");
    expect(occurrences(alert.chat.content.description, '```') % 2).toBe(0);
  });

  it('shows a few logs and their last lines in chat, and counts the rest', () => {
    const lines = Array.from({ length: 30 }, (_, i) => `line ${i}`);
    const logs = Array.from({ length: 5 }, (_, i) => bootEvidence({ instanceId: `i-${i}`, lines }));
    const alert = renderedWith(p, { bootEvidence: logs });
    expectWellFormed(alert.alert);
    const { description } = alert.chat.content;
    expect(occurrences(description, '• Boot log of')).toBe(3);
    expect(description).toContain('• … and 2 more boot logs (see the JSON report)');
    expect(description).not.toContain('line 21\n');
    expect(description).toContain('line 22\n');
    expect(alert.email).toContain('      … 10 earlier lines not shown\n      line 10\n');
  });

  it('is not shown once the problem is resolved', async () => {
    const alert = renderedWith(p, { alertKind: 'resolved', bootEvidence: [bootEvidence()] });
    expect(alert.email).not.toContain('BOOT LOGS');
    expect(alert.chat.content.description).not.toContain('Boot logs');
  });
});

describe('what the waiting costs', () => {
  const p = usePublished(() => problem('notify'));

  it('gives the instances, how long they ran and the price per hour, in chat and email', () => {
    const alert = renderedWith(p, { waitingCost: waitingCostOf() });
    const cost =
      '3 unjoined instances have run up to 42 min: about $0.29 per hour on demand (us-east-1 list prices); no price known for x1.large';
    expect(alert.chat.content.description).toContain(`*Cost of waiting* ${cost}`);
    expect(alert.email).toContain(`Cost of waiting: ${cost}`);
  });

  it('says when no price is known', () => {
    const alert = renderedWith(p, {
      waitingCost: waitingCostOf({
        instances: 1,
        longestRunningSeconds: 2 * 3600 + 5 * 60,
        hourlyUsd: undefined,
      }),
    });
    expect(alert.email).toContain(
      'Cost of waiting: 1 unjoined instance has run up to 2 h 5 min: cost unknown — no price known for x1.large',
    );
    const typeless = renderedWith(p, {
      waitingCost: waitingCostOf({ hourlyUsd: undefined, unpricedTypes: [] }),
    });
    expect(typeless.email).toContain('cost unknown — their instance types are not known');
    // An instance EC2 gave no type for is listed as `unknown`: no type to name.
    const untyped = renderedWith(p, { waitingCost: waitingCostOf({ unpricedTypes: ['unknown'] }) });
    expect(untyped.email).toContain(
      'about $0.29 per hour on demand (us-east-1 list prices); the type of some is not known (not counted)',
    );
    expect(untyped.email).not.toContain('price known for unknown');
  });
});

describe('instances that just launched into a subnet where they cannot join (preflight at launch)', () => {
  const p = usePublished(() => preflightAtLaunch());

  it('says in the subject and the title that the new node will not join, and why', () => {
    expectWellFormed(p.alert);
    expect(p.nodegroup.instances).toMatchObject([
      { instanceId: SEED_INSTANCE, pending: true, joined: false },
    ]);
    expect(p.alert.subject).toBe(
      '[CRITICAL] eks-workshop/new_nodegroup_2: 1 new node will not join - NO_DEFAULT_ROUTE',
    );
    expect(p.chat.content.title).toBe(
      ':rotating_light: eks-workshop/new_nodegroup_2: 1 new node will not join — NO_DEFAULT_ROUTE',
    );
    expect(p.chat.metadata.eventType).toBe('NodesWillNotJoin');
    expect(p.chat.metadata.relatedResources).toContain(SEED_INSTANCE);
  });

  it('names the instances, the fault in their way, and when they are judged again, in chat and email', () => {
    const instance = `${SEED_INSTANCE} in ${NEW_SUBNET} (us-west-2a), running since 2026-11-26T09:59:00.000Z — cannot join while NO_DEFAULT_ROUTE stands`;
    const note =
      'These instances are still inside their join window: fix the cause below and they can still join; they are judged again at the end of the window (300 s after launch).';
    expect(words(p)).toContain(`*Just launched, will not be able to join (1)*\n• ${instance}\n${note}`);
    expect(p.email).toContain(`Just launched, will not be able to join (1):\n  - ${instance}\n\n${note}`);
    expect(p.email).not.toContain('Nodes that never joined');
    expect(p.email).not.toMatch(EMAIL_MARKUP);
  });

  it('does not name a pending instance in a subnet without a fault', async () => {
    const other = launchedAMinuteAgo({ instanceId: 'i-0ccc0000000000001', subnetId: PRIVATE_SUBNET });
    const two = await preflightAtLaunch([launchedAMinuteAgo(), other]);
    expect(two.chat.content.title).toContain('1 new node will not join');
    expect(two.email).not.toMatch(/i-0ccc0000000000001 in .* cannot join/);
  });

  it('is not claimed for the replacements of a fix, whose findings are as found before it', () => {
    const after = renderedWith(p, { alertKind: 'remediated' });
    expect(after.chat.content.title).not.toContain('will not join');
    expect(after.email).not.toContain('will not be able to join');
  });

  it('keeps the wording of a risk for the next launch when no instance is in the way', () => {
    const alert = formatAlert(p.report, { ...p.nodegroup, instances: [] });
    expect(alert.subject).toBe('[CRITICAL] eks-workshop/new_nodegroup_2: 1 finding - NO_DEFAULT_ROUTE');
    expect(JSON.parse(alert.structure.default).metadata.eventType).toBe('NodeJoinRisk');
  });
});

describe('one wording in every channel', () => {
  const p = usePublished(() => problem('notify'));

  // Two alerts, so that each fits the chat post whole (its cap is tested with the limits).
  const expectEverywhere = (alert: Published, shared: string[]) => {
    const text = formatText({ ...alert.report, nodegroups: [alert.nodegroup] });
    for (const line of shared) {
      expect(words(alert)).toContain(line);
      expect(alert.email).toContain(line);
      expect(text).toContain(line);
    }
  };

  it('says the evidence of unjoined and not-ready nodes in the same words in chat, email and the CLI report', () => {
    const alert = renderedWith(p, {
      findings: [
        ...p.nodegroup.findings.map((f) =>
          f.code === 'NO_DEFAULT_ROUTE' ? { ...f, lastChange: foundChange() } : f,
        ),
        notReadyFinding(),
      ],
      bootEvidence: [bootEvidence()],
      waitingCost: waitingCostOf(),
    });
    expectEverywhere(alert, [
      `Last change: DeleteRoute by ${ROLE_SESSION} at 2026-11-26 10:02 UTC`,
      `Not Ready: ip-10-42-200-7.us-west-2.compute.internal (${SEED_INSTANCE}): KubeletNotReady`,
      'Likely cause: the VPC CNI is missing',
      `Boot log of ${SEED_INSTANCE} at 2026-11-26 09:58 UTC: API_TIMEOUT (timed out reaching the cluster API) — corroborates the diagnosis`,
      '[  162.120] nodeadm[1702]: dial tcp 10.42.0.12:443: i/o timeout',
      '3 unjoined or not-ready instances have run up to 42 min: about $0.29 per hour on demand',
    ]);
  });

  it('says launches that fail in the same words in chat, email and the CLI report', () => {
    expectEverywhere(launchesFail(p, [kmsKeyFinding()]), [
      'Launches fail: Auto Scaling cannot start the instances',
      'Failed launches: 4 launches failed from 2026-11-26 09:40 UTC to 2026-11-26 09:58 UTC',
      'Auto Scaling says: Client.InternalError: Client error on launch',
      `KMS key: ${KMS_KEY_ARN} (state Disabled)`,
    ]);
  });
});
