import { isPolicy } from './core/check/resolvePolicy.js';
import { ConfigError } from './core/model/errors.js';
import type { RecycleStrategy, RemediationSettings } from './core/model/settings.js';
import type { Policy } from './core/model/types.js';

/** Everything the function reads from its environment, parsed and checked once. */
export interface Config {
  policy: Policy;
  joinWindowSeconds: number;
  alertTopicArn?: string;
  recycleStrategy: RecycleStrategy;
  allowMainRouteTable: boolean;
  /** Remediation may patch a route table that also serves subnets outside the cluster. */
  allowSharedRouteTable: boolean;
  preflightPolicy: 'notify' | 'remediate';
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
}

export const DEFAULT_JOIN_WINDOW_SECONDS = 300;
/** A day: a node that has not joined by then is long past any bootstrap timeout. */
const MAX_JOIN_WINDOW_SECONDS = 86_400;

type Env = Record<string, string | undefined>;

/** Parses the configuration; throws a ConfigError that names the variable and what it accepts. */
export function parseConfig(env: Env = process.env): Config {
  const alertTopicArn = optional(env, 'ALERT_TOPIC_ARN');
  if (alertTopicArn !== undefined) checkTopicArn(alertTopicArn, 'ALERT_TOPIC_ARN');
  const kubernetesApiUrl = optional(env, 'KUBERNETES_API_URL');
  const clusters = optional(env, 'CLUSTERS')
    ?.split(',')
    .map((c) => c.trim())
    .filter(Boolean);
  if (clusters?.some((c) => !/^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$/.test(c))) {
    throw new ConfigError(
      `CLUSTERS must be a comma-separated list of EKS cluster names, got '${env.CLUSTERS}'`,
    );
  }
  if (kubernetesApiUrl !== undefined) checkUrl(kubernetesApiUrl);
  const regions = parseRegions(env);
  return {
    policy: oneOf(env, 'POLICY', ['off', 'notify', 'dry-run', 'remediate'], 'notify') as Policy,
    joinWindowSeconds: parseJoinWindow(optional(env, 'JOIN_WINDOW_SECONDS'), 'JOIN_WINDOW_SECONDS'),
    ...(alertTopicArn && { alertTopicArn }),
    recycleStrategy: oneOf(env, 'RECYCLE_STRATEGY', ['replace-unjoined', 'scale-cycle'], 'replace-unjoined'),
    allowMainRouteTable: oneOf(env, 'ALLOW_MAIN_ROUTE_TABLE', ['true', 'false'], 'false') === 'true',
    allowSharedRouteTable: oneOf(env, 'ALLOW_SHARED_ROUTE_TABLE', ['true', 'false'], 'false') === 'true',
    preflightPolicy: oneOf(env, 'PREFLIGHT_POLICY', ['notify', 'remediate'], 'notify'),
    ...(optional(env, 'STATE_TABLE') && { stateTable: optional(env, 'STATE_TABLE') }),
    ...(kubernetesApiUrl && { kubernetesApiUrl }),
    loopGuardMaxRemediations: wholeNumber(env, 'LOOP_GUARD_MAX_REMEDIATIONS', 2, 1, 100),
    loopGuardWindowSeconds: wholeNumber(env, 'LOOP_GUARD_WINDOW_SECONDS', 6 * 3600, 60, 7 * 86_400),
    alertCooldownSeconds: wholeNumber(env, 'ALERT_COOLDOWN_SECONDS', 3600, 0, 7 * 86_400),
    scaleCyclePollSeconds: wholeNumber(env, 'SCALE_CYCLE_POLL_SECONDS', 15, 1, 60),
    ...(clusters && { clusters }),
    ...(regions && { regions }),
  };
}

/** An AWS region name: us-west-2, us-gov-west-1, cn-north-1, eusc-de-east-1. */
const REGION_NAME = /^[a-z]{2,4}(-[a-z]+)+-\d{1,2}$/;

/** REGIONS, checked; else the function's own region (AWS_REGION, set by Lambda); else undefined. */
function parseRegions(env: Env): string[] | undefined {
  const value = optional(env, 'REGIONS');
  if (value === undefined) {
    const own = optional(env, 'AWS_REGION');
    return own ? [own] : undefined;
  }
  const regions = [...new Set(value.split(',').map((r) => r.trim()))].filter(Boolean);
  if (regions.length === 0 || regions.some((r) => !REGION_NAME.test(r))) {
    throw new ConfigError(
      `REGIONS must be a comma-separated list of AWS region names (e.g. us-west-2,eu-central-1), got '${value}'`,
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

function wholeNumber(env: Env, name: string, fallback: number, min: number, max: number): number {
  const value = optional(env, name);
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, got '${value}'`);
  }
  return Number(value);
}

/** Shared by the environment and the CLI's --join-window. */
export function parseJoinWindow(value: string | undefined, name: string): number {
  if (value === undefined) return DEFAULT_JOIN_WINDOW_SECONDS;
  if (!/^\d+$/.test(value) || Number(value) > MAX_JOIN_WINDOW_SECONDS) {
    throw new ConfigError(
      `${name} must be a whole number of seconds from 0 to ${MAX_JOIN_WINDOW_SECONDS}, got '${value}'`,
    );
  }
  return Number(value);
}

export function parsePolicy(value: string, name: string): Policy {
  if (!isPolicy(value))
    throw new ConfigError(`${name} must be one of off, notify, dry-run, remediate, got '${value}'`);
  return value;
}

export function checkTopicArn(value: string, name: string): void {
  if (!/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/.test(value)) {
    throw new ConfigError(
      `${name} must be an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME), got '${value}'`,
    );
  }
}

function checkUrl(value: string): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`KUBERNETES_API_URL must be an http(s) URL, got '${value}'`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`KUBERNETES_API_URL must be an http(s) URL, got '${value}'`);
  }
}

function optional(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const value = optional(env, name);
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new ConfigError(`${name} must be one of ${allowed.join(', ')}, got '${value}'`);
  }
  return value as T;
}
