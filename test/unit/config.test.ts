import { describe, expect, it } from 'vitest';
import { parseConfig, parseJoinWindow, parsePolicy, remediationSettings } from '../../functions/config.js';
import { ConfigError } from '../../functions/core/model/errors.js';
import { DEFAULT_REMEDIATION, SETTINGS } from '../../functions/core/model/settings.js';
import { DOCUMENTED_DEFAULTS } from '../support/settingDefaults.js';

const TOPIC = 'arn:aws:sns:us-west-2:123456789012:eks-join-remediator-alerts';

/** Calls parseConfig and returns the ConfigError it throws. */
function configError(env: Record<string, string>): ConfigError {
  try {
    parseConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`parseConfig accepted ${JSON.stringify(env)}`);
}

describe('parseConfig defaults', () => {
  it('uses notify, 300 seconds, replace-unjoined, no main or shared route table, notify preflight, and nothing optional', () => {
    const config = parseConfig({});

    expect(config).toEqual({
      ...DOCUMENTED_DEFAULTS,
      loopGuardMaxRemediations: 2,
      loopGuardWindowSeconds: 21600,
      alertCooldownSeconds: 3600,
      scaleCyclePollSeconds: 15,
    });
    expect(config).not.toHaveProperty('alertTopicArn');
    expect(config).not.toHaveProperty('stateTable');
    expect(config).not.toHaveProperty('kubernetesApiUrl');
  });

  it('gives remediation the same defaults when the check runs without a configuration', () => {
    const defaults = {
      allowMainRouteTable: false,
      allowSharedRouteTable: false,
      recycleStrategy: 'replace-unjoined',
      loopGuard: { maxRemediations: 2, windowSeconds: 21600 },
      alertCooldownSeconds: 3600,
    };

    expect(DEFAULT_REMEDIATION).toEqual(defaults);
    expect(remediationSettings(parseConfig({}))).toEqual({ ...defaults, scaleCyclePollSeconds: 15 });
  });

  it('ignores variables it does not know', () => {
    expect(parseConfig({ HOME: '/root', POLICY_X: 'bogus', REGIONS_X: 'bogus' })).toEqual(parseConfig({}));
  });

  it.each(Object.values(SETTINGS).map((setting) => setting.env))('treats a blank %s as unset', (name) => {
    expect(parseConfig({ [name]: '' })).toEqual(parseConfig({}));
    expect(parseConfig({ [name]: '   ' })).toEqual(parseConfig({}));
  });
});

