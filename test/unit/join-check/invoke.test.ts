import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../support/runCli.js';

/**
 * `cli invoke` on bad input: the exit codes of the contract (2 for malformed input), and no AWS
 * call at all. The endpoint is a closed port, so a call that should not happen would fail as exit 3.
 */
const ENV = {
  AWS_REGION: 'us-west-2',
  AWS_ACCESS_KEY_ID: 'testing',
  AWS_SECRET_ACCESS_KEY: 'testing',
  AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
};

let tmp: string;
let batch: { Records: ({ messageId: string } & Record<string, unknown>)[] };
let launch: Record<string, unknown>;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'ejr-invoke-'));
  batch = JSON.parse(await readFile('events/sqs-batch.json', 'utf8'));
  launch = JSON.parse(await readFile('events/asg-launch-successful.json', 'utf8'));
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function invoke(name: string, event: unknown, env: Record<string, string> = {}) {
  const file = join(tmp, name);
  await writeFile(file, JSON.stringify(event));
  return runCli(['invoke', file], { ...ENV, ...env });
}

describe('cli invoke on bad input', () => {
  it('exits 2 with one line, and no result, on an SQS batch with a record it cannot name', async () => {
    const run = await invoke('null-record.json', { Records: [batch.Records[0], null] });

    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')).toEqual([
      'eks-join-remediator: SQS batch failed as a whole: record 1 is null, not an SQS message (a record without its messageId cannot be failed alone)',
    ]);
  });

  it('exits 2 on a record that is not from SQS, reporting it as a batch item failure', async () => {
    const record = { ...batch.Records[0], eventSource: 'aws:kinesis' };

    const run = await invoke('kinesis-record.json', { Records: [record] });

    expect(run.code, run.stderr).toBe(2);
    expect(JSON.parse(run.stdout)).toEqual({ batchItemFailures: [{ itemIdentifier: record.messageId }] });
  });

  it('exits 2 on an event dated beyond the join window plus 5 minutes', async () => {
    const run = await invoke('future.json', { ...launch, time: '2099-01-01T00:00:00Z' });

    expect(run.code, run.stderr).toBe(2);
    expect(JSON.parse(run.stdout).failed).toEqual([
      expect.objectContaining({ reason: expect.stringContaining('in the future'), malformed: true }),
    ]);
  });

  it('exits 0 and says why when the event is of a region that is not watched', async () => {
    const run = await invoke('elsewhere.json', launch, { REGIONS: 'eu-west-1' });

    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).skipped).toEqual([
      { id: launch.id, reason: 'event of region us-west-2, which is not watched (REGIONS: eu-west-1)' },
    ]);
  });
});
