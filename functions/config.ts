import { ConfigError } from './core/model/errors.js';
import {
  type ChoiceSetting,
  type FlagSetting,
  type NumberSetting,
  type PreflightPolicy,
  type RecycleStrategy,
  type RemediationSettings,
  SETTINGS,
} from './core/model/settings.js';
import type { Policy } from './core/model/types.js';

/**
 * Everything the function reads from its environment, parsed and checked once. The variables' names,
 * allowed values and defaults are those of SETTINGS (core/model/settings.ts).
 */
export interface Config {
  policy: Policy;
  joinWindowSeconds: number;
  alertTopicArn?: string;
  recycleStrategy: RecycleStrategy;
  allowMainRouteTable: boolean;
  /** Remediation may patch a route table that also serves subnets outside the cluster. */
  allowSharedRouteTable: boolean;
  preflightPolicy: PreflightPolicy;
  stateTable?: string;
  kubernetesApiUrl?: string;
  /** The loop guard: at most this many remediations per nodegroup within the window. */
  loopGuardMaxRemediations: number;
  loopGuardWindowSeconds: number;
  /** The same alert for the same nodegroup is sent at most once per cooldown. */
  alertCooldownSeconds: number;
  /** How often scale-cycle polls the nodegroup's status while it waits for ACTIVE. */
  scaleCyclePollSeconds: number;
  /** The clusters to watch (CLUSTERS, comma-separated); undefined: every cluster. */
  clusters?: string[];
  /**
   * The regions whose events are handled (REGIONS, comma-separated; default the function's own,
   * AWS_REGION). Undefined only when neither is set (a CLI run on a profile's region): every region.
   */
  regions?: string[];
  /**
   * The function's own region (AWS_REGION): where its state table lives. Undefined in a CLI run
   * without it (the table is then looked for in the region checked).
   */
  homeRegion?: string;
}

type Env = Record<string, string | undefined>;

/** Parses the configuration; throws a ConfigError that names the variable and what it accepts. */
export function parseConfig(env: Env = process.env): Config {
  const alertTopicArn = optional(env, SETTINGS.alertTopicArn.env);
  if (alertTopicArn !== undefined) checkTopicArn(alertTopicArn, SETTINGS.alertTopicArn.env);
  const stateTable = optional(env, SETTINGS.stateTable.env);
  const kubernetesApiUrl = optional(env, SETTINGS.kubernetesApiUrl.env);
  const clusters = parseClusters(env);
  if (kubernetesApiUrl !== undefined) checkUrl(kubernetesApiUrl);
  const regions = parseRegions(env);
  const homeRegion = optional(env, 'AWS_REGION');
  return {
    policy: oneOf(env, SETTINGS.policy),
    joinWindowSeconds: parseJoinWindow(
      optional(env, SETTINGS.joinWindowSeconds.env),
      SETTINGS.joinWindowSeconds.env,
    ),
    ...(alertTopicArn && { alertTopicArn }),
    recycleStrategy: oneOf(env, SETTINGS.recycleStrategy),
    allowMainRouteTable: flag(env, SETTINGS.allowMainRouteTable),
    allowSharedRouteTable: flag(env, SETTINGS.allowSharedRouteTable),
    preflightPolicy: oneOf(env, SETTINGS.preflightPolicy),
    ...(stateTable && { stateTable }),
    ...(kubernetesApiUrl && { kubernetesApiUrl }),
    loopGuardMaxRemediations: wholeNumber(env, SETTINGS.loopGuardMaxRemediations),
    loopGuardWindowSeconds: wholeNumber(env, SETTINGS.loopGuardWindowSeconds),
    alertCooldownSeconds: wholeNumber(env, SETTINGS.alertCooldownSeconds),
    scaleCyclePollSeconds: wholeNumber(env, SETTINGS.scaleCyclePollSeconds),
    ...(clusters && { clusters }),
    ...(regions && { regions }),
    ...(homeRegion && { homeRegion }),
  };
}