describe('parseConfig valid values', () => {
  it.each(['off', 'notify', 'dry-run', 'remediate'] as const)('accepts POLICY=%s', (policy) => {
    expect(parseConfig({ POLICY: policy }).policy).toBe(policy);
  });

  it.each([
    ['0', 0],
    ['1', 1],
    ['300', 300],
    ['600', 600],
    ['86400', 86_400],
  ])('accepts JOIN_WINDOW_SECONDS=%s', (value, seconds) => {
    expect(parseConfig({ JOIN_WINDOW_SECONDS: value }).joinWindowSeconds).toBe(seconds);
  });

  it.each(['replace-unjoined', 'scale-cycle'] as const)('accepts RECYCLE_STRATEGY=%s', (strategy) => {
    expect(parseConfig({ RECYCLE_STRATEGY: strategy }).recycleStrategy).toBe(strategy);
  });

  it.each([
    ['true', true],
    ['false', false],
  ])('accepts ALLOW_MAIN_ROUTE_TABLE=%s', (value, allowed) => {
    expect(parseConfig({ ALLOW_MAIN_ROUTE_TABLE: value }).allowMainRouteTable).toBe(allowed);
  });

  it.each([
    ['true', true],
    ['false', false],
  ])('accepts ALLOW_SHARED_ROUTE_TABLE=%s', (value, allowed) => {
    const config = parseConfig({ ALLOW_SHARED_ROUTE_TABLE: value });

    expect(config.allowSharedRouteTable).toBe(allowed);
    // The two permissions are independent.
    expect(config.allowMainRouteTable).toBe(false);
  });

  it.each(['notify', 'remediate'] as const)('accepts PREFLIGHT_POLICY=%s', (policy) => {
    expect(parseConfig({ PREFLIGHT_POLICY: policy }).preflightPolicy).toBe(policy);
  });

  it.each([
    TOPIC,
    'arn:aws:sns:eu-central-1:123456789012:alerts.fifo',
    'arn:aws-us-gov:sns:us-gov-west-1:123456789012:alerts',
    'arn:aws-cn:sns:cn-north-1:123456789012:alerts_2',
  ])('accepts ALERT_TOPIC_ARN=%s', (arn) => {
    expect(parseConfig({ ALERT_TOPIC_ARN: arn }).alertTopicArn).toBe(arn);
  });

  it('accepts STATE_TABLE as given', () => {
    expect(parseConfig({ STATE_TABLE: 'eks-join-remediator-state' }).stateTable).toBe(
      'eks-join-remediator-state',
    );
  });

  it.each(['http://127.0.0.1:8443', 'https://kube-proxy.internal:6443/base'])(
    'accepts KUBERNETES_API_URL=%s',
    (url) => {
      expect(parseConfig({ KUBERNETES_API_URL: url }).kubernetesApiUrl).toBe(url);
    },
  );

  it('trims surrounding spaces from values', () => {
    const config = parseConfig({
      POLICY: ' remediate ',
      JOIN_WINDOW_SECONDS: ' 120\n',
      ALERT_TOPIC_ARN: ` ${TOPIC} `,
    });

    expect(config.policy).toBe('remediate');
    expect(config.joinWindowSeconds).toBe(120);
    expect(config.alertTopicArn).toBe(TOPIC);
  });

  it('reads every variable at once', () => {
    expect(
      parseConfig({
        POLICY: 'dry-run',
        JOIN_WINDOW_SECONDS: '900',
        ALERT_TOPIC_ARN: TOPIC,
        RECYCLE_STRATEGY: 'scale-cycle',
        ALLOW_MAIN_ROUTE_TABLE: 'true',
        ALLOW_SHARED_ROUTE_TABLE: 'true',
        PREFLIGHT_POLICY: 'remediate',
        STATE_TABLE: 'state',
        KUBERNETES_API_URL: 'http://localhost:8001',
        LOOP_GUARD_MAX_REMEDIATIONS: '3',
        LOOP_GUARD_WINDOW_SECONDS: '3600',
        ALERT_COOLDOWN_SECONDS: '0',
        SCALE_CYCLE_POLL_SECONDS: '5',
      }),
    ).toEqual({
      policy: 'dry-run',
      joinWindowSeconds: 900,
      alertTopicArn: TOPIC,
      recycleStrategy: 'scale-cycle',
      allowMainRouteTable: true,
      allowSharedRouteTable: true,
      preflightPolicy: 'remediate',
      stateTable: 'state',
      kubernetesApiUrl: 'http://localhost:8001',
      loopGuardMaxRemediations: 3,
      loopGuardWindowSeconds: 3600,
      alertCooldownSeconds: 0,
      scaleCyclePollSeconds: 5,
    });
  });

  it('reads the watched clusters from CLUSTERS, comma-separated', () => {
    expect(parseConfig({ CLUSTERS: ' eks-workshop, prod-1 ,' }).clusters).toEqual(['eks-workshop', 'prod-1']);
    expect(parseConfig({})).not.toHaveProperty('clusters');
    expect(() => parseConfig({ CLUSTERS: 'ok,not a name' })).toThrow(/^CLUSTERS must be/);
    expect(parseConfig({ CLUSTERS: 'eu-west-1/prod,staging' }).clusters).toEqual([
      'eu-west-1/prod',
      'staging',
    ]);
    expect(() => parseConfig({ CLUSTERS: 'mars/prod' })).toThrow(/^CLUSTERS must be .*REGION\/NAME/);
  });

  it.each([
    ['LOOP_GUARD_MAX_REMEDIATIONS', '0'],
    ['LOOP_GUARD_MAX_REMEDIATIONS', 'two'],
    ['LOOP_GUARD_WINDOW_SECONDS', '59'],
    ['ALERT_COOLDOWN_SECONDS', '-1'],
    ['SCALE_CYCLE_POLL_SECONDS', '0'],
    ['SCALE_CYCLE_POLL_SECONDS', '61'],
  ])('rejects %s=%s, naming the variable', (name, value) => {
    expect(() => parseConfig({ [name]: value })).toThrow(new RegExp(`^${name} must be a whole number`));
  });
});

