import {
  type EC2Client,
  GetConsoleOutputCommand,
  type GetConsoleOutputCommandOutput,
} from '@aws-sdk/client-ec2';
import { errorName } from '../core/model/errors.js';
import { type ConsoleReader, type Log, silentLog } from '../core/model/ports.js';
import { awsCall } from './awsCall.js';

/** What awsCall answers when the instance type does not offer the latest output. */
const LATEST_UNSUPPORTED: unique symbol = Symbol('latest console output unsupported');

export interface Ec2ConsoleReaderOptions {
  client: EC2Client;
  log?: Log;
}

/**
 * Reads an instance's serial console output (ec2:GetConsoleOutput): what cloud-init, bootstrap.sh,
 * nodeadm and the kernel printed, with no agent on the instance and no egress from it.
 */
export class Ec2ConsoleReader implements ConsoleReader {
  readonly #ec2: EC2Client;
  readonly #log: Log;

  constructor({ client, log }: Ec2ConsoleReaderOptions) {
    this.#ec2 = client;
    this.#log = log ?? silentLog;
  }

  /** The latest output, decoded; undefined when EC2 has none yet. Throws an AwsCallError. */
  async readConsoleOutput(instanceId: string): Promise<{ text: string; at?: string } | undefined> {
    // The latest output (not the copy taken at boot) is offered on Nitro instances only; other types
    // answer UnsupportedOperation, and their boot-time copy is still worth reading.
    const latest = await awsCall(
      'ec2:GetConsoleOutput',
      () => this.#ec2.send(new GetConsoleOutputCommand({ InstanceId: instanceId, Latest: true })),
      {
        when: (error) => errorName(error) === 'UnsupportedOperation',
        answer: (): typeof LATEST_UNSUPPORTED => LATEST_UNSUPPORTED,
      },
    );
    const answer = latest === LATEST_UNSUPPORTED ? await this.#bootTimeCopy(instanceId) : latest;
    const text = answer?.Output ? Buffer.from(answer.Output, 'base64').toString('utf8') : '';
    if (text.trim() === '') return undefined;
    return { text, ...(answer?.Timestamp && { at: answer.Timestamp.toISOString() }) };
  }

  #bootTimeCopy(instanceId: string): Promise<GetConsoleOutputCommandOutput> {
    this.#log.debug('latest console output not offered for this instance type: reading the boot-time copy', {
      instanceId,
    });
    return awsCall('ec2:GetConsoleOutput', () =>
      this.#ec2.send(new GetConsoleOutputCommand({ InstanceId: instanceId })),
    );
  }
}
