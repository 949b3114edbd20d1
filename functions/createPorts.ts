import { SnsAlertPublisher } from './alerts/SnsAlertPublisher.js';
import { AwsAccountReader } from './aws/AwsAccountReader.js';
import { AwsIdentityReader } from './aws/AwsIdentityReader.js';
import { AwsLaunchReader } from './aws/AwsLaunchReader.js';
import { AwsRemediationWriter } from './aws/AwsRemediationWriter.js';
import { CloudTrailChangeHistory } from './aws/CloudTrailChangeHistory.js';
import { awsClients } from './aws/clients.js';
import { Ec2ConsoleReader } from './aws/Ec2ConsoleReader.js';
import type { Config } from './config.js';
import type { CheckPorts } from './core/model/check.js';
import { type Log, silentLog } from './core/model/ports.js';
import { KubernetesNodeReader } from './kubernetes/KubernetesNodeReader.js';
import { Memo } from './Memo.js';
import { stateStore } from './state/stateStore.js';

export interface PortsOptions {
  /** Where alerts go; default the configured ALERT_TOPIC_ARN. Neither: nothing is published. */
  topicArn?: string;
  /** Default: silent. */
  log?: Log;
  /** Names this run in remediation locks. */
  runId?: string;
}

/**
 * One Kubernetes reader per process (Lambda container) and region: its EKS tokens are reused across
 * units of work. Keyed by the API URL too, so a reader never serves another configuration.
 */
const kubernetesReaders = new Memo<KubernetesNodeReader>();

/**
 * The adapters behind one unit of work (a Lambda invocation, a CLI run) in one region: the handler
 * and the CLI wire the check the same way. The account reader and the membership session cache
 * their reads for this unit of work only; the SDK clients and the Kubernetes reader's tokens live as
 * long as the process.
 */
export function createPorts(
  config: Config,
  region: string | undefined,
  options: PortsOptions = {},
): CheckPorts {
  const clients = awsClients(region);
  // The state table and the alert topic live where they were deployed, whichever region an event
  // comes from: the table in the function's own region, the topic in the region of its ARN.
  const home = awsClients(config.homeRegion ?? region);
  const log = options.log ?? silentLog;
  const topicArn = options.topicArn ?? config.alertTopicArn;
  const kubernetes = kubernetesReaders.get(
    `${region ?? ''}\n${config.kubernetesApiUrl ?? ''}`,
    () =>
      new KubernetesNodeReader({
        credentials: clients.eks.config.credentials,
        apiUrlOverride: config.kubernetesApiUrl,
        log,
      }),
  );
  return {
    account: new AwsAccountReader(clients),
    writer: new AwsRemediationWriter(clients),
    state: stateStore(config, home),
    ...(options.runId && { runId: options.runId }),
    // A session per unit of work: each cluster's whole node list is read once here, never reused later.
    membership: kubernetes.session(),
    // One reader for nodes and aws-auth: one token per cluster.
    identity: new AwsIdentityReader({ clients, configMaps: kubernetes, log }),
    // Evidence: who changed a resource, what unjoined instances printed, why launches failed.
    changes: new CloudTrailChangeHistory({ client: clients.cloudTrail, log }),
    consoles: new Ec2ConsoleReader({ client: clients.ec2, log }),
    launches: new AwsLaunchReader({ clients, log }),
    ...(topicArn && {
      alerts: new SnsAlertPublisher({
        client: awsClients(regionOfArn(topicArn) ?? region).sns,
        topicArn,
        log,
      }),
    }),
    clock: { now: () => new Date() },
    log,
  };
}

/** The region of an ARN (arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE), when it names one. */
function regionOfArn(arn: string): string | undefined {
  return arn.split(':')[3] || undefined;
}