describe('parseConfig REGIONS', () => {
  it("defaults to the function's own region, AWS_REGION", () => {
    expect(parseConfig({ AWS_REGION: 'us-west-2' }).regions).toEqual(['us-west-2']);
  });

  it('leaves the regions unset (every region) when neither REGIONS nor AWS_REGION is set', () => {
    expect(parseConfig({})).not.toHaveProperty('regions');
    expect(parseConfig({ AWS_REGION: '  ' })).not.toHaveProperty('regions');
  });

  it('takes REGIONS over AWS_REGION, trimmed, without duplicates or empty entries', () => {
    expect(
      parseConfig({ AWS_REGION: 'us-west-2', REGIONS: ' eu-central-1, us-east-1 ,eu-central-1,' }).regions,
    ).toEqual(['eu-central-1', 'us-east-1']);
  });

  it.each(['us-gov-west-1', 'cn-north-1', 'ap-southeast-3', 'il-central-1', 'eusc-de-east-1'])(
    'accepts the region name %s',
    (region) => {
      expect(parseConfig({ REGIONS: region }).regions).toEqual([region]);
    },
  );

  it('falls back to AWS_REGION when REGIONS is blank', () => {
    expect(parseConfig({ AWS_REGION: 'eu-west-1', REGIONS: ' ' }).regions).toEqual(['eu-west-1']);
  });

  it.each([',', ' , ', 'us-west-2;eu-west-1', 'US-WEST-2', 'us-west', 'uswest2', 'us-west-2 eu-west-1', '*'])(
    'rejects REGIONS=%j, naming the variable, the expected form and the value',
    (value) => {
      const error = configError({ AWS_REGION: 'us-west-2', REGIONS: value });

      expect(error.message).toBe(
        `REGIONS must be a comma-separated list of AWS region names (e.g. us-west-2,eu-central-1), got '${value.trim()}'`,
      );
      expect(error.exitCode).toBe(2);
    },
  );
});

/** Per variable: what its message must say it must be, and values it must refuse. */
const INVALID_VALUES: [variable: string, requirement: string, values: string[]][] = [
  ['POLICY', 'off, notify, dry-run, remediate', ['on', 'NOTIFY', 'dryrun', 'auto']],
  ['JOIN_WINDOW_SECONDS', '0 to 86400', ['-1', '1.5', 'abc', '100000', '86401', '5m', '1e3', '0x10']],
  ['RECYCLE_STRATEGY', 'replace-unjoined, scale-cycle', ['replace', 'recycle', 'Scale-Cycle']],
  ['ALLOW_MAIN_ROUTE_TABLE', 'must be one of true, false', ['yes', '1', 'TRUE', 'no']],
  ['ALLOW_SHARED_ROUTE_TABLE', 'must be one of true, false', ['yes', '1', 'TRUE', 'no']],
  ['PREFLIGHT_POLICY', 'notify, remediate', ['dry-run', 'off', 'always']],
  [
    'ALERT_TOPIC_ARN',
    'SNS topic ARN',
    [
      'eks-join-remediator-alerts',
      'arn:aws:sqs:us-west-2:123456789012:queue',
      'arn:aws:sns:us-west-2:1234:alerts',
      'arn:aws:sns:us-west-2:123456789012:',
      'https://sns.us-west-2.amazonaws.com/123456789012/alerts',
    ],
  ],
  ['KUBERNETES_API_URL', 'http(s) URL', ['ftp://x', 'garbage', 'localhost:8001/', 'file:///etc/passwd']],
];

