import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPOSITORY_ROOT } from '../../infra/lib/paths.js';
import { cdkJsonContext, FULL_SETTINGS, MULTI_REGION_SETTINGS, ORGANIZATION_SETTINGS } from './synthStack.js';

const TEMPLATE = 'EksJoinRemediator.template.json';
const outdirs: string[] = [];
afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

/**
 * Runs infra/bin/app.ts the way the CDK CLI does (cdk.json's context and the -c values in
 * CDK_CONTEXT_JSON, the output directory in CDK_OUTDIR), with no AWS credentials in the environment.
 */
async function runApp(context: Record<string, unknown>) {
  const outdir = mkdtempSync(path.join(tmpdir(), 'ejr-app-'));
  outdirs.push(outdir);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CDK_OUTDIR: outdir,
    CDK_CONTEXT_JSON: JSON.stringify({ ...cdkJsonContext(), ...context }),
  };
  for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE'])
    delete env[name];
  const child = spawn(process.execPath, ['--import', 'tsx', 'infra/bin/app.ts'], {
    cwd: REPOSITORY_ROOT,
    env,
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  child.stdout.resume();
  const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const templates = existsSync(outdir)
    ? readdirSync(outdir)
        .filter((name) => name.endsWith('.template.json'))
        .sort()
    : [];
  return { status, stderr, outdir, template: path.join(outdir, TEMPLATE), templates };
}

function nagErrors(outdir: string): string[] {
  const manifest = JSON.parse(readFileSync(path.join(outdir, 'manifest.json'), 'utf8')) as {
    artifacts: Record<string, { metadata?: Record<string, { type: string; data: unknown }[]> }>;
  };
  return Object.values(manifest.artifacts)
    .flatMap((artifact) => Object.values(artifact.metadata ?? {}).flat())
    .filter((entry) => entry.type === 'aws:cdk:error')
    .map((entry) => String(entry.data));
}

/** cfn-lint on PATH (pip install cfn-lint)? Other machines may not have it. */
const cfnLint = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' });
const haveCfnLint = cfnLint.status === 0;

type Run = Awaited<ReturnType<typeof runApp>>;
/** As `-c key=value` gives them: lists comma-separated. */
const asContext = (settings: Record<string, unknown>) =>
  Object.fromEntries(
    Object.entries(settings).map(([key, value]) => [key, Array.isArray(value) ? value.join(',') : value]),
  );
const APPS = {
  defaults: {},
  'every option': asContext(FULL_SETTINGS),
  'several regions': asContext(MULTI_REGION_SETTINGS),
  'an organization': asContext(ORGANIZATION_SETTINGS),
};
/** The templates each app writes: stacks, and a StackSet's members (*.stackset.template.json). */
const TEMPLATES: Record<keyof typeof APPS, RegExp[]> = {
  defaults: [/^EksJoinRemediator\.template\.json$/],
  'every option': [/^EksJoinRemediator\.template\.json$/],
  'several regions': [/^EksJoinRemediator-eu-west-1\.template\.json$/, /^EksJoinRemediator\.template\.json$/],
  'an organization': [
    /^EksJoinRemediator\.template\.json$/,
    /^EksJoinRemediatorForwarding[0-9A-F]{8}\.stackset\.template\.json$/,
    /^EksJoinRemediatorHome[0-9A-F]{8}\.stackset\.template\.json$/,
  ],
};
/**
 * W3005 (a DependsOn that a GetAtt already implies) is in aws-cdk-lib's BucketDeployment, which copies
 * the StackSet's asset: not ours to change.
 */
const IGNORED_LINT: Partial<Record<keyof typeof APPS, string[]>> = { 'an organization': ['W3005'] };
const apps: Record<string, Run> = {};
// The two app runs (each a tsx start and an esbuild bundle) at once.
beforeAll(async () => {
  const runs = await Promise.all(Object.values(APPS).map((context) => runApp(context)));
  Object.keys(APPS).forEach((name, i) => {
    apps[name] = runs[i] as Run;
  });
}, 420_000);

describe('the CDK app (infra/bin/app.ts)', () => {
  for (const name of Object.keys(APPS) as (keyof typeof APPS)[]) {
    it(`synthesizes offline without credentials, bundling with the local esbuild (${name})`, () => {
      const run = apps[name] as Run;
      expect(run.stderr).not.toMatch(/docker/i);
      expect(run.stderr).not.toMatch(/is deprecated/);
      expect(run.status, run.stderr).toBe(0);
      expect(run.templates).toEqual(TEMPLATES[name].map((pattern) => expect.stringMatching(pattern)));
      expect(nagErrors(run.outdir)).toEqual([]);
    });

    it(`produces templates cfn-lint finds nothing in (${name})`, () => {
      const run = apps[name] as Run;
      if (!haveCfnLint) {
        console.log('cfn-lint is not on PATH: the template lint was not run (pip install cfn-lint)');
        return;
      }
      const ignored = IGNORED_LINT[name] ?? [];
      for (const template of run.templates) {
        const lint = spawnSync(
          'cfn-lint',
          [
            ...(ignored.length > 0 ? ['--ignore-checks', ...ignored, '--'] : []),
            path.join(run.outdir, template),
          ],
          { encoding: 'utf8' },
        );
        expect(lint.stdout + lint.stderr, template).toBe('');
        expect(lint.status, template).toBe(0);
      }
    }, 120_000);
  }

  it('stops on a bad setting with one line that names it, and no stack trace', async () => {
    const run = await runApp({ joinWindowSeconds: 'an hour' });
    expect(run.status).toBe(2);
    expect(run.stderr.trim()).toBe(
      "eks-join-remediator: invalid configuration: setting 'joinWindowSeconds' (from context 'joinWindowSeconds') must be a whole number of seconds from 0 to 86400, got 'an hour'",
    );
    expect(existsSync(run.template)).toBe(false);
  });

  it('stops on a bad stack name', async () => {
    const run = await runApp({ stackName: '9 lives' });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/context 'stackName' must be a CloudFormation stack name/);
  });
});
