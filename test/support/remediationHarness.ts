/**
 * The plumbing shared by the remediation integration files: one moto server, one fault proxy in front
 * of it and one Kubernetes API stub per file; a fresh seed account per test; and the CLI run as a
 * person would (`check --json` with the Lambda's configuration). The tool talks to AWS through the
 * proxy, which forwards everything until a test adds a rule, so a test can inject faults into the
 * tool's calls only (the harness's own clients go straight to moto).
 */
import {
  DescribeInstancesCommand,
  DescribeRouteTablesCommand,
  EC2Client,
  type Route,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
import type { Action, NodegroupReport, Report } from '../../functions/core/model/types.js';
import { recordedActions, startRecording } from './awsWrites.js';
import { type FaultKind, type FaultProxy, startFaultProxy } from './faultProxy.js';
import { type KubernetesStub, type StubNode, startKubernetesStub } from './kubernetesStub.js';
import { harnessClientConfig, type MotoServer, resetMoto, startMotoServer } from './motoServer.js';
import { type CliRun, runCli, runProgram } from './runCli.js';
import { buildSeedAccount, type SeedAccount, type SeedOptions } from './seedAccount.js';
import { createStateTable } from './stateTable.js';

/** The actions of a seed fixed as planned: route written, unjoined instance replaced, alert sent. */
export const FIXED = ['create-route:done', 'replace-instances:done', 'notify:done'];
/** What a fixed seed writes: the route, the unjoined instance's replacement, the alert. */
export const FIXED_WRITES = [
  'ec2:CreateRoute',
  'autoscaling:TerminateInstanceInAutoScalingGroup',
  'sns:Publish',
];
/** What a refusal writes: only the alert. */
export const ALERT_ONLY = ['sns:Publish'];
/** Recycling by scale-cycle, polling the nodegroup every second (15 s by default). */
export const SCALE_CYCLE = { RECYCLE_STRATEGY: 'scale-cycle', SCALE_CYCLE_POLL_SECONDS: '1' };

export interface RemediationHarness {
  moto: MotoServer;
  /** In front of moto; the CLI's AWS_ENDPOINT_URL. No rules at the start of each test. */
  proxy: FaultProxy;
  stub: KubernetesStub;
  /** Harness client, straight to moto. */
  ec2: EC2Client;
  /** The current test's account. */
  seed: SeedAccount;
  stateTable: string;
  /**
   * Resets moto and lays out the seed again (each test gets one with the defaults before it starts),
   * with `default`'s instances joined, then starts moto's request recording.
   */
  freshAccount(options?: SeedOptions): Promise<SeedAccount>;
  /** `check --cluster eks-workshop --json …` with the Lambda's configuration (alerts, state, window 0). */
  check(args: string[], env?: Record<string, string>, options?: RunOptions): Promise<CliRun>;
  /** `check --nodegroup new_nodegroup_2 --policy remediate --json …` */
  remediate(args?: string[], env?: Record<string, string>, options?: RunOptions): Promise<CliRun>;
  /** The account's writes since recording started (reads and the tool's state-table traffic left out). */
  accountWrites(): Promise<string[]>;
  /** new_nodegroup_2's route table in the current seed. */
  newTable(): string;
  /** Every 0.0.0.0/0 route of the table (default new_nodegroup_2's), as moto has it. */
  defaultRoutes(routeTableId?: string): Promise<Route[]>;
  /** The EC2 state of the instance, as moto has it. */
  instanceState(instanceId: string): Promise<string | undefined>;
  /** The fault of each request of this operation the tool sent through the proxy (SDK retries count), in order. */
  faultsOf(operation: string): (FaultKind | undefined)[];
}

export interface RunOptions {
  /** false: the human-readable report instead of --json. Default true. */
  json?: boolean;
  /** Kill the CLI after this long. Default 60 000 ms. */
  timeoutMs?: number;
}

/** Registers the file's hooks; the returned object's fields are filled in by them. */
export function useRemediationHarness(): RemediationHarness {
  const h = {} as RemediationHarness;

  beforeAll(async () => {
    [h.moto, h.stub] = await Promise.all([
      startMotoServer(),
      startKubernetesStub({ clusterName: 'eks-workshop' }),
    ]);
    h.proxy = await startFaultProxy(h.moto.endpoint);
    h.ec2 = new EC2Client(harnessClientConfig(h.moto.endpoint));
  });

  afterAll(async () => {
    h.ec2?.destroy();
    await Promise.all([h.proxy?.close(), h.moto?.stop(), h.stub?.close()]);
  });

  beforeEach(async () => {
    await h.freshAccount();
  });

  h.freshAccount = async (options: SeedOptions = {}) => {
    h.proxy.clearRules();
    h.proxy.clearRequests();
    await resetMoto(h.moto.endpoint);
    h.seed = await buildSeedAccount(h.moto.endpoint, options);
    h.stateTable = await createStateTable(h.moto.endpoint);
    h.stub.setMode('ok');
    h.stub.setNodes(joinedNodes(h.seed.nodegroups.default.instanceIds, 'default'));
    await startRecording(h.moto.endpoint);
    return h.seed;
  };

  h.check = (args, env = {}, options = {}) =>
    runCli(
      ['check', '--cluster', 'eks-workshop', ...(options.json === false ? [] : ['--json']), ...args],
      {
        ...h.moto.env,
        AWS_ENDPOINT_URL: h.proxy.endpoint,
        KUBERNETES_API_URL: h.stub.url,
        ALERT_TOPIC_ARN: h.seed.topicArn,
        STATE_TABLE: h.stateTable,
        JOIN_WINDOW_SECONDS: '0',
        ...env,
      },
      options.timeoutMs,
    );

  h.remediate = (args = [], env = {}, options = {}) =>
    h.check(['--nodegroup', 'new_nodegroup_2', '--policy', 'remediate', ...args], env, options);

  h.accountWrites = async () => {
    const reads = /^[a-z0-9-]+:(Describe|List|Get|Lookup)/;
    return (await recordedActions(h.moto.endpoint)).filter(
      (a) => !reads.test(a) && !a.startsWith('dynamodb:'),
    );
  };

  h.newTable = () => h.seed.nodegroups.new.routeTableId;

  h.defaultRoutes = async (routeTableId = h.newTable()) => {
    const { RouteTables } = await h.ec2.send(
      new DescribeRouteTablesCommand({ RouteTableIds: [routeTableId] }),
    );
    return (RouteTables?.[0]?.Routes ?? []).filter((r) => r.DestinationCidrBlock === '0.0.0.0/0');
  };

  h.instanceState = async (instanceId) => {
    const { Reservations } = await h.ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
    return Reservations?.[0]?.Instances?.[0]?.State?.Name;
  };

  h.faultsOf = (operation) =>
    h.proxy
      .requests()
      .filter((r) => r.operation === operation)
      .map((r) => r.fault);

  return h;
}

/** Nodes the stub serves for these instances, labelled with their nodegroup. */
export function joinedNodes(instanceIds: string[], nodegroup: string): StubNode[] {
  return instanceIds.map((instanceId) => ({ instanceId, availabilityZone: 'us-west-2a', nodegroup }));
}

export function nodegroupOf(stdout: string, name = 'new_nodegroup_2'): NodegroupReport {
  const report = JSON.parse(stdout) as Report;
  const found = report.nodegroups.find((n) => n.name === name);
  if (!found) throw new Error(`no ${name} in ${stdout}`);
  return found;
}

/** `create-route:done`, … in order. */
export const statusOf = (actions: Action[]) => actions.map((a) => `${a.type}:${a.status}`);

/** A run that exited with `code`, printed nothing on stderr, and reported these actions in order; its nodegroup. */
export function endedWith(run: CliRun, code: number, statuses: string[]): NodegroupReport {
  expect(run.stderr).toBe('');
  expect(run.code).toBe(code);
  const nodegroup = nodegroupOf(run.stdout);
  expect(statusOf(nodegroup.actions)).toEqual(statuses);
  return nodegroup;
}

export const findingCodes = (nodegroup: NodegroupReport) => nodegroup.findings.map((f) => f.code);

/**
 * Runs the official AWS CLI (v1 here) against moto, as a person would run a command an alert gave
 * them: the command line as given, plus `--endpoint-url`, with the harness's static credentials.
 */
export function runAwsCli(command: string, moto: MotoServer, timeoutMs = 60_000): Promise<CliRun> {
  const [program, ...args] = command.trim().split(/\s+/);
  if (program !== 'aws') throw new Error(`not an AWS CLI command: ${command}`);
  return runProgram(
    'aws',
    [...args, '--endpoint-url', moto.endpoint, '--output', 'json'],
    {
      ...moto.env,
      // No profile or config of the machine's user: only the emulator's static credentials.
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
      AWS_PAGER: '',
    },
    timeoutMs,
  );
}
