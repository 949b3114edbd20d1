import { describe, expect, it } from 'vitest';
import { MAX_CONSOLE_READS, readBootEvidence } from '../../../functions/core/check/readBootEvidence.js';
import { AwsCallError } from '../../../functions/core/model/errors.js';
import type { ConsoleReader } from '../../../functions/core/model/ports.js';
import type { Finding, InstanceVerdict } from '../../../functions/core/model/types.js';
import { recordingLog } from '../../support/recordingLog.js';
import { namedError } from '../../support/sdkErrors.js';

const NO_ROUTE: Finding = {
  code: 'NO_DEFAULT_ROUTE',
  severity: 'critical',
  resourceId: 'rtb-1735b99221e47150e',
  message: 'no 0.0.0.0/0 route',
  fix: '',
};
const TIMEOUT_OUTPUT =
  '[   74.120447] cloud-init[1829]: Dec 02 04:11:15 localhost nodeadm[1619]: {"level":"fatal","msg":"Command failed","error":"Post \\"https://ec2.us-west-2.amazonaws.com/\\": dial tcp 52.94.132.100:443: i/o timeout"}\n';

const unjoined = (instanceId: string, launchedAt?: string): InstanceVerdict => ({
  instanceId,
  joined: false,
  pending: false,
  state: 'running',
  ...(launchedAt && { launchedAt }),
});

/** A console reader that answers from a table and records what it was asked. */
function consoles(answers: Record<string, { text: string; at?: string } | undefined | Error>) {
  const asked: string[] = [];
  const reader: ConsoleReader = {
    async readConsoleOutput(instanceId) {
      asked.push(instanceId);
      const answer = answers[instanceId];
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
  return { reader, asked };
}

describe('readBootEvidence', () => {
  it('reads the oldest unjoined instances first, at most three, and judges each against the findings', async () => {
    const { reader, asked } = consoles({
      'i-old': { text: TIMEOUT_OUTPUT, at: '2026-12-02T04:12:00.000Z' },
      'i-older': { text: TIMEOUT_OUTPUT },
      'i-oldest': { text: TIMEOUT_OUTPUT },
    });
    const verdicts = [
      unjoined('i-newest', '2026-12-02T04:30:00Z'),
      unjoined('i-old', '2026-12-02T04:10:00Z'),
      unjoined('i-no-launch-time'),
      unjoined('i-oldest', '2026-12-02T04:00:00Z'),
      unjoined('i-older', '2026-12-02T04:05:00Z'),
    ];

    const evidence = await readBootEvidence(verdicts, [NO_ROUTE], { consoles: reader, log: recordingLog() });

    expect(MAX_CONSOLE_READS).toBe(3);
    expect(asked.sort()).toEqual(['i-old', 'i-older', 'i-oldest']);
    expect(evidence?.map((e) => e.instanceId)).toEqual(['i-oldest', 'i-older', 'i-old']);
    expect(evidence?.[2]).toMatchObject({
      signatures: ['API_TIMEOUT'],
      verdict: 'corroborates',
      at: '2026-12-02T04:12:00.000Z',
    });
    expect(evidence?.[0]?.lines.join('\n')).toContain('i/o timeout');
  });

  it('says why when an instance has no output yet, without calling that a failure', async () => {
    const { reader } = consoles({ 'i-new': undefined });
    const log = recordingLog();

    const evidence = await readBootEvidence([unjoined('i-new')], [NO_ROUTE], { consoles: reader, log });

    expect(evidence).toEqual([
      {
        instanceId: 'i-new',
        lines: [],
        signatures: [],
        verdict: 'inconclusive',
        unavailable: expect.stringMatching(
          /^no console output yet: EC2 keeps it from a few minutes after boot/,
        ),
      },
    ]);
    expect(log.entries.filter((e) => e.level === 'warn')).toEqual([]);
  });

  it('names the permission to grant when GetConsoleOutput is denied, and goes on with the other instances', async () => {
    const { reader } = consoles({
      'i-denied': new AwsCallError(
        'ec2:GetConsoleOutput',
        namedError('UnauthorizedOperation', 'You are not authorized'),
      ),
      'i-read': { text: TIMEOUT_OUTPUT },
    });
    const log = recordingLog();

    const evidence = await readBootEvidence(
      [unjoined('i-denied', '2026-12-02T04:00:00Z'), unjoined('i-read', '2026-12-02T04:01:00Z')],
      [NO_ROUTE],
      { consoles: reader, log },
    );

    expect(evidence?.[0]).toMatchObject({
      instanceId: 'i-denied',
      verdict: 'inconclusive',
      unavailable: expect.stringMatching(/^ec2:GetConsoleOutput not allowed: grant it/),
    });
    expect(evidence?.[1]).toMatchObject({ instanceId: 'i-read', verdict: 'corroborates' });
    expect(log.entries).toContainEqual(
      expect.objectContaining({ level: 'warn', extra: expect.objectContaining({ instanceId: 'i-denied' }) }),
    );
  });

  it.each([
    [
      new AwsCallError('ec2:GetConsoleOutput', namedError('InvalidInstanceID.NotFound', 'gone')),
      'the instance no longer exists',
    ],
    [
      new AwsCallError('ec2:GetConsoleOutput', namedError('RequestLimitExceeded', 'slow down')),
      /^ec2:GetConsoleOutput throttled/,
    ],
    [
      new AwsCallError('ec2:GetConsoleOutput', namedError('InternalError', 'boom')),
      /^console output could not be read: ec2:GetConsoleOutput failed: InternalError: boom$/,
    ],
    [new TypeError('reader bug'), 'console output could not be read: reader bug'],
  ])('never throws: %s becomes an entry that says why', async (error, why) => {
    const { reader } = consoles({ 'i-1': error });

    const evidence = await readBootEvidence([unjoined('i-1')], [NO_ROUTE], {
      consoles: reader,
      log: recordingLog(),
    });

    expect(evidence?.[0]?.unavailable).toEqual(typeof why === 'string' ? why : expect.stringMatching(why));
  });

  it('reads nothing without a console reader or an unjoined instance', async () => {
    const { reader, asked } = consoles({});

    expect(await readBootEvidence([unjoined('i-1')], [NO_ROUTE], { log: recordingLog() })).toBeUndefined();
    expect(await readBootEvidence([], [NO_ROUTE], { consoles: reader, log: recordingLog() })).toBeUndefined();
    expect(asked).toEqual([]);
  });
});
