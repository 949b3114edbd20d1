/**
 * Size limits: an SNS message under 256 KiB, a subject under 100 ASCII characters, a chat title and
 * lists within Amazon Q's caps, whatever the nodegroup: thousands of unjoined instances, thousands of
 * planned or done replacements, route tables with hundreds of routes. What does not fit is cut
 * visibly and counted. Inputs from the real check of the seed grown to 5,000 instances.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { CHAT_LIMITS, formatAlert, SNS_MAX_MESSAGE_BYTES } from '../../../functions/alerts/formatAlert.js';
import { JSON_TEXT_LIMITS } from '../../../functions/alerts/limits.js';
import type {
  Action,
  NodegroupReport,
  RemediationRecord,
  RouteTable,
} from '../../../functions/core/model/types.js';
import { withReason } from '../../../functions/core/remediate/reasons.js';
import {
  bodyOf,
  chatOf,
  expectValidCustomNotification,
  expectWellFormed,
} from '../../support/alertChecks.js';
import {
  addressesFinding,
  bootEvidence,
  launchFailuresFinding,
  notReadyFinding,
  type Published,
  problem,
  resolved,
} from '../../support/alertScenarios.js';
import { SEED_ASG, unjoinedInstance } from '../../support/seedCheck.js';

const ids = Array.from({ length: 5000 }, (_, i) => `i-${i.toString(16).padStart(17, '0')}`);
const instances = () =>
  ids.map((instanceId, i) =>
    unjoinedInstance({ instanceId, availabilityZone: i % 2 ? 'us-west-2b' : 'us-west-2a' }),
  );

describe('long names', () => {
  let p: Published;
  beforeAll(async () => {
    p = await problem();
  });

  it('cut a long subject with "..." and keep it ASCII', () => {
    const nodegroup = { ...p.nodegroup, name: `ng-${'x'.repeat(60)}` };
    const { subject } = formatAlert({ ...p.report, cluster: `cluster-${'y'.repeat(90)}` }, nodegroup);
    expect(subject.length).toBeLessThan(100);
    expect(subject.endsWith('...')).toBe(true);
    expect(subject).toMatch(/^\[CRITICAL\] cluster-y+/);
    expect(subject).toMatch(/^[\x20-\x7e]+$/);
  });

  it('cut a long chat title with "…" at the cap', () => {
    const nodegroup = { ...p.nodegroup, name: `ng-${'x'.repeat(60)}` };
    const { title } = chatOf(formatAlert({ ...p.report, cluster: `c-${'y'.repeat(99)}` }, nodegroup)).content;
    expect(title.length).toBe(CHAT_LIMITS.title);
    expect(title.endsWith('…')).toBe(true);
  });
});

describe('route tables with hundreds of routes', () => {
  it('lose their detail first in the JSON report when that is enough to fit', async () => {
    const p = await problem();
    const [table] = p.nodegroup.routeTables as [RouteTable];
    const routes = Array.from({ length: 100 }, (_, i) => ({
      destination: `10.${i}.0.0/16`,
      target: { kind: 'vpc-peering' as const, id: `pcx-0${String(i).padStart(16, '0')}` },
      state: 'active',
    }));
    const routeTables = Array.from({ length: 20 }, (_, i) => ({
      ...table,
      routeTableId: `rtb-${i}`,
      routes,
    }));
    const alert = formatAlert(p.report, { ...p.nodegroup, routeTables });
    const [body] = bodyOf(alert).nodegroups;
    expect(body?.routeTables).toBeUndefined();
    expect(body?.truncated).toBe(true);
    expect(body?.omitted).toEqual({ routeTables: 20 });
    expect(body?.instances).toHaveLength(1);
    expect(body?.findings.map((f) => f.fix)).toEqual(p.nodegroup.findings.map((f) => f.fix));
    expect(Buffer.byteLength(alert.message)).toBeLessThan(SNS_MAX_MESSAGE_BYTES);
  });
});

describe('a nodegroup of 5,000 unjoined instances', () => {
  let p: Published;
  beforeAll(async () => {
    p = await problem('notify', { instances: instances() });
  });

  it('stays under the SNS limit as valid JSON in every variant', () => {
    expect(Buffer.byteLength(p.alert.message, 'utf8')).toBeLessThan(SNS_MAX_MESSAGE_BYTES);
    expect(JSON.parse(p.alert.message)).toEqual(p.alert.structure);
    expectValidCustomNotification(p.chat);
  });

  it('keeps as many instances as fit in the JSON report and says how many were left out', () => {
    const [body] = bodyOf(p.alert).nodegroups;
    expect(body?.truncated).toBe(true);
    expect(body?.routeTables).toBeUndefined();
    const shown = body?.instances.length ?? 0;
    expect(shown).toBeGreaterThan(100);
    expect(shown).toBeLessThan(5000);
    expect(body?.omitted).toMatchObject({ routeTables: 1, instances: 5000 - shown });
    expect(body?.instances[0]).toEqual(p.nodegroup.instances[0]);
    // Findings are never dropped; their long texts are cut visibly, at line boundaries for commands.
    expect(body?.findings.map((f) => f.code)).toEqual(['NO_DEFAULT_ROUTE', 'NODES_NOT_JOINED']);
    const unjoined = body?.findings[1];
    expect(unjoined?.message.endsWith('…')).toBe(true);
    expect(unjoined?.fix).toMatch(/\n# … [\d,]+ more lines not shown$/);
    expect(unjoined?.instanceIds).toHaveLength(shown);
  });

  it('lists a few instances in chat and email and counts the rest', () => {
    expect(p.chat.content.title).toContain('5,000 nodes never joined');
    expect(p.chat.content.description).toContain('• … and 4,990 more');
    expect(p.email).toContain('Nodes that never joined (5,000):');
    expect(p.email).toContain('  … and 4,950 more');
    expect(p.email).toMatch(/# … [\d,]+ more lines not shown/);
  });
});

describe('5,000 planned replacements', () => {
  let p: Published;
  beforeAll(async () => {
    p = await problem('dry-run', { instances: instances() });
  });

  it('make one chat step, one email item, and fit', () => {
    const replaces = p.nodegroup.actions.filter((a) => a.type === 'replace-instances');
    expect(replaces).toHaveLength(5000);
    expectWellFormed(p.alert);
    const step = p.chat.content.nextSteps.find((s) => s.includes('*Planned* replace-instances'));
    expect(step).toMatch(
      new RegExp(
        `^:clipboard: \\*Planned\\* replace-instances on 5,000 instances of \`${SEED_ASG}\`: \`i-00000000000000000\`, \`i-00000000000000001\`, \`i-00000000000000002\`, … and 4,997 more — `,
      ),
    );
    expect(p.chat.content.nextSteps.filter((s) => s.includes('replace-instances'))).toHaveLength(1);
    expect(p.email).toContain(`PLANNED (5,001): NOTHING WAS CHANGED (DRY RUN)\n\n  - create-route on `);
    expect(p.email).toContain(
      `  - replace-instances on 5,000 instances of ${SEED_ASG}: i-00000000000000000, `,
    );
    expect(p.email).toContain('i-00000000000000031, … and 4,950 more\n');
    const [body] = bodyOf(p.alert).nodegroups;
    expect(body?.omitted?.actions).toBe(5001 - (body?.actions.length ?? 0));
  });

  it('once done, cut the resolved remediation to fit, as valid JSON', async () => {
    const done: Action[] = p.nodegroup.actions.map((a) => withReason({ ...a, status: 'done' }));
    const followUp = await resolved();
    const record: RemediationRecord = {
      ...(followUp.nodegroup.remediation as RemediationRecord),
      actions: done,
      replacedInstanceIds: ids,
    };
    const alert = formatAlert(followUp.report, { ...followUp.nodegroup, remediation: record });
    expectWellFormed(alert);
    const [body] = bodyOf(alert).nodegroups;
    expect(body?.truncated).toBe(true);
    expect(body?.remediation?.replacedInstanceIds.length).toBeLessThan(5000);
    expect(body?.omitted?.replacedInstanceIds).toBe(
      5000 - (body?.remediation?.replacedInstanceIds.length ?? 0),
    );
    expect(chatOf(alert).content.description).toMatch(/… and [\d,]+ more/);
  });
});

describe('evidence too big for one message', () => {
  let p: Published;
  beforeAll(async () => {
    p = await problem();
  });
  const many = <T>(n: number, make: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => make(i));
  const longLine = (i: number) =>
    `[${i}] kubelet: ${'E1126 dial tcp 10.42.0.12:443: i/o timeout; '.repeat(12)}`;
  const bulky = (): NodegroupReport => ({
    ...p.nodegroup,
    findings: [
      ...p.nodegroup.findings,
      notReadyFinding({
        notReadyNodes: many(3000, (i) => ({
          nodeName: `ip-${i}`,
          instanceId: `i-nr${i}`,
          message: longLine(i),
        })),
      }),
      addressesFinding({
        subnetsWithRoom: many(2000, (i) => ({ subnetId: `subnet-${i}`, availableIpAddresses: i })),
      }),
      launchFailuresFinding({
        launchFailures: { statusMessages: many(2000, longLine), count: 2000 },
      }),
    ],
    bootEvidence: many(500, (i) => bootEvidence({ instanceId: `i-b${i}`, lines: many(20, longLine) })),
  });

  it('cuts the evidence lists of the JSON report to fit, counts what it left out, and keeps every finding', () => {
    const alert = formatAlert(p.report, bulky());
    expectWellFormed(alert);
    const [body] = bodyOf(alert).nodegroups;
    expect(body?.truncated).toBe(true);
    expect(body?.findings.map((f) => f.code)).toEqual([
      'NO_DEFAULT_ROUTE',
      'NODES_NOT_JOINED',
      'NODES_NOT_READY',
      'SUBNET_ADDRESSES_EXHAUSTED',
      'LAUNCH_FAILURES',
    ]);
    const [, , notReady, addresses, launches] = body?.findings ?? [];
    const omitted = body?.omitted ?? {};
    expect(omitted.notReadyNodes).toBe(3000 - (notReady?.notReadyNodes?.length ?? 0));
    expect(omitted.subnetsWithRoom).toBe(2000 - (addresses?.subnetsWithRoom?.length ?? 0));
    expect(omitted.launchFailureMessages).toBe(2000 - (launches?.launchFailures?.statusMessages.length ?? 0));
    expect(omitted.bootEvidence).toBe(500 - (body?.bootEvidence?.length ?? 0));
    expect(omitted.bootEvidenceLines).toBeGreaterThan(0);
    // The count of failed launches is data, not a list: it stays whole.
    expect(launches?.launchFailures?.count).toBe(2000);
    // A cut boot log keeps its last lines (they say the most), each clipped visibly.
    const [log] = body?.bootEvidence ?? [];
    expect(log?.lines.length).toBeGreaterThan(0);
    expect(log?.lines.at(-1)).toMatch(/^\[19\] kubelet: .*…$/);
    expect(log?.lines.at(-1)?.length).toBeLessThanOrEqual(JSON_TEXT_LIMITS.line);
  });

  it('keeps the chat post within its caps, with every code fence closed, and the email bounded', () => {
    const alert = formatAlert(p.report, bulky());
    const { description } = chatOf(alert).content;
    expect(description.length).toBeLessThanOrEqual(CHAT_LIMITS.description);
    expect(description.split('```').length % 2).toBe(1);
    expect(alert.structure.email.split('\n').filter((l) => l.includes('Not Ready: ip-'))).toHaveLength(10);
    expect(alert.structure.email).toContain('… and 2,990 more nodes not Ready');
    expect(alert.structure.email).toContain('… and 490 more boot logs (see the JSON report)');
    expect(alert.structure.email).toContain('… and 1,990 more status messages');
  });

  it('sends the evidence whole when it fits', () => {
    const alert = formatAlert(p.report, { ...p.nodegroup, bootEvidence: [bootEvidence()] });
    const [body] = bodyOf(alert).nodegroups;
    expect(body?.truncated).toBeUndefined();
    expect(body?.bootEvidence).toEqual([bootEvidence()]);
  });
});
