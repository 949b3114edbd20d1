import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Node } from 'constructs';
import {
  type DeploymentConfig,
  DeploymentConfigError,
  type DeploymentSettings,
  parseDeploymentConfig,
  SETTING_NAMES,
  type SettingName,
} from './config.js';

/** The settings file read when no `-c config=FILE` is given (optional: without it, defaults and context). */
export const DEFAULT_SETTINGS_FILE = 'infra/config.json';
/** Context key naming another settings file. */
export const SETTINGS_FILE_CONTEXT_KEY = 'config';

/**
 * The ready-made stack's settings, in layers, later ones winning:
 *   1. the defaults (config.ts),
 *   2. a JSON settings file: `-c config=FILE`, else infra/config.json when it exists,
 *   3. CDK context, one key per setting: `cdk.json` "context", `cdk.context.json`, or `-c policy=remediate`
 *      (lists comma-separated on the command line: `-c clusters=prod,staging`).
 * Paths are relative to the working directory (npm scripts run at the repository root).
 */
export function loadDeploymentConfig(node: Node, cwd: string = process.cwd()): DeploymentConfig {
  const sources = new Map<SettingName, string>();
  const fromFile = readSettingsFile(node, cwd, sources);
  const fromContext: Record<string, unknown> = {};
  for (const name of SETTING_NAMES) {
    const value: unknown = node.tryGetContext(name);
    if (value !== undefined) {
      fromContext[name] = value;
      sources.set(name, `context '${name}'`);
    }
  }
  return parseDeploymentConfig({ ...fromFile, ...fromContext } as DeploymentSettings, (name) =>
    sources.get(name),
  );
}

function readSettingsFile(
  node: Node,
  cwd: string,
  sources: Map<SettingName, string>,
): Record<string, unknown> {
  const named: unknown = node.tryGetContext(SETTINGS_FILE_CONTEXT_KEY);
  if (named !== undefined && (typeof named !== 'string' || named.trim() === '')) {
    throw new DeploymentConfigError(
      `context '${SETTINGS_FILE_CONTEXT_KEY}' must be the path of a JSON settings file`,
    );
  }
  const file = typeof named === 'string' ? named : DEFAULT_SETTINGS_FILE;
  const fullPath = path.resolve(cwd, file);
  if (!existsSync(fullPath)) {
    if (named === undefined) return {};
    throw new DeploymentConfigError(
      `settings file '${file}' (context '${SETTINGS_FILE_CONTEXT_KEY}') does not exist; copy infra/config.example.json`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(fullPath, 'utf8'));
  } catch (error) {
    throw new DeploymentConfigError(`settings file '${file}' is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new DeploymentConfigError(`settings file '${file}' must hold one JSON object of settings`);
  }
  const settings = { ...(parsed as Record<string, unknown>) };
  delete settings.$comment;
  for (const key of Object.keys(settings)) {
    if (!(SETTING_NAMES as readonly string[]).includes(key)) {
      throw new DeploymentConfigError(
        `settings file '${file}': unknown setting '${key}' (known: ${SETTING_NAMES.join(', ')})`,
      );
    }
    sources.set(key as SettingName, `settings file '${file}'`);
  }
  return settings;
}
