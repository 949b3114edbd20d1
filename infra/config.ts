/**
 * The deployment's settings: their types, defaults and checks. Pure: no CDK, no file system, so the
 * checks run the same for the ready-made stack (settings from a file and CDK context, see
 * loadSettings.ts) and for a platform team that puts the EksJoinRemediator construct in its own app.
 *
 * The settings the function has too (policy, join window, recycle strategy, ...) take their values,
 * ranges and defaults from the function's own table (functions/core/model/settings.ts), and reach the
 * function as the environment variables named there (functionEnvironment).
 *
 * A bad value fails at synth with a DeploymentConfigError whose message names the setting.
 */

import {
  type NumberSetting,
  type PreflightPolicy,
  type RecycleStrategy,
  SETTINGS,
  type SettingKey,
} from '../functions/core/model/settings.js';
import type { Policy } from '../functions/core/model/types.js';
import { watchedCluster } from '../functions/core/model/watchedClusters.js';

/** CloudWatch Logs accepts only these retention periods (days). */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** Everything the deployment needs, checked and with defaults filled in. */
export interface DeploymentConfig {
  /** Account default policy (the function's POLICY); the tag `eks-join-remediator/policy` overrides it. */
  readonly policy: Policy;
  /** How long a node may take to join (JOIN_WINDOW_SECONDS); also the queue's delivery delay, up to 900 s. */
  readonly joinWindowSeconds: number;
  /** RECYCLE_STRATEGY. */
  readonly recycleStrategy: RecycleStrategy;
  /** ALLOW_MAIN_ROUTE_TABLE. */
  readonly allowMainRouteTable: boolean;
  /**
   * ALLOW_SHARED_ROUTE_TABLE: remediation may patch a route table that also serves subnets outside the
   * cluster.
   */
  readonly allowSharedRouteTable: boolean;
  /** PREFLIGHT_POLICY. */
  readonly preflightPolicy: PreflightPolicy;
  /**
   * EKS clusters to watch: NAME (a cluster of the home region, or of the stack's own region when no
   * region is set) or REGION/NAME (a cluster of another listed region). Each gets an access entry for
   * the function, and remediation writes are scoped to them. Empty: EKS reads cover every cluster, no
   * access entry is made, and no remediation is allowed (policy notify or off only).
   */
  readonly clusters: readonly string[];
  /**
   * The home region: the function, queues, state table, topic, dashboard and alarms live here. Unset
   * (and no regions): one environment-agnostic stack, deployed to whichever region the CLI targets.
   */
  readonly region?: string;
  /**
   * Every region watched, the home region first. Each other region gets a forwarding stack whose rules
   * send the same events to the home region's default event bus. Empty when no region is set.
   */
  readonly regions: readonly string[];
  /**
   * Deploy to every account of these organizational units (or the root, r-…) with a service-managed
   * CloudFormation StackSet, new accounts included. Empty: this account only.
   */
  readonly organizationalUnitIds: readonly string[];
  /**
   * With organizationalUnitIds: the function's code is read from the S3 bucket
   * `<assetBucketPrefix>-<home region>`, which each deployment fills (OrganizationStack) and the
   * organization may read (docs/organization.md).
   */
  readonly assetBucketPrefix?: string;
  /** With organizationalUnitIds: the StackSet is managed by the management account (SELF) or a delegated administrator. */
  readonly stackSetCallAs: StackSetCallAs;
  /**
   * The function publishes its alerts to this topic (of any account, e.g. one central topic for the whole
   * organization) instead of the stack's own; alarms still go to the stack's topic.
   */
  readonly centralTopicArn?: string;
  /** E-mail addresses subscribed to the alert topic (each must confirm the subscription). */
  readonly alertEmails: readonly string[];
  /** Slack workspace (team) ID as authorised in Amazon Q Developer in chat applications, e.g. T0123ABCD. */
  readonly slackWorkspaceId?: string;
  /** Slack channel ID, e.g. C0123ABCD. */
  readonly slackChannelId?: string;
  /**
   * VPCs whose route tables remediation may patch (condition `ec2:Vpc`). Without it, only route tables
   * tagged `eks-join-remediator/managed=true` may be patched.
   */
  readonly vpcIds: readonly string[];
  /** For clusters whose API endpoint is private: subnets the function runs in (with functionSecurityGroupIds). */
  readonly functionSubnetIds: readonly string[];
  /** Security groups of the function when it runs in functionSubnetIds; they must allow HTTPS egress. */
  readonly functionSecurityGroupIds: readonly string[];
  /** Retention of the function's log group, in days (a CloudWatch Logs value). */
  readonly logRetentionDays: number;
  /** LOOP_GUARD_MAX_REMEDIATIONS: remediations per nodegroup within the window (unset: the function's). */
  readonly loopGuardMaxRemediations?: number;
  /** LOOP_GUARD_WINDOW_SECONDS (unset: the function's default). */
  readonly loopGuardWindowSeconds?: number;
  /** ALERT_COOLDOWN_SECONDS: an alert for a nodegroup at most once per cooldown (unset: the function's). */
  readonly alertCooldownSeconds?: number;
}

