/**
 * The follow-up of a remediation: resolved once its replacements joined, escalated to a person when a
 * replacement is itself unjoined, otherwise wait. First the pure decision, then through the real
 * check on the in-memory account: the record is closed once, and the alert says what happened.
 */
import { describe, expect, it } from 'vitest';
import type { InstanceVerdict, RemediationRecord } from '../../../functions/core/model/types.js';
import { evaluateFollowUp } from '../../../functions/core/remediate/followUp.js';
import {
  actionsOf,
  checkSeed,
  passJoinWindow,
  recordingTopic,
  recordsOf,
  remediationRecord,
  replacementsOf,
  SEED_INSTANCE,
  seedAccount,
} from '../../support/seedCheck.js';

const AT = '2026-11-26T10:00:05.000Z';
const OLD = SEED_INSTANCE;
const NEW = 'i-0b2c3d4e5f6a70819';
const OTHER = 'i-0c3d4e5f6a7b8091a';

/** An open remediation that replaced OLD. */
function record(overrides: Partial<RemediationRecord> = {}): RemediationRecord {
  return remediationRecord(AT, { status: 'open', replacedInstanceIds: [OLD], ...overrides });
}

/** A verdict; by default a replacement launched after the remediation that joined. */
function verdict(instanceId: string, overrides: Partial<InstanceVerdict> = {}): InstanceVerdict {
  return {
    instanceId,
    launchedAt: '2026-11-26T10:00:40.000Z',
    joined: true,
    pending: false,
    state: 'running',
    ...overrides,
  };
}

const unjoined = { joined: false, pending: false } as const;
const booting = { joined: false, pending: true } as const;
const before = { launchedAt: '2026-11-26T09:00:00.000Z' } as const;

describe('evaluateFollowUp', () => {
  it('waits when there is no remediation, or it is no longer open', () => {
    const failedReplacement = [verdict(NEW, unjoined)];
    expect(evaluateFollowUp(undefined, failedReplacement)).toEqual({ kind: 'wait' });
    for (const status of ['resolved', 'escalated', 'failed'] as const) {
      expect(evaluateFollowUp(record({ status }), failedReplacement)).toEqual({ kind: 'wait' });
    }
  });

  it('resolves once every replacement joined and nothing is left unjoined', () => {
    const open = record();
    expect(evaluateFollowUp(open, [verdict(NEW)])).toEqual({ kind: 'resolved', record: open });
  });

  it('escalates when a replacement is itself past the join window without a Node, naming each one', () => {
    const open = record({ replacedInstanceIds: [OLD, 'i-0d0000000000000dd'] });
    const outcome = evaluateFollowUp(open, [verdict(NEW, unjoined), verdict(OTHER, unjoined)]);
    expect(outcome).toEqual({
      kind: 'escalate',
      record: open,
      reason: `the fix did not help: replacement(s) ${NEW}, ${OTHER} have not joined either`,
    });
  });

  it('escalates on the one unjoined replacement even when another joined', () => {
    const outcome = evaluateFollowUp(record(), [verdict(NEW), verdict(OTHER, unjoined)]);
    expect(outcome).toMatchObject({
      kind: 'escalate',
      reason: `the fix did not help: replacement(s) ${OTHER} have not joined either`,
    });
  });

  it('counts an instance launched in the very second of the remediation as a replacement', () => {
    // Launch times have second resolution and the record's time is floored to the second.
    const outcome = evaluateFollowUp(record(), [verdict(NEW, { ...unjoined, launchedAt: AT })]);
    expect(outcome.kind).toBe('escalate');
  });

  it('waits while any membership is unknown, whatever the replacements look like', () => {
    const verdicts = [verdict(NEW, unjoined), verdict(OTHER, { joined: null })];
    expect(evaluateFollowUp(record(), verdicts)).toEqual({ kind: 'wait' });
    expect(evaluateFollowUp(record(), [verdict(NEW), verdict(OTHER, { joined: null })])).toEqual({
      kind: 'wait',
    });
  });

  it('waits while a replacement is still inside its join window', () => {
    expect(evaluateFollowUp(record(), [verdict(NEW, booting)])).toEqual({ kind: 'wait' });
    expect(evaluateFollowUp(record(), [verdict(NEW), verdict(OTHER, booting)])).toEqual({ kind: 'wait' });
  });

  it('waits while an instance that is no replacement is unjoined, and never escalates on it', () => {
    // The terminated instance is still listed, and an instance launched before the fix never joined:
    // neither is a replacement, so neither says the fix failed, but the problem is not over either.
    expect(evaluateFollowUp(record(), [verdict(OLD, { ...unjoined, ...before }), verdict(NEW)])).toEqual({
      kind: 'wait',
    });
    expect(evaluateFollowUp(record(), [verdict(OTHER, { ...unjoined, ...before }), verdict(NEW)])).toEqual({
      kind: 'wait',
    });
    const replaced = verdict(OLD, { ...unjoined, launchedAt: '2026-11-26T10:00:50.000Z' });
    expect(evaluateFollowUp(record(), [replaced, verdict(NEW)])).toEqual({ kind: 'wait' });
  });

  it('does not count an instance without a launch time as a replacement', () => {
    const { launchedAt: _, ...unknownLaunch } = verdict(NEW, unjoined);
    expect(evaluateFollowUp(record(), [unknownLaunch, verdict(OTHER)])).toEqual({ kind: 'wait' });
  });

  it('resolves although an older instance is still booting: it is not unjoined', () => {
    const open = record();
    const booted = verdict(OTHER, { ...booting, launchedAt: '2026-11-26T09:59:30.000Z' });
    expect(evaluateFollowUp(open, [booted, verdict(NEW)])).toEqual({ kind: 'resolved', record: open });
  });

  it('waits for the replacements of terminated instances to be launched at all', () => {
    expect(evaluateFollowUp(record(), [])).toEqual({ kind: 'wait' });
    expect(evaluateFollowUp(record(), [verdict(OTHER, before)])).toEqual({ kind: 'wait' });
  });

  it('resolves a remediation that replaced nothing (a route fix) once every node is joined', () => {
    const routeOnly = record({ replacedInstanceIds: [] });
    expect(evaluateFollowUp(routeOnly, [verdict(OTHER, before)])).toEqual({
      kind: 'resolved',
      record: routeOnly,
    });
    expect(evaluateFollowUp(routeOnly, [])).toEqual({ kind: 'resolved', record: routeOnly });
  });
});

