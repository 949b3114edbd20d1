/**
 * Starts a private moto server (the AWS emulator) on a free loopback port for one test file, and
 * hands out the environment and client configuration that point the AWS SDK at it.
 *
 * Nothing here may reach a real AWS endpoint: `harnessClientConfig` refuses any endpoint that is
 * not loopback, and the environment carries static test credentials only.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const TEST_REGION = 'us-west-2';
/** moto's default account. */
export const TEST_ACCOUNT_ID = '123456789012';
/**
 * Appended to the User-Agent of every client the harness itself builds (seed, snapshots, alert
 * reads), so the request recording can tell harness calls from the tool's calls.
 */
export const HARNESS_USER_AGENT = 'eks-join-remediator-test-harness';

export interface MotoEnv {
  AWS_ENDPOINT_URL: string;
  AWS_REGION: string;
  AWS_DEFAULT_REGION: string;
  AWS_ACCESS_KEY_ID: string;
  AWS_SECRET_ACCESS_KEY: string;
  AWS_SESSION_TOKEN: string;
  [name: string]: string;
}

export interface MotoServer {
  /** e.g. http://127.0.0.1:41234 */
  endpoint: string;
  port: number;
  /** Environment for the code under test: the SDK honours AWS_ENDPOINT_URL by itself. */
  env: MotoEnv;
  /** moto's own output so far (tail), for debugging a failing test. */
  output(): string;
  /** Kills moto (and anything it started) and waits for it to exit. Safe to call twice. */
  stop(): Promise<void>;
}

export interface StartMotoOptions {
  /** How long to wait for moto to answer, in ms. Default 15 000. */
  startTimeoutMs?: number;
}

const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;
const PORT_ATTEMPTS = 3;
const OUTPUT_TAIL_CHARS = 64 * 1024;
const NOT_FOUND_MESSAGE = 'moto_server not found: pip install "moto[server]"';

/** Static credentials and region for an SDK v3 client pointed at moto; refuses non-loopback endpoints. */
export function harnessClientConfig(endpoint: string) {
  assertLoopback(endpoint);
  return {
    endpoint,
    region: TEST_REGION,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing', sessionToken: 'testing' },
    customUserAgent: HARNESS_USER_AGENT,
    maxAttempts: 2,
  };
}

/**
 * An SDK v3 client configuration as the tool builds its own: from the environment moto hands out,
 * without the harness's User-Agent tag, so its calls are recorded as the tool's.
 */
export function toolClientConfig(env: MotoEnv) {
  return {
    endpoint: env.AWS_ENDPOINT_URL,
    region: env.AWS_REGION,
    credentials: {
      accessKeyId: env.AWS_ACCESS_KEY_ID,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
      sessionToken: env.AWS_SESSION_TOKEN,
    },
  };
}

export function assertLoopback(endpoint: string): void {
  const { hostname, protocol } = new URL(endpoint);
  if (protocol !== 'http:' || !['127.0.0.1', 'localhost', '[::1]'].includes(hostname)) {
    throw new Error(`refusing non-loopback AWS endpoint in tests: ${endpoint}`);
  }
}

export function motoEnv(endpoint: string): MotoEnv {
  assertLoopback(endpoint);
  return {
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: TEST_REGION,
    AWS_DEFAULT_REGION: TEST_REGION,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_SESSION_TOKEN: 'testing',
  };
}

/** Wipes every moto backend (all services, all regions) without restarting the server. */
export async function resetMoto(endpoint: string): Promise<void> {
  assertLoopback(endpoint);
  const response = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
  if (!response.ok) {
    throw new Error(`moto reset failed: HTTP ${response.status} ${await response.text()}`);
  }
}

export async function startMotoServer(options: StartMotoOptions = {}): Promise<MotoServer> {
  const timeoutMs = options.startTimeoutMs ?? START_TIMEOUT_MS;
  // moto_server first, then `python3 -m moto.server`; once one has worked, only that one.
  const commands = workingCommand ? [workingCommand] : COMMANDS;
  const missing: string[] = [];
  for (const command of commands) {
    let lastError: unknown;
    for (let attempt = 1; attempt <= PORT_ATTEMPTS; attempt++) {
      const port = await freeLoopbackPort();
      try {
        const server = await launch(command, port, timeoutMs);
        workingCommand = command;
        return server;
      } catch (error) {
        lastError = error;
        // A lost port race (another process bound the port first) is worth another port.
        if (!(error instanceof PortTakenError)) break;
      }
    }
    if (!(lastError instanceof CommandMissingError)) throw lastError;
    missing.push(lastError.message);
  }
  throw new Error(`${NOT_FOUND_MESSAGE}\n${missing.join('\n')}`);
}

class PortTakenError extends Error {}
class CommandMissingError extends Error {}