/** Input: any subset, as typed values or as the strings that `cdk -c key=value` gives. */
export type DeploymentSettings = { readonly [K in keyof DeploymentConfig]?: unknown };

export const SETTING_NAMES = [
  'policy',
  'joinWindowSeconds',
  'recycleStrategy',
  'allowMainRouteTable',
  'allowSharedRouteTable',
  'preflightPolicy',
  'clusters',
  'region',
  'regions',
  'organizationalUnitIds',
  'assetBucketPrefix',
  'stackSetCallAs',
  'centralTopicArn',
  'alertEmails',
  'slackWorkspaceId',
  'slackChannelId',
  'vpcIds',
  'functionSubnetIds',
  'functionSecurityGroupIds',
  'logRetentionDays',
  'loopGuardMaxRemediations',
  'loopGuardWindowSeconds',
  'alertCooldownSeconds',
] as const satisfies readonly (keyof DeploymentConfig)[];
export type SettingName = (typeof SETTING_NAMES)[number];

export const STACK_SET_CALL_AS = ['SELF', 'DELEGATED_ADMIN'] as const;
export type StackSetCallAs = (typeof STACK_SET_CALL_AS)[number];

const DEFAULTS = {
  policy: SETTINGS.policy.default,
  joinWindowSeconds: SETTINGS.joinWindowSeconds.default,
  recycleStrategy: SETTINGS.recycleStrategy.default,
  allowMainRouteTable: SETTINGS.allowMainRouteTable.default,
  allowSharedRouteTable: SETTINGS.allowSharedRouteTable.default,
  preflightPolicy: SETTINGS.preflightPolicy.default,
  clusters: [],
  regions: [],
  organizationalUnitIds: [],
  stackSetCallAs: 'SELF',
  alertEmails: [],
  vpcIds: [],
  functionSubnetIds: [],
  functionSecurityGroupIds: [],
  logRetentionDays: 90,
} as const satisfies Omit<
  DeploymentConfig,
  | 'slackWorkspaceId'
  | 'slackChannelId'
  | 'loopGuardMaxRemediations'
  | 'loopGuardWindowSeconds'
  | 'alertCooldownSeconds'
  | 'region'
  | 'assetBucketPrefix'
  | 'centralTopicArn'
>;

/**
 * The deployment settings the function has too: the same name in SETTINGS, which names the variable
 * the function reads it from. (The clusters among them: events of other clusters are skipped, since
 * the role may not read them, and nobody asked.)
 */
const FUNCTION_SETTINGS = SETTING_NAMES.filter((name): name is SettingName & SettingKey => name in SETTINGS);

/** The region whose clusters a CLUSTERS entry names: its own, else the home region (undefined: no region set). */
export function regionOfCluster(config: Pick<DeploymentConfig, 'region'>, entry: string): string | undefined {
  return watchedCluster(entry).region ?? config.region;
}

/** The names of the watched clusters of one region (undefined: the stack's own region, when no region is set). */
export function clustersOf(
  config: Pick<DeploymentConfig, 'region' | 'clusters'>,
  region: string | undefined,
): string[] {
  return config.clusters
    .filter((entry) => regionOfCluster(config, entry) === region)
    .map((entry) => watchedCluster(entry).name);
}

