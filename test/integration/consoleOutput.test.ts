import { EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ec2ConsoleReader } from '../../functions/aws/Ec2ConsoleReader.js';
import { readBootEvidence } from '../../functions/core/check/readBootEvidence.js';
import { AwsCallError } from '../../functions/core/model/errors.js';
import type { Finding } from '../../functions/core/model/types.js';
import {
  harnessClientConfig,
  type MotoServer,
  startMotoServer,
  toolClientConfig,
} from '../support/motoServer.js';
import { recordingLog } from '../support/recordingLog.js';

const HOOK_TIMEOUT_MS = 60_000;
const NO_ROUTE: Finding = {
  code: 'NO_DEFAULT_ROUTE',
  severity: 'critical',
  resourceId: 'rtb-1735b99221e47150e',
  message: 'no 0.0.0.0/0 route',
  fix: '',
};

/**
 * What moto answers to GetConsoleOutput, read the way the tool reads it: moto ignores `Latest` and
 * returns the same canned boot log of an old Xen kernel for every instance, base64-encoded, stamped
 * with the time of the call. It shows the decoding and the call shape work; it is not an EKS node.
 */
describe('GetConsoleOutput on moto, through Ec2ConsoleReader', () => {
  let server: MotoServer;
  let harness: EC2Client;
  let tool: EC2Client;
  let instanceId: string;

  beforeAll(async () => {
    server = await startMotoServer();
    harness = new EC2Client(harnessClientConfig(server.endpoint));
    tool = new EC2Client(toolClientConfig(server.env));
    const launched = await harness.send(
      new RunInstancesCommand({
        ImageId: 'ami-0eks0join0seed0001',
        InstanceType: 't3.medium',
        MinCount: 1,
        MaxCount: 1,
      }),
    );
    instanceId = launched.Instances?.[0]?.InstanceId as string;
  }, HOOK_TIMEOUT_MS);

  afterAll(async () => {
    harness?.destroy();
    tool?.destroy();
    await server?.stop();
  }, HOOK_TIMEOUT_MS);

  it('decodes the latest output of a launched instance, with its time', async () => {
    const before = Date.now();
    const output = await new Ec2ConsoleReader({ client: tool }).readConsoleOutput(instanceId);

    expect(output?.text).toMatch(/^Linux version 2\.6\.16-xenU \(builder@patchbat\.amazonsa\)/);
    expect(output?.text).toContain('Kernel command line: root=/dev/sda1 ro 4');
    expect(output?.text.split('\n')).toHaveLength(11);
    // moto stamps the answer with the time of the call (to the second).
    expect(Date.parse(output?.at as string)).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
  });

  it("finds nothing relevant in moto's kernel log: an inconclusive entry with no lines", async () => {
    const evidence = await readBootEvidence(
      [{ instanceId, joined: false, pending: false, state: 'running' }],
      [NO_ROUTE],
      { consoles: new Ec2ConsoleReader({ client: tool }), log: recordingLog() },
    );

    expect(evidence).toEqual([
      { instanceId, lines: [], signatures: [], verdict: 'inconclusive', at: expect.any(String) },
    ]);
  });

  it('fails with the EC2 error name for an instance that does not exist, and the check says so', async () => {
    const missing = 'i-0123456789abcdef0';

    await expect(new Ec2ConsoleReader({ client: tool }).readConsoleOutput(missing)).rejects.toSatisfy(
      (error) => error instanceof AwsCallError && error.errorName === 'InvalidInstanceID.NotFound',
    );
    const evidence = await readBootEvidence(
      [{ instanceId: missing, joined: false, pending: false, state: 'running' }],
      [NO_ROUTE],
      { consoles: new Ec2ConsoleReader({ client: tool }), log: recordingLog() },
    );
    expect(evidence?.[0]?.unavailable).toBe('the instance no longer exists');
  });
});
