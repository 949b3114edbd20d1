import { describe, expect, it } from 'vitest';
import { SnsAlertPublisher } from '../../functions/alerts/SnsAlertPublisher.js';
import { AwsAccountReader } from '../../functions/aws/AwsAccountReader.js';
import { AwsIdentityReader } from '../../functions/aws/AwsIdentityReader.js';
import { AwsRemediationWriter } from '../../functions/aws/AwsRemediationWriter.js';
import { parseConfig } from '../../functions/config.js';
import { silentLog } from '../../functions/core/model/ports.js';
import { createPorts } from '../../functions/createPorts.js';
import { DynamoDbStateStore } from '../../functions/state/DynamoDbStateStore.js';
import { MemoryStateStore } from '../../functions/state/MemoryStateStore.js';

const TOPIC = 'arn:aws:sns:us-west-2:123456789012:eks-join-alerts';
const OTHER_TOPIC = 'arn:aws:sns:us-west-2:123456789012:on-call';

describe('createPorts', () => {
  it('wires the AWS and Kubernetes adapters, silent and without alerts by default', () => {
    const ports = createPorts(parseConfig({}), 'us-west-2');

    expect(ports.account).toBeInstanceOf(AwsAccountReader);
    expect(ports.writer).toBeInstanceOf(AwsRemediationWriter);
    expect(ports.identity).toBeInstanceOf(AwsIdentityReader);
    expect(ports.membership.listNodes).toBeTypeOf('function');
    expect(ports.alerts).toBeUndefined();
    expect(ports.runId).toBeUndefined();
    expect(ports.log).toBe(silentLog);
    expect(ports.clock.now()).toBeInstanceOf(Date);
  });

  it('publishes to the configured topic, or to the one the caller names instead', () => {
    const config = parseConfig({ ALERT_TOPIC_ARN: TOPIC });

    expect(createPorts(config, 'us-west-2').alerts).toBeInstanceOf(SnsAlertPublisher);
    expect(createPorts(parseConfig({}), 'us-west-2', { topicArn: OTHER_TOPIC }).alerts).toBeInstanceOf(
      SnsAlertPublisher,
    );
  });

  it('passes the run id and the log through', () => {
    const log = { ...silentLog };

    const ports = createPorts(parseConfig({}), 'us-west-2', { runId: 'request-1', log });

    expect(ports.runId).toBe('request-1');
    expect(ports.log).toBe(log);
  });

  it('keeps state in the table when STATE_TABLE names one, else in memory for the process', () => {
    const inTable = createPorts(parseConfig({ STATE_TABLE: 'eks-join-state' }), 'us-west-2');
    const inMemory = createPorts(parseConfig({}), 'us-west-2');

    expect(inTable.state).toBeInstanceOf(DynamoDbStateStore);
    expect(inMemory.state).toBeInstanceOf(MemoryStateStore);
    expect(createPorts(parseConfig({}), 'eu-west-1').state).toBe(inMemory.state);
  });

  it('gives each unit of work its own account reader and membership session', () => {
    const config = parseConfig({});

    const first = createPorts(config, 'us-west-2');
    const second = createPorts(config, 'us-west-2');

    expect(second.account).not.toBe(first.account);
    expect(second.membership).not.toBe(first.membership);
  });
});