/** The listed regions other than the home region: each gets a forwarding stack. */
export function otherRegionsOf(config: Pick<DeploymentConfig, 'region' | 'regions'>): string[] {
  return config.regions.filter((region) => region !== config.region);
}

/**
 * CLUSTERS for the function: with a home region, every entry qualified with its region (a name may
 * repeat across regions, and IAM and the access entries are per region).
 */
function functionClusters(config: DeploymentConfig): string[] {
  if (config.region === undefined) return [...config.clusters];
  return config.clusters.map((entry) => `${regionOfCluster(config, entry)}/${watchedCluster(entry).name}`);
}

/**
 * The function's environment for these settings, by the names the function reads. A setting left
 * unset (the tuning settings) or empty (no clusters) is not passed: the function's default applies.
 */
export function functionEnvironment(config: DeploymentConfig): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const name of FUNCTION_SETTINGS) {
    const value = name === 'clusters' ? functionClusters(config) : config[name];
    const text = Array.isArray(value) ? value.join(',') : value === undefined ? '' : String(value);
    if (text !== '') environment[SETTINGS[name].env] = text;
  }
  return environment;
}

export class DeploymentConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeploymentConfigError';
  }
}

/** Where a setting came from, for the error message ("context -c policy", "infra/config.json"). */
export type SourceOf = (name: SettingName) => string | undefined;

/** Whether the function gets remediation write permissions: only under dry-run and remediate. */
export function grantsWrites(config: Pick<DeploymentConfig, 'policy'>): boolean {
  return config.policy === 'dry-run' || config.policy === 'remediate';
}

/**
 * Checks the settings and fills in defaults. Throws a DeploymentConfigError naming the setting, what it
 * accepts and what it got.
 */
