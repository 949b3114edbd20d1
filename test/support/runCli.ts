import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the CLI as `npm run cli` does (tsx on the TypeScript entry), in a child process with only the
 * given environment on top of PATH/HOME: what a user at a shell would see.
 */
export function runCli(
  args: string[],
  env: Record<string, string | undefined> = {},
  timeoutMs = 60_000,
): Promise<CliRun> {
  return runProgram(
    process.execPath,
    ['--import', 'tsx', 'functions/cli/main.ts', ...args],
    { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
    timeoutMs,
  );
}

/**
 * Runs a program from the repository's root with only PATH, HOME and `env` in its environment, and
 * collects what it printed; killed (SIGKILL) after `timeoutMs`.
 */
export function runProgram(
  program: string,
  args: string[],
  env: Record<string, string | undefined>,
  timeoutMs: number,
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
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
