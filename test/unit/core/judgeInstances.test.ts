import { describe, expect, it } from 'vitest';
import { judgeInstances, unjoinedOf } from '../../../functions/core/diagnose/judgeInstances.js';
import type { Membership } from '../../../functions/core/model/types.js';
import { instance } from '../../support/factories.js';

const now = new Date('2026-11-26T10:00:00Z');
const launchedAt = (secondsAgo: number) => new Date(now.getTime() - secondsAgo * 1000).toISOString();
const known = (...instanceIds: string[]): Membership => ({
  kind: 'known',
  nodes: instanceIds.map((id, n) => ({
    name: `ip-10-42-1-${n}.us-west-2.compute.internal`,
    providerId: `aws:///us-west-2a/${id}`,
    instanceId: id,
    ready: true,
  })),
});

describe('judgeInstances', () => {
  it('marks an instance with a Node object as joined, whatever its age', () => {
    const [verdict] = judgeInstances(
      [instance({ launchedAt: launchedAt(10) })],
      known('i-0a1b2c3d4e5f60718'),
      now,
      300,
    );
    expect(verdict).toMatchObject({ joined: true, pending: false, ready: true });
  });

  it('keeps an instance without a Node inside the join window as pending', () => {
    const verdicts = judgeInstances([instance({ launchedAt: launchedAt(299) })], known(), now, 300);
    expect(verdicts[0]).toMatchObject({ joined: false, pending: true });
    expect(unjoinedOf(verdicts)).toEqual([]);
  });

  it('judges an instance without a Node past the join window as not joined', () => {
    const verdicts = judgeInstances([instance({ launchedAt: launchedAt(300) })], known(), now, 300);
    expect(verdicts[0]).toMatchObject({ joined: false, pending: false });
    expect(unjoinedOf(verdicts).map((v) => v.instanceId)).toEqual(['i-0a1b2c3d4e5f60718']);
  });

  it('never guesses: unknown membership gives joined null and nothing unjoined', () => {
    const verdicts = judgeInstances(
      [instance({ launchedAt: launchedAt(3600) })],
      { kind: 'unknown', reason: 'forbidden', status: 403, detail: 'Forbidden', endpoint: 'https://x' },
      now,
      300,
    );
    expect(verdicts[0]?.joined).toBeNull();
    expect(unjoinedOf(verdicts)).toEqual([]);
  });

  it('leaves out instances that are terminating or leaving the group', () => {
    const verdicts = judgeInstances(
      [
        instance({ instanceId: 'i-0terminated0000000', state: 'terminated' }),
        instance({ instanceId: 'i-0shutting000000000', state: 'shutting-down' }),
        instance({ instanceId: 'i-0terminating000000', lifecycleState: 'Terminating:Wait' }),
        instance({ instanceId: 'i-0standby0000000000', lifecycleState: 'Standby' }),
        instance({ instanceId: 'i-0live0000000000000' }),
      ],
      known(),
      now,
      0,
    );
    expect(verdicts.map((v) => v.instanceId)).toEqual(['i-0live0000000000000']);
  });

  it('treats an instance EC2 still reports as pending as inside its window', () => {
    const verdicts = judgeInstances(
      [instance({ state: 'pending', launchedAt: launchedAt(9999) })],
      known(),
      now,
      300,
    );
    expect(verdicts[0]?.pending).toBe(true);
  });

  it('reports a joined node that is NotReady as joined, with ready false', () => {
    const membership: Membership = {
      kind: 'known',
      nodes: [{ name: 'n1', instanceId: 'i-0a1b2c3d4e5f60718', ready: false }],
    };
    expect(judgeInstances([instance()], membership, now, 300)[0]).toMatchObject({
      joined: true,
      ready: false,
    });
  });
});