export function parseDeploymentConfig(
  settings: DeploymentSettings,
  sourceOf: SourceOf = () => undefined,
): DeploymentConfig {
  const unknown = Object.keys(settings).filter(
    (key) =>
      !(SETTING_NAMES as readonly string[]).includes(key) && settings[key as SettingName] !== undefined,
  );
  if (unknown.length > 0) {
    throw new DeploymentConfigError(`unknown setting '${unknown[0]}' (known: ${SETTING_NAMES.join(', ')})`);
  }
  const fail = (name: SettingName, what: string, got: unknown): never => {
    const from = sourceOf(name);
    throw new DeploymentConfigError(
      `setting '${name}'${from ? ` (from ${from})` : ''} must be ${what}, got ${show(got)}`,
    );
  };
  const read = parsers(settings, fail);

  const config: DeploymentConfig = {
    policy: read.oneOf('policy', SETTINGS.policy.values),
    joinWindowSeconds: read.wholeNumber('joinWindowSeconds', SETTINGS.joinWindowSeconds),
    recycleStrategy: read.oneOf('recycleStrategy', SETTINGS.recycleStrategy.values),
    allowMainRouteTable: read.boolean('allowMainRouteTable'),
    allowSharedRouteTable: read.boolean('allowSharedRouteTable'),
    preflightPolicy: read.oneOf('preflightPolicy', SETTINGS.preflightPolicy.values),
    clusters: read.list(
      'clusters',
      SETTINGS.clusters.pattern,
      'EKS cluster names (1-100 letters, digits, - or _, starting with a letter or digit)',
    ),
    ...regionSettings(read, settings, fail),
    organizationalUnitIds: read.list(
      'organizationalUnitIds',
      /^(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|r-[0-9a-z]{4,32})$/,
      'organizational unit IDs (ou-…) or the root (r-…)',
    ),
    ...optionalString(
      read,
      'assetBucketPrefix',
      /^[a-z0-9][a-z0-9-]{1,40}$/,
      'the start of S3 bucket names: 2-41 lower-case letters, digits or -',
    ),
    stackSetCallAs: read.oneOf('stackSetCallAs', STACK_SET_CALL_AS),
    ...optionalString(
      read,
      'centralTopicArn',
      /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/,
      'the ARN of an SNS topic (arn:aws:sns:REGION:ACCOUNT:NAME)',
    ),
    alertEmails: read.list('alertEmails', /^[^\s@,]+@[^\s@,]+\.[^\s@,]+$/, 'e-mail addresses'),
    ...optionalString(
      read,
      'slackWorkspaceId',
      /^[0-9A-Z]{1,255}$/,
      'a Slack workspace ID such as T0123ABCD',
    ),
    ...optionalString(read, 'slackChannelId', /^[A-Za-z0-9]{1,255}$/, 'a Slack channel ID such as C0123ABCD'),
    vpcIds: read.list('vpcIds', /^vpc-[0-9a-f]{8,17}$/, 'VPC IDs (vpc-…)'),
    functionSubnetIds: read.list('functionSubnetIds', /^subnet-[0-9a-f]{8,17}$/, 'subnet IDs (subnet-…)'),
    functionSecurityGroupIds: read.list(
      'functionSecurityGroupIds',
      /^sg-[0-9a-f]{8,17}$/,
      'security group IDs (sg-…)',
    ),
    logRetentionDays: read.retention('logRetentionDays'),
    ...optionalNumber(read, 'loopGuardMaxRemediations'),
    ...optionalNumber(read, 'loopGuardWindowSeconds'),
    ...optionalNumber(read, 'alertCooldownSeconds'),
  };

  if ((config.slackWorkspaceId === undefined) !== (config.slackChannelId === undefined)) {
    const missing = config.slackWorkspaceId === undefined ? 'slackWorkspaceId' : 'slackChannelId';
    fail(missing, 'set together with the other Slack setting (workspace and channel)', undefined);
  }
  if ((config.functionSubnetIds.length === 0) !== (config.functionSecurityGroupIds.length === 0)) {
    const missing = config.functionSubnetIds.length === 0 ? 'functionSubnetIds' : 'functionSecurityGroupIds';
    fail(
      missing,
      'set together with the other (subnets and security groups of the function)',
      settings[missing],
    );
  }
  if (grantsWrites(config) && config.clusters.length === 0) {
    fail(
      'clusters',
      `at least one cluster name when policy is '${config.policy}': remediation writes are scoped to the watched clusters`,
      settings.clusters,
    );
  }
  for (const entry of config.clusters) {
    const region = watchedCluster(entry).region;
    if (region !== undefined && !config.regions.includes(region)) {
      fail(
        'clusters',
        config.regions.length === 0
          ? 'cluster names without a region when no region is set (REGION/NAME names a cluster of a listed region)'
          : `clusters of the listed regions (${config.regions.join(', ')}) as NAME or REGION/NAME`,
        entry,
      );
    }
  }
  if (config.centralTopicArn !== undefined && config.region === undefined) {
    fail(
      'region',
      "set with centralTopicArn: the function's role then has a fixed name, <stack>-JoinCheck-<region>, which the topic's policy names",
      undefined,
    );
  }
  if (config.organizationalUnitIds.length > 0) {
    if (config.region === undefined) {
      fail('region', 'set with organizationalUnitIds: the StackSet deploys to named regions', undefined);
    }
    if (config.assetBucketPrefix === undefined) {
      fail(
        'assetBucketPrefix',
        "set with organizationalUnitIds: the member accounts read the function's code from <assetBucketPrefix>-<region>",
        undefined,
      );
    }
    const elsewhere = config.clusters.find((entry) => regionOfCluster(config, entry) !== config.region);
    if (elsewhere !== undefined) {
      fail(
        'clusters',
        `clusters of the home region only with organizationalUnitIds: a stack set gives no order between the home stack (which makes the function's role) and the other regions' stacks (whose access entries name it)`,
        elsewhere,
      );
    }
  }
  if (config.preflightPolicy === 'remediate' && !grantsWrites(config)) {
    fail(
      'preflightPolicy',
      `'notify' when policy is '${config.policy}': that policy gives the function no write permissions`,
      config.preflightPolicy,
    );
  }
  return config;
}

type Fail = (name: SettingName, what: string, got: unknown) => never;