describe('follow-up through the check', () => {
  it('escalates once when the replacement did not join either, and closes the record', async () => {
    const seed = seedAccount();
    const topic = recordingTopic();
    const first = await checkSeed(seed, { alerts: topic.publisher });
    expect(actionsOf(first.nodegroup)).toEqual([
      'create-route:done',
      'replace-instances:done',
      'notify:done',
    ]);
    const [replacement] = replacementsOf(seed.account);
    expect(replacement).toBeDefined();

    passJoinWindow(seed.account);
    const second = await checkSeed(seed, { alerts: topic.publisher });
    expect(second.nodegroup.alertKind).toBe('escalation');
    expect(second.nodegroup.remediation).toMatchObject({
      status: 'escalated',
      replacedInstanceIds: [SEED_INSTANCE],
    });
    expect(topic.kinds()).toEqual(['remediated', 'escalation']);
    expect(topic.sent[1]?.nodegroup.instances.map((v) => v.instanceId)).toContain(replacement?.instanceId);
    const [stored] = await recordsOf(seed);
    expect(stored?.status).toBe('escalated');

    // Closed: the next check does not escalate the same remediation again.
    seed.account.clock.advance(60_000);
    const third = await checkSeed(seed, { alerts: topic.publisher });
    expect(third.nodegroup.alertKind).not.toBe('escalation');
    expect(topic.kinds().filter((k) => k === 'escalation')).toHaveLength(1);
  });

  it('resolves once the replacement joined, and says so once', async () => {
    const seed = seedAccount();
    const topic = recordingTopic();
    await checkSeed(seed, { alerts: topic.publisher });
    for (const instance of replacementsOf(seed.account)) instance.joined = true;
    passJoinWindow(seed.account);

    const second = await checkSeed(seed, { alerts: topic.publisher });
    expect(second.nodegroup.alertKind).toBe('resolved');
    expect(second.nodegroup.remediation?.status).toBe('resolved');
    expect(topic.kinds()).toEqual(['remediated', 'resolved']);

    seed.account.clock.advance(60_000);
    const third = await checkSeed(seed, { alerts: topic.publisher });
    expect(third.nodegroup.alertKind).toBeUndefined();
    expect(topic.kinds()).toEqual(['remediated', 'resolved']);
  });

  it('waits, and alerts nothing, while the replacement is still booting', async () => {
    const seed = seedAccount();
    const topic = recordingTopic();
    await checkSeed(seed, { alerts: topic.publisher });
    seed.account.clock.advance(60_000);

    const second = await checkSeed(seed, { alerts: topic.publisher });
    expect(second.nodegroup.alertKind).toBeUndefined();
    expect(second.nodegroup.actions).toEqual([]);
    const [stored] = await recordsOf(seed);
    expect(stored?.status).toBe('open');
    expect(topic.kinds()).toEqual(['remediated']);
  });

  it('leaves the alert to the run that closed the record: a duplicate run finds it closed', async () => {
    const seed = seedAccount();
    const topic = recordingTopic();
    await checkSeed(seed, { alerts: topic.publisher });
    passJoinWindow(seed.account);
    // Another invocation closed it between this run's read and its close.
    const close = seed.state.closeRemediation.bind(seed.state);
    seed.state.closeRemediation = async (r, status) => {
      await close(r, status);
      return close(r, status);
    };
    const second = await checkSeed(seed, { alerts: topic.publisher });
    expect(second.nodegroup.alertKind).not.toBe('escalation');
    expect(second.nodegroup.remediation).toBeUndefined();
    expect(topic.kinds()).not.toContain('escalation');
  });

  it('is not made under dry-run: the record stays open for the run that remediates', async () => {
    const seed = seedAccount();
    await checkSeed(seed);
    passJoinWindow(seed.account);
    const dryRun = await checkSeed(seed, { policy: 'dry-run' });
    expect(dryRun.nodegroup.alertKind).toBeUndefined();
    const [stored] = await recordsOf(seed);
    expect(stored?.status).toBe('open');
  });
});
