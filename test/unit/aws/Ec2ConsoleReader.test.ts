import { EC2Client, EC2ServiceException, GetConsoleOutputCommand } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { Ec2ConsoleReader } from '../../../functions/aws/Ec2ConsoleReader.js';
import { AwsCallError } from '../../../functions/core/model/errors.js';
import { recordingLog } from '../../support/recordingLog.js';
import { namedError, serviceError } from '../../support/sdkErrors.js';

const ec2 = mockClient(EC2Client);
const INSTANCE_ID = 'i-0a1b2c3d4e5f60718';
const OUTPUT =
  '[   74.120447] cloud-init[1829]: nodeadm[1619]: {"level":"fatal","msg":"Command failed","error":"dial tcp 52.94.132.100:443: i/o timeout"}\n';
const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const reader = (log = recordingLog()) =>
  new Ec2ConsoleReader({ client: new EC2Client({ region: 'us-west-2' }), log });

beforeEach(() => {
  ec2.reset();
});

describe('Ec2ConsoleReader', () => {
  it('asks for the latest output and decodes it, with its time', async () => {
    ec2.on(GetConsoleOutputCommand).resolves({
      InstanceId: INSTANCE_ID,
      Output: base64(OUTPUT),
      Timestamp: new Date('2026-12-02T04:12:30Z'),
    });

    const output = await reader().readConsoleOutput(INSTANCE_ID);

    expect(output).toEqual({ text: OUTPUT, at: '2026-12-02T04:12:30.000Z' });
    expect(ec2).toHaveReceivedCommandExactlyOnceWith(GetConsoleOutputCommand, {
      InstanceId: INSTANCE_ID,
      Latest: true,
    });
  });

  it('keeps UTF-8 that the console printed', async () => {
    ec2.on(GetConsoleOutputCommand).resolves({ Output: base64('kubelet: “Unauthorized” ✗\n') });

    expect(await reader().readConsoleOutput(INSTANCE_ID)).toEqual({ text: 'kubelet: “Unauthorized” ✗\n' });
  });

  it('reads the boot-time copy once when the instance type does not offer the latest output', async () => {
    ec2
      .on(GetConsoleOutputCommand, { InstanceId: INSTANCE_ID, Latest: true })
      .rejects(
        serviceError(
          EC2ServiceException,
          'UnsupportedOperation',
          'The latest console output is not supported for the instance type t2.medium.',
        ),
      );
    ec2
      .on(GetConsoleOutputCommand, { InstanceId: INSTANCE_ID, Latest: undefined })
      .resolves({ Output: base64(OUTPUT) });
    const log = recordingLog();

    const output = await reader(log).readConsoleOutput(INSTANCE_ID);

    expect(output).toEqual({ text: OUTPUT });
    expect(ec2).toHaveReceivedCommandTimes(GetConsoleOutputCommand, 2);
    expect(ec2.commandCalls(GetConsoleOutputCommand)[1]?.args[0].input).toEqual({ InstanceId: INSTANCE_ID });
    expect(log.entries).toContainEqual(
      expect.objectContaining({ level: 'debug', extra: { instanceId: INSTANCE_ID } }),
    );
  });

  it.each([
    ['no Output at all', {}],
    ['an empty Output', { Output: '' }],
    ['Output of only blanks', { Output: base64(' \r\n') }],
  ])('answers undefined for %s: nothing printed yet', async (_name, answer) => {
    ec2.on(GetConsoleOutputCommand).resolves(answer);

    expect(await reader().readConsoleOutput(INSTANCE_ID)).toBeUndefined();
  });

  it('throws an AwsCallError that names the permission when access is denied', async () => {
    ec2
      .on(GetConsoleOutputCommand)
      .rejects(namedError('UnauthorizedOperation', 'You are not authorized to perform this operation.'));

    const read = reader().readConsoleOutput(INSTANCE_ID);

    await expect(read).rejects.toThrow(AwsCallError);
    await expect(read).rejects.toThrow(
      /^ec2:GetConsoleOutput failed: UnauthorizedOperation: .*\(grant ec2:GetConsoleOutput/,
    );
    expect(ec2).toHaveReceivedCommandTimes(GetConsoleOutputCommand, 1);
  });

  it('does not retry without Latest for any other error', async () => {
    ec2
      .on(GetConsoleOutputCommand)
      .rejects(namedError('InvalidInstanceID.NotFound', `The instance ID '${INSTANCE_ID}' does not exist`));

    await expect(reader().readConsoleOutput(INSTANCE_ID)).rejects.toMatchObject({
      name: 'AwsCallError',
      errorName: 'InvalidInstanceID.NotFound',
    });
    expect(ec2).toHaveReceivedCommandTimes(GetConsoleOutputCommand, 1);
  });

  it('throws when the boot-time copy fails too', async () => {
    ec2
      .on(GetConsoleOutputCommand)
      .rejectsOnce(namedError('UnsupportedOperation', 'latest not supported'))
      .rejectsOnce(namedError('RequestLimitExceeded', 'Request limit exceeded.'));

    await expect(reader().readConsoleOutput(INSTANCE_ID)).rejects.toThrow(
      /^ec2:GetConsoleOutput failed: RequestLimitExceeded: .*throttled/,
    );
  });
});