function parsers(settings: DeploymentSettings, fail: Fail) {
  return {
    isSet(name: SettingName): boolean {
      return settings[name] !== undefined && settings[name] !== '';
    },
    oneOf<T extends string>(name: SettingName, allowed: readonly T[]): T {
      const value = settings[name] ?? DEFAULTS[name as keyof typeof DEFAULTS];
      if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
        return fail(name, `one of ${allowed.join(', ')}`, value);
      }
      return value as T;
    },
    wholeNumber(name: SettingName, { min, max, unit }: NumberSetting): number {
      const value = settings[name] ?? DEFAULTS[name as keyof typeof DEFAULTS];
      const number = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value;
      if (typeof number !== 'number' || !Number.isInteger(number) || number < min || number > max) {
        return fail(name, `a whole number${unit ? ` of ${unit}` : ''} from ${min} to ${max}`, value);
      }
      return number;
    },
    boolean(name: SettingName): boolean {
      const value = settings[name] ?? DEFAULTS[name as keyof typeof DEFAULTS];
      if (value === true || value === 'true') return true;
      if (value === false || value === 'false') return false;
      return fail(name, 'true or false', value);
    },
    list(name: SettingName, pattern: RegExp, what: string): string[] {
      const value = settings[name];
      if (value === undefined) return [];
      const items =
        typeof value === 'string'
          ? value
              .split(',')
              .map((s) => s.trim())
              .filter((s) => s !== '')
          : Array.isArray(value)
            ? value
            : fail(name, `a list of ${what} (a JSON array, or comma-separated on the command line)`, value);
      for (const item of items) {
        if (typeof item !== 'string' || !pattern.test(item)) fail(name, `a list of ${what}`, item);
      }
      return [...new Set(items as string[])];
    },
    string(name: SettingName, pattern: RegExp, what: string): string | undefined {
      const value = settings[name];
      if (value === undefined || value === '') return undefined;
      if (typeof value !== 'string' || !pattern.test(value)) return fail(name, what, value);
      return value;
    },
    retention(name: SettingName): number {
      const value = settings[name] ?? DEFAULTS[name as keyof typeof DEFAULTS];
      const number = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value;
      if (typeof number !== 'number' || !(LOG_RETENTION_DAYS as readonly number[]).includes(number)) {
        return fail(
          name,
          `one of the CloudWatch Logs retention periods (${LOG_RETENTION_DAYS.join(', ')})`,
          value,
        );
      }
      return number;
    },
  };
}

/**
 * `region` and `regions`: either alone sets the other (the home region is the first listed); both: the
 * home region must be listed. Neither: no region, one environment-agnostic stack.
 */
function regionSettings(
  read: ReturnType<typeof parsers>,
  settings: DeploymentSettings,
  fail: Fail,
): Pick<DeploymentConfig, 'region' | 'regions'> {
  const { pattern } = SETTINGS.regions;
  const listed = read.list('regions', pattern, 'AWS region names such as us-west-2');
  const region = read.string('region', pattern, 'an AWS region name such as us-west-2') ?? listed[0];
  if (region === undefined) return { regions: [] };
  if (listed.length > 0 && !listed.includes(region)) {
    fail('region', `one of the regions listed in 'regions' (${listed.join(', ')})`, settings.region);
  }
  return { region, regions: [region, ...listed.filter((r) => r !== region)] };
}

function optionalString(
  read: ReturnType<typeof parsers>,
  name: 'slackWorkspaceId' | 'slackChannelId' | 'assetBucketPrefix' | 'centralTopicArn',
  pattern: RegExp,
  what: string,
): Partial<Record<typeof name, string>> {
  const value = read.string(name, pattern, what);
  return value === undefined ? {} : { [name]: value };
}

function optionalNumber(
  read: ReturnType<typeof parsers>,
  name: 'loopGuardMaxRemediations' | 'loopGuardWindowSeconds' | 'alertCooldownSeconds',
): Partial<Record<typeof name, number>> {
  if (!read.isSet(name)) return {};
  return { [name]: read.wholeNumber(name, SETTINGS[name]) };
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  return typeof value === 'string' ? `'${value}'` : JSON.stringify(value);
}