interface Command {
  file: string;
  args: string[];
}

const COMMANDS: Command[] = [
  { file: 'moto_server', args: [] },
  { file: 'python3', args: ['-m', 'moto.server'] },
];
let workingCommand: Command | undefined;

function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

/** Every moto started by this process (and its scratch directory), killed synchronously if the process exits without stop(). */
const running = new Map<ChildProcess, string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const [child, workDir] of running) {
      killGroup(child, 'SIGKILL');
      rmSync(workDir, { recursive: true, force: true });
    }
  });
}

/** moto runs in its own process group (detached), so one signal reaches the shim and python alike. */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/**
 * Watches this process from outside: if it dies without running its exit hook (SIGKILL, a crashed
 * worker), the watchdog kills moto's process group. It exits by itself once moto is gone.
 */
function startWatchdog(motoPid: number, workDir: string): void {
  const script = [
    `while kill -0 ${process.pid} 2>/dev/null && kill -0 -${motoPid} 2>/dev/null; do sleep 0.5; done`,
    `kill -KILL -${motoPid} 2>/dev/null`,
    // stop() removes the directory itself; this covers a test process that died first.
    'rm -rf "$1"',
    'exit 0',
  ].join('; ');
  const watchdog = spawn('/bin/sh', ['-c', script, 'moto-watchdog', workDir], {
    detached: true,
    stdio: 'ignore',
  });
  watchdog.on('error', () => {});
  watchdog.unref();
}

async function launch(command: Command, port: number, timeoutMs: number): Promise<MotoServer> {
  const endpoint = `http://127.0.0.1:${port}`;
  // Per-server scratch directory: the request recorder writes its log there, so parallel test
  // files (each with its own moto) never share a recording.
  const workDir = mkdtempSync(join(tmpdir(), 'moto-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    MOTO_RECORDER_FILEPATH: join(workDir, 'recording.jsonl'),
    PYTHONUNBUFFERED: '1',
  };
  delete env.MOTO_ENABLE_RECORDING;

  const child = spawn(command.file, [...command.args, '-H', '127.0.0.1', '-p', String(port)], {
    cwd: workDir,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  installExitHook();
  running.set(child, workDir);

  let tail = '';
  const collect = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-OUTPUT_TAIL_CHARS);
  };
  // moto logs every request: the pipes must be drained or moto blocks once they fill.
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);

  // Filled in by the child's events (an object, so control-flow narrowing does not pin them to undefined).
  const state: { exit?: { code: number | null; signal: NodeJS.Signals | null }; spawnError?: Error } = {};
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      state.exit = { code, signal };
      running.delete(child);
      resolve();
    });
  });
  child.once('error', (error) => {
    state.spawnError = error;
  });

  // Neither moto nor its pipes keep the test process alive.
  child.unref();
  (child.stdout as unknown as { unref?: () => void } | null)?.unref?.();
  (child.stderr as unknown as { unref?: () => void } | null)?.unref?.();
  if (child.pid !== undefined) startWatchdog(child.pid, workDir);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (!state.exit && !state.spawnError) {
        killGroup(child, 'SIGTERM');
        const timer = setTimeout(() => killGroup(child, 'SIGKILL'), STOP_TIMEOUT_MS);
        await exited;
        clearTimeout(timer);
      }
      // A straggler in the group (if any) must not outlive the server.
      killGroup(child, 'SIGKILL');
      running.delete(child);
      rmSync(workDir, { recursive: true, force: true });
    })();
    return stopping;
  };

  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const commandLine = [command.file, ...command.args].join(' ');
    if (state.spawnError) {
      await stop();
      throw new CommandMissingError(`${commandLine}: ${state.spawnError.message}`);
    }
    if (state.exit) {
      await stop();
      if (/address already in use|errno 98/i.test(tail)) {
        throw new PortTakenError(`port ${port} was taken before moto could bind it`);
      }
      // 127: not found (e.g. a pyenv shim for a Python without moto); python3 -m: no module.
      if (state.exit.code === 127 || /No module named '?moto|command not found/i.test(tail)) {
        throw new CommandMissingError(
          `${commandLine}: ${tail.trim().split('\n').slice(-1)[0] ?? 'not found'}`,
        );
      }
      throw new Error(
        `moto exited during startup (code ${state.exit.code}, signal ${state.exit.signal}):\n${tail}`,
      );
    }
    if (await answers(endpoint)) {
      return { endpoint, port, env: motoEnv(endpoint), output: () => tail, stop };
    }
    await sleep(100);
  }
  await stop();
  throw new Error(`moto did not answer on ${endpoint} within ${timeoutMs} ms:\n${tail}`);
}

async function answers(endpoint: string): Promise<boolean> {
  try {
    const response = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(1_000) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
