/**
 * The plumbing shared by the remediation-safety integration files: one moto server, one fault proxy
 * in front of it and one Kubernetes API stub per file; a fresh seed account per test; and the CLI run
 * as remediate.test.ts runs it (`check --json` with the Lambda's configuration), except that the tool
 * talks to AWS through the proxy, so a test can inject faults into the tool's calls only (the
 * harness's own clients go straight to moto).
 */
import { spawn } from 'node:child_process';
import { EC2Client } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
import type { Action, NodegroupReport, Report } from '../../functions/core/model/types.js';
import { recordedActions, startRecording } from './awsWrites.js';
import { type FaultProxy, startFaultProxy } from './faultProxy.js';
import { type KubernetesStub, type StubNode, startKubernetesStub } from './kubernetesStub.js';
import { harnessClientConfig, type MotoServer, resetMoto, startMotoServer } from './motoServer.js';
import { type CliRun, runCli } from './runCli.js';
import { buildSeedAccount, type SeedAccount, type SeedOptions } from './seedAccount.js';
import { createStateTable } from './stateTable.js';

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
    const reads = /^[a-z0-9-]+:(Describe|List|Get)/;
    return (await recordedActions(h.moto.endpoint)).filter(
      (a) => !reads.test(a) && !a.startsWith('dynamodb:'),
    );
  };

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
  return new Promise((resolve, reject) => {
    const child = spawn('aws', [...args, '--endpoint-url', moto.endpoint, '--output', 'json'], {
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        ...moto.env,
        // No profile or config of the machine's user: only the emulator's static credentials.
        AWS_CONFIG_FILE: '/dev/null',
        AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
        AWS_PAGER: '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
