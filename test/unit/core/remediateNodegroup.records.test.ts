/**
 * remediateNodegroup's records and the plan without a writer: the intent stored before the first
 * write, a plan carried out by nobody, and the follow-up of the last open remediation when a later
 * one failed.
 */
import { describe, expect, it } from 'vitest';
import type { RemediationRecord } from '../../../functions/core/model/types.js';
import { PRIVATE_SUBNET } from '../../support/factories.js';
import {
  checkSeed,
  putEarlierRemediation,
  recordingTopic,
  SEED_INSTANCE,
  SEED_TABLE,
  seedAccount,
  unjoinedInstance,
} from '../../support/seedCheck.js';

describe('remediateNodegroup: the intent', () => {
  it('is stored open, with nothing replaced yet and the state before, ahead of any write', async () => {
    const seed = seedAccount();
    const intents: RemediationRecord[] = [];
    const put = seed.state.putRemediation.bind(seed.state);
    seed.state.putRemediation = async (record) => {
      intents.push(structuredClone(record));
      return put(record);
    };
    await checkSeed(seed);
    expect(intents[0]).toMatchObject({
      status: 'open',
      progress: 'writing',
      alerted: false,
      replacedInstanceIds: [],
      before: { routes: [{ routeTableId: SEED_TABLE }], desiredSize: 1 },
    });
    expect(intents.at(-1)).toMatchObject({
      status: 'open',
      progress: 'written',
      replacedInstanceIds: [SEED_INSTANCE],
    });
  });
});

describe('remediateNodegroup: without a writer', () => {
  it('skips each planned write as NO_WRITER and keeps every refusal with its own code', async () => {
    const other = unjoinedInstance({ instanceId: 'i-0bbb', subnetId: PRIVATE_SUBNET });
    const seed = seedAccount({ instances: [unjoinedInstance(), other] });
    const { nodegroup } = await checkSeed(seed, { noWriter: true });
    expect(nodegroup.actions.map((a) => [a.type, a.status, a.reasonCode])).toEqual([
      ['create-route', 'skipped', 'NO_WRITER'],
      ['replace-instances', 'skipped', 'NO_WRITER'],
      ['replace-instances', 'skipped', 'ROUTE_NOT_FIXED'],
    ]);
    expect(nodegroup.actions.filter((a) => a.status === 'skipped' && a.reasonCode === 'NO_WRITER')).toEqual(
      expect.arrayContaining([expect.not.objectContaining({ undo: expect.anything() })]),
    );
    expect(seed.account.writes).toEqual([]);
  });
});

describe('remediateNodegroup: follow-up', () => {
  it('follows up on the last open remediation, though a later one failed', async () => {
    const replacement = unjoinedInstance({
      instanceId: 'i-0new000000000001',
      launchedAt: '2026-11-26T09:45:00.000Z',
      joined: true,
    });
    const seed = seedAccount({ instances: [replacement] });
    await putEarlierRemediation(seed, 20, { status: 'open', replacedInstanceIds: ['i-0old000000000001'] });
    await putEarlierRemediation(seed, 10, { status: 'failed' });
    const topic = recordingTopic();
    const { nodegroup } = await checkSeed(seed, { alerts: topic.publisher });
    expect(nodegroup.alertKind).toBe('resolved');
    expect(nodegroup.remediation).toMatchObject({
      status: 'resolved',
      replacedInstanceIds: ['i-0old000000000001'],
    });
  });
});