/** CLUSTERS, checked; undefined when unset (every cluster). */
function parseClusters(env: Env): string[] | undefined {
  const { env: name, pattern } = SETTINGS.clusters;
  const clusters = optional(env, name)
    ?.split(',')
    .map((c) => c.trim())
    .filter(Boolean);
  if (clusters?.some((c) => !pattern.test(c))) {
    throw new ConfigError(
      `${name} must be a comma-separated list of EKS cluster names (NAME or REGION/NAME), got '${env[name]}'`,
    );
  }
  return clusters;
}

/** REGIONS, checked; else the function's own region (AWS_REGION, set by Lambda); else undefined. */
function parseRegions(env: Env): string[] | undefined {
  const { env: name, pattern } = SETTINGS.regions;
  const value = optional(env, name);
  if (value === undefined) {
    const own = optional(env, 'AWS_REGION');
    return own ? [own] : undefined;
  }
  const regions = [...new Set(value.split(',').map((r) => r.trim()))].filter(Boolean);
  if (regions.length === 0 || regions.some((r) => !pattern.test(r))) {
    throw new ConfigError(
      `${name} must be a comma-separated list of AWS region names (e.g. us-west-2,eu-central-1), got '${value}'`,
    );
  }
  return regions;
}

/** What remediation needs from the configuration; the CLI may allow the main or shared route tables too. */
export function remediationSettings(
  config: Config,
  overrides: { allowMainRouteTable?: boolean; allowSharedRouteTable?: boolean } = {},
): RemediationSettings {
  return {
    allowMainRouteTable: overrides.allowMainRouteTable || config.allowMainRouteTable,
    allowSharedRouteTable: overrides.allowSharedRouteTable || config.allowSharedRouteTable,
    recycleStrategy: config.recycleStrategy,
    loopGuard: {
      maxRemediations: config.loopGuardMaxRemediations,
      windowSeconds: config.loopGuardWindowSeconds,
    },
    alertCooldownSeconds: config.alertCooldownSeconds,
    scaleCyclePollSeconds: config.scaleCyclePollSeconds,
  };
}

function wholeNumber(env: Env, setting: NumberSetting): number {
  const value = optional(env, setting.env);
  return value === undefined ? setting.default : checkWholeNumber(value, setting.env, setting, '');
}

/** Shared by the environment and the CLI's --join-window. */
export function parseJoinWindow(value: string | undefined, name: string): number {
  const setting = SETTINGS.joinWindowSeconds;
  return value === undefined ? setting.default : checkWholeNumber(value, name, setting, ' of seconds');
}

function checkWholeNumber(value: string, name: string, { min, max }: NumberSetting, unit: string): number {
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new ConfigError(`${name} must be a whole number${unit} from ${min} to ${max}, got '${value}'`);
  }
  return Number(value);
}

/** Shared by the environment and the CLI's --policy. */
export function parsePolicy(value: string, name: string): Policy {
  return checkOneOf(value, name, SETTINGS.policy.values);
}

export function checkTopicArn(value: string, name: string): void {
  if (!SETTINGS.alertTopicArn.pattern.test(value)) {
    throw new ConfigError(
      `${name} must be an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME), got '${value}'`,
    );
  }
}

function checkUrl(value: string): void {
  const fail = () =>
    new ConfigError(`${SETTINGS.kubernetesApiUrl.env} must be an http(s) URL, got '${value}'`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw fail();
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw fail();
}

function optional(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

function oneOf<T extends string>(env: Env, setting: ChoiceSetting<T>): T {
  const value = optional(env, setting.env);
  return value === undefined ? setting.default : checkOneOf(value, setting.env, setting.values);
}

/** `true` or `false`, checked like a choice of the two. */
function flag(env: Env, setting: FlagSetting): boolean {
  const value = optional(env, setting.env);
  return value === undefined ? setting.default : checkOneOf(value, setting.env, ['true', 'false']) === 'true';
}

function checkOneOf<T extends string>(value: string, name: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new ConfigError(`${name} must be one of ${allowed.join(', ')}, got '${value}'`);
  }
  return value as T;
}
