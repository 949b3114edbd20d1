/**
 * The settings of the check and of remediation, in one place: for each, the environment variable the
 * Lambda reads it from, what it accepts, its default and what it means. The Lambda's configuration
 * (functions/config.ts), the CLI's usage text, the CDK deployment settings (infra/config.ts, which
 * pass them to the function by these names) and the defaults of remediation below all come from here.
 * Pure: no process.env, no SDK.
 */

import { POLICIES } from './types.js';

/** Kubernetes group of the checker's access entries; infra/k8s/rbac.yaml binds it to reading nodes and aws-auth. */
export const READER_GROUP = 'eks-join-remediator-readers';
/**
 * A route table tagged with this key and the value `true` is the cluster's to patch even when it also
 * serves subnets outside the cluster; without `vpcIds`, the deployment lets remediation write only to
 * tables carrying it.
 */
export const MANAGED_TAG = 'eks-join-remediator/managed';

export const RECYCLE_STRATEGIES = ['replace-unjoined', 'scale-cycle'] as const;
export type RecycleStrategy = (typeof RECYCLE_STRATEGIES)[number];
export const PREFLIGHT_POLICIES = ['notify', 'remediate'] as const;
export type PreflightPolicy = (typeof PREFLIGHT_POLICIES)[number];

/** A setting with a few allowed words. */
export interface ChoiceSetting<T extends string = string> {
  env: string;
  values: readonly T[];
  default: T;
  meaning: string;
}
/** A setting that is true or false (the strings `true` and `false` in the environment). */
export interface FlagSetting {
  env: string;
  default: boolean;
  meaning: string;
}
/** A whole number within a range (inclusive). */
export interface NumberSetting {
  env: string;
  min: number;
  max: number;
  default: number;
  unit?: 'seconds';
  meaning: string;
}
/** A value without a default (unset: none); `pattern`, if given, is what each value or list item must match. */
export interface ValueSetting {
  env: string;
  pattern?: RegExp;
  meaning: string;
}

const HOUR = 3600;
const DAY = 86_400;

export const SETTINGS = {
  policy: {
    env: 'POLICY',
    values: POLICIES,
    default: 'notify',
    meaning:
      'Account default policy; the tag eks-join-remediator/policy on a nodegroup or cluster wins over it.',
  },
  joinWindowSeconds: {
    env: 'JOIN_WINDOW_SECONDS',
    min: 0,
    // A day: a node that has not joined by then is long past any bootstrap timeout.
    max: DAY,
    default: 300,
    unit: 'seconds',
    meaning: 'How long a node may take to join before it counts as not joined.',
  },
  alertTopicArn: {
    env: 'ALERT_TOPIC_ARN',
    pattern: /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/,
    meaning: 'SNS topic that alerts are published to; unset: none are published.',
  },
  recycleStrategy: {
    env: 'RECYCLE_STRATEGY',
    values: RECYCLE_STRATEGIES,
    default: 'replace-unjoined',
    meaning: 'How nodes that never joined are replaced once the network is fixed.',
  },
  allowMainRouteTable: {
    env: 'ALLOW_MAIN_ROUTE_TABLE',
    default: false,
    meaning: "Remediation may patch a VPC's main route table.",
  },
  allowSharedRouteTable: {
    env: 'ALLOW_SHARED_ROUTE_TABLE',
    default: false,
    meaning: 'Remediation may patch a route table that also serves subnets outside the cluster.',
  },
  preflightPolicy: {
    env: 'PREFLIGHT_POLICY',
    values: PREFLIGHT_POLICIES,
    default: 'notify',
    meaning: 'What a check on a nodegroup API call (before any instance fails) may do.',
  },
  stateTable: {
    env: 'STATE_TABLE',
    meaning: 'DynamoDB table for alert de-duplication and the loop guard; unset: neither.',
  },
  kubernetesApiUrl: {
    env: 'KUBERNETES_API_URL',
    meaning: "Overrides every cluster's API endpoint (tests and proxies only).",
  },
  loopGuardMaxRemediations: {
    env: 'LOOP_GUARD_MAX_REMEDIATIONS',
    min: 1,
    max: 100,
    default: 2,
    meaning: 'Remediations allowed per nodegroup within the loop guard window.',
  },
  loopGuardWindowSeconds: {
    env: 'LOOP_GUARD_WINDOW_SECONDS',
    min: 60,
    max: 7 * DAY,
    default: 6 * HOUR,
    unit: 'seconds',
    meaning: 'The loop guard window.',
  },
  alertCooldownSeconds: {
    env: 'ALERT_COOLDOWN_SECONDS',
    min: 0,
    max: 7 * DAY,
    default: HOUR,
    unit: 'seconds',
    meaning: 'The same alert for the same nodegroup is sent at most once per cooldown.',
  },
  scaleCyclePollSeconds: {
    env: 'SCALE_CYCLE_POLL_SECONDS',
    min: 1,
    max: 60,
    default: 15,
    unit: 'seconds',
    meaning: 'How often scale-cycle polls the nodegroup while it waits for ACTIVE.',
  },
  clusters: {
    env: 'CLUSTERS',
    // A cluster name, or REGION/NAME for that region's cluster only (watchedClusters.ts).
    pattern: /^(?:[a-z]{2,4}(?:-[a-z]+)+-\d{1,2}\/)?[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/,
    meaning:
      'The EKS clusters to watch, comma-separated: NAME (in every handled region) or REGION/NAME; unset: every cluster.',
  },
  regions: {
    env: 'REGIONS',
    // us-west-2, us-gov-west-1, cn-north-1, eusc-de-east-1.
    pattern: /^[a-z]{2,4}(-[a-z]+)+-\d{1,2}$/,
    meaning: "The regions whose events are handled, comma-separated; unset: the function's own (AWS_REGION).",
  },
} as const satisfies Record<string, ChoiceSetting | FlagSetting | NumberSetting | ValueSetting>;

export type SettingKey = keyof typeof SETTINGS;

export interface LoopGuardSettings {
  /** Remediations allowed per nodegroup within the window. */
  maxRemediations: number;
  /** The window, in seconds. */
  windowSeconds: number;
}

export interface RemediationSettings {
  allowMainRouteTable: boolean;
  /** Patch route tables that also serve subnets outside the cluster (else only when tagged managed). */
  allowSharedRouteTable: boolean;
  recycleStrategy: RecycleStrategy;
  loopGuard: LoopGuardSettings;
  /** The same alert for the same nodegroup is sent at most once per cooldown. */
  alertCooldownSeconds: number;
  /** How often scale-cycle polls the nodegroup while it waits for ACTIVE (and waits between scale-back tries). */
  scaleCyclePollSeconds?: number;
}

export const DEFAULT_REMEDIATION: RemediationSettings = {
  allowMainRouteTable: SETTINGS.allowMainRouteTable.default,
  allowSharedRouteTable: SETTINGS.allowSharedRouteTable.default,
  recycleStrategy: SETTINGS.recycleStrategy.default,
  loopGuard: {
    maxRemediations: SETTINGS.loopGuardMaxRemediations.default,
    windowSeconds: SETTINGS.loopGuardWindowSeconds.default,
  },
  alertCooldownSeconds: SETTINGS.alertCooldownSeconds.default,
};