describe('parseConfig invalid values', () => {
  it.each(
    INVALID_VALUES.flatMap(([variable, requirement, values]) =>
      values.map((value) => ({ variable, value, requirement })),
    ),
  )(
    'rejects $variable=$value, naming the variable, what it must be and the value',
    ({ variable, value, requirement }) => {
      const error = configError({ [variable]: value });

      expect(error.message).toMatch(new RegExp(`^${variable} must be `));
      expect(error.message).toContain(requirement);
      expect(error.message).toContain(`'${value}'`);
      expect(error.exitCode).toBe(2);
    },
  );

  it('gives a one-line message', () => {
    expect(configError({ POLICY: 'bogus' }).message).not.toContain('\n');
  });
});

describe('remediationSettings', () => {
  it('passes the main and shared route table permissions from the environment', () => {
    expect(remediationSettings(parseConfig({}))).toMatchObject({
      allowMainRouteTable: false,
      allowSharedRouteTable: false,
    });
    expect(
      remediationSettings(parseConfig({ ALLOW_MAIN_ROUTE_TABLE: 'true', ALLOW_SHARED_ROUTE_TABLE: 'true' })),
    ).toMatchObject({ allowMainRouteTable: true, allowSharedRouteTable: true });
  });

  it('lets the CLI allow either table on top of the environment, never take a permission away', () => {
    const none = parseConfig({});
    expect(remediationSettings(none, { allowSharedRouteTable: true })).toMatchObject({
      allowMainRouteTable: false,
      allowSharedRouteTable: true,
    });
    expect(remediationSettings(none, { allowMainRouteTable: true })).toMatchObject({
      allowMainRouteTable: true,
      allowSharedRouteTable: false,
    });
    const shared = parseConfig({ ALLOW_SHARED_ROUTE_TABLE: 'true' });
    expect(remediationSettings(shared, { allowSharedRouteTable: false }).allowSharedRouteTable).toBe(true);
  });

  it('carries the recycle strategy, loop guard and alert cooldown', () => {
    expect(
      remediationSettings(
        parseConfig({
          RECYCLE_STRATEGY: 'scale-cycle',
          LOOP_GUARD_MAX_REMEDIATIONS: '3',
          LOOP_GUARD_WINDOW_SECONDS: '3600',
          ALERT_COOLDOWN_SECONDS: '60',
          SCALE_CYCLE_POLL_SECONDS: '2',
        }),
      ),
    ).toEqual({
      allowMainRouteTable: false,
      allowSharedRouteTable: false,
      recycleStrategy: 'scale-cycle',
      loopGuard: { maxRemediations: 3, windowSeconds: 3600 },
      alertCooldownSeconds: 60,
      scaleCyclePollSeconds: 2,
    });
  });
});

describe('parseJoinWindow and parsePolicy', () => {
  it('names the option it checks, so the CLI can reuse them', () => {
    expect(() => parseJoinWindow('-5', '--join-window')).toThrow(/^--join-window must be a whole number/);
    expect(() => parsePolicy('loud', '--policy')).toThrow(ConfigError);
    expect(() => parsePolicy('loud', '--policy')).toThrow(
      /^--policy must be one of off, notify, dry-run, remediate, got 'loud'$/,
    );
  });

  it('defaults the join window to 300 when no value is given', () => {
    expect(parseJoinWindow(undefined, '--join-window')).toBe(300);
  });

  it('returns a valid policy unchanged', () => {
    expect(parsePolicy('dry-run', '--policy')).toBe('dry-run');
  });
});
