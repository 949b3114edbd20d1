import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App } from 'aws-cdk-lib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/config.js';
import { SETTINGS } from '../../functions/core/model/settings.js';
import { DeploymentConfigError, functionEnvironment, parseDeploymentConfig } from '../../infra/config.js';
import { EksJoinRemediator } from '../../infra/lib/EksJoinRemediator.js';
import { REPOSITORY_ROOT } from '../../infra/lib/paths.js';
import { loadDeploymentConfig } from '../../infra/loadSettings.js';
import { DOCUMENTED_DEFAULTS } from '../support/settingDefaults.js';
import { FULL_SETTINGS, MULTI_REGION_SETTINGS } from './synthStack.js';

/** The deployment's defaults, written out here: what an empty settings file gives. */
const DEFAULT_CONFIG = {
  ...DOCUMENTED_DEFAULTS,
  logRetentionDays: 90,
  // No scope and no recipients.
  clusters: [],
  alertEmails: [],
  vpcIds: [],
  functionSubnetIds: [],
  functionSecurityGroupIds: [],
  // One account, one region: wherever the stack is deployed.
  regions: [],
  organizationalUnitIds: [],
  stackSetCallAs: 'SELF',
};

/** What the settings of one account and region leave at their defaults. */
const ONE_ACCOUNT_AND_REGION = { regions: [], organizationalUnitIds: [], stackSetCallAs: 'SELF' };

function errorOf(run: () => unknown): DeploymentConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(DeploymentConfigError);
    return error as DeploymentConfigError;
  }
  throw new Error('expected a DeploymentConfigError');
}

describe('parseDeploymentConfig', () => {
  it('fills in the defaults: notify, 300 s, replace-unjoined, no clusters, 90-day logs', () => {
    expect(parseDeploymentConfig({})).toEqual(DEFAULT_CONFIG);
  });

  it('accepts every setting typed, as in a settings file', () => {
    expect(parseDeploymentConfig(FULL_SETTINGS)).toEqual({ ...FULL_SETTINGS, ...ONE_ACCOUNT_AND_REGION });
    expect(parseDeploymentConfig(MULTI_REGION_SETTINGS)).toEqual({
      ...MULTI_REGION_SETTINGS,
      organizationalUnitIds: [],
      stackSetCallAs: 'SELF',
    });
  });

  it('accepts the strings `cdk -c key=value` gives, lists comma-separated', () => {
    expect(
      parseDeploymentConfig({
        policy: 'remediate',
        joinWindowSeconds: '600',
        allowMainRouteTable: 'true',
        allowSharedRouteTable: 'true',
        clusters: 'eks-workshop, prod_2',
        alertEmails: 'platform@example.com',
        logRetentionDays: '30',
        loopGuardMaxRemediations: '3',
      }),
    ).toMatchObject({
      joinWindowSeconds: 600,
      allowMainRouteTable: true,
      allowSharedRouteTable: true,
      clusters: ['eks-workshop', 'prod_2'],
      alertEmails: ['platform@example.com'],
      logRetentionDays: 30,
      loopGuardMaxRemediations: 3,
    });
  });

  it('takes the home region from regions (the first) or regions from region (just it), home region first', () => {
    expect(parseDeploymentConfig({ regions: 'eu-west-1,us-west-2' })).toMatchObject({
      region: 'eu-west-1',
      regions: ['eu-west-1', 'us-west-2'],
    });
    expect(parseDeploymentConfig({ region: 'eu-central-1' })).toMatchObject({
      region: 'eu-central-1',
      regions: ['eu-central-1'],
    });
    expect(parseDeploymentConfig({ region: 'us-west-2', regions: 'eu-west-1,us-west-2' })).toMatchObject({
      region: 'us-west-2',
      regions: ['us-west-2', 'eu-west-1'],
    });
  });

  it('drops repeated list entries (one access entry per cluster)', () => {
    expect(parseDeploymentConfig({ clusters: ['a', 'b', 'a'] }).clusters).toEqual(['a', 'b']);
  });

  const bad: [string, Record<string, unknown>, RegExp][] = [
    ['policy', { policy: 'fix-it' }, /'policy' must be one of off, notify, dry-run, remediate, got 'fix-it'/],
    [
      'joinWindowSeconds',
      { joinWindowSeconds: -5 },
      /'joinWindowSeconds' must be a whole number of seconds from 0 to 86400, got -5/,
    ],
    ['joinWindowSeconds', { joinWindowSeconds: '5m' }, /'joinWindowSeconds'.*got '5m'/],
    ['joinWindowSeconds', { joinWindowSeconds: 90_000 }, /'joinWindowSeconds'/],
    [
      'recycleStrategy',
      { recycleStrategy: 'reboot' },
      /'recycleStrategy' must be one of replace-unjoined, scale-cycle/,
    ],
    [
      'allowMainRouteTable',
      { allowMainRouteTable: 'yes' },
      /'allowMainRouteTable' must be true or false, got 'yes'/,
    ],
    [
      'allowSharedRouteTable',
      { allowSharedRouteTable: 'yes' },
      /'allowSharedRouteTable' must be true or false, got 'yes'/,
    ],
    ['preflightPolicy', { preflightPolicy: 'dry-run' }, /'preflightPolicy' must be one of notify, remediate/],
    [
      'clusters',
      { clusters: ['bad name'] },
      /'clusters' must be a list of EKS cluster names.*got 'bad name'/,
    ],
    ['clusters', { clusters: 42 }, /'clusters' must be a list of EKS cluster names/],
    ['alertEmails', { alertEmails: ['ops'] }, /'alertEmails' must be a list of e-mail addresses, got 'ops'/],
    [
      'slackWorkspaceId',
      { slackWorkspaceId: 't-lower', slackChannelId: 'C1' },
      /'slackWorkspaceId' must be a Slack workspace ID/,
    ],
    [
      'slackChannelId',
      { slackWorkspaceId: 'T0123ABCD' },
      /'slackChannelId' must be set together with the other Slack setting/,
    ],
    ['slackWorkspaceId', { slackChannelId: 'C0123ABCD' }, /'slackWorkspaceId' must be set together/],
    ['vpcIds', { vpcIds: ['vpc-xyz'] }, /'vpcIds' must be a list of VPC IDs/],
    [
      'region',
      { region: 'mars-north-1a' },
      /'region' must be an AWS region name such as us-west-2, got 'mars-north-1a'/,
    ],
    [
      'regions',
      { regions: 'us-west-2,Europe' },
      /'regions' must be a list of AWS region names.*got 'Europe'/,
    ],
    [
      'region',
      { region: 'us-east-1', regions: 'us-west-2,eu-west-1' },
      /'region' .*must be one of the regions listed in 'regions' \(us-west-2, eu-west-1\), got 'us-east-1'/,
    ],
    [
      'clusters',
      { clusters: 'eu-west-1/prod' },
      /'clusters' must be cluster names without a region when no region is set.*got 'eu-west-1\/prod'/,
    ],
    [
      'clusters',
      { regions: 'us-west-2,eu-west-1', clusters: 'ap-south-1/prod' },
      /'clusters' must be clusters of the listed regions \(us-west-2, eu-west-1\).*got 'ap-south-1\/prod'/,
    ],
    [
      'organizationalUnitIds',
      { organizationalUnitIds: 'Engineering' },
      /'organizationalUnitIds' must be a list of organizational unit IDs \(ou-…\) or the root \(r-…\), got 'Engineering'/,
    ],
    [
      'region',
      { organizationalUnitIds: 'ou-ab12-cdef3456', assetBucketPrefix: 'acme' },
      /'region' must be set with organizationalUnitIds/,
    ],
    [
      'assetBucketPrefix',
      { organizationalUnitIds: 'ou-ab12-cdef3456', region: 'us-west-2' },
      /'assetBucketPrefix' must be set with organizationalUnitIds/,
    ],
    [
      'assetBucketPrefix',
      { assetBucketPrefix: 'Acme_Assets' },
      /'assetBucketPrefix' must be the start of S3 bucket names/,
    ],
    [
      'clusters',
      {
        organizationalUnitIds: 'ou-ab12-cdef3456',
        assetBucketPrefix: 'acme',
        regions: 'us-west-2,eu-west-1',
        clusters: 'main,eu-west-1/main',
      },
      /'clusters' must be clusters of the home region only with organizationalUnitIds.*got 'eu-west-1\/main'/,
    ],
    [
      'region',
      { centralTopicArn: 'arn:aws:sns:us-west-2:111122223333:eks-join-alerts' },
      /'region' must be set with centralTopicArn/,
    ],
    [
      'stackSetCallAs',
      { stackSetCallAs: 'ADMIN' },
      /'stackSetCallAs' must be one of SELF, DELEGATED_ADMIN, got 'ADMIN'/,
    ],
    [
      'centralTopicArn',
      { centralTopicArn: 'eks-join-alerts' },
      /'centralTopicArn' must be the ARN of an SNS topic/,
    ],
    [
      'functionSubnetIds',
      { functionSubnetIds: ['sub-1'] },
      /'functionSubnetIds' must be a list of subnet IDs/,
    ],
    [
      'functionSecurityGroupIds',
      { functionSubnetIds: ['subnet-0e5e4b6c1d2a3f405'] },
      /'functionSecurityGroupIds' must be set together/,
    ],
    [
      'logRetentionDays',
      { logRetentionDays: 10 },
      /'logRetentionDays' must be one of the CloudWatch Logs retention periods/,
    ],
    [
      'loopGuardMaxRemediations',
      { loopGuardMaxRemediations: 0 },
      /'loopGuardMaxRemediations' must be a whole number from 1 to 100/,
    ],
    [
      'loopGuardWindowSeconds',
      { loopGuardWindowSeconds: 10 },
      /'loopGuardWindowSeconds' must be a whole number of seconds from 60/,
    ],
    ['alertCooldownSeconds', { alertCooldownSeconds: 'soon' }, /'alertCooldownSeconds'/],
  ];
  for (const [setting, settings, message] of bad) {
    it(`rejects a bad ${setting}, naming it: ${JSON.stringify(settings)}`, () => {
      expect(errorOf(() => parseDeploymentConfig(settings)).message).toMatch(message);
    });
  }

  it('needs a cluster to scope the writes of dry-run and remediate', () => {
    for (const policy of ['dry-run', 'remediate']) {
      expect(errorOf(() => parseDeploymentConfig({ policy })).message).toMatch(
        new RegExp(`'clusters' must be at least one cluster name when policy is '${policy}'`),
      );
    }
  });

  it('refuses a preflight policy that needs writes the policy does not grant', () => {
    expect(errorOf(() => parseDeploymentConfig({ preflightPolicy: 'remediate' })).message).toMatch(
      /'preflightPolicy' .*must be 'notify' when policy is 'notify'/,
    );
  });

  it('refuses an unknown setting, listing the known ones', () => {
    expect(errorOf(() => parseDeploymentConfig({ polcy: 'notify' } as never)).message).toMatch(
      /unknown setting 'polcy' \(known: policy, joinWindowSeconds/,
    );
  });

  it('says where a bad value came from', () => {
    expect(errorOf(() => parseDeploymentConfig({ policy: 'x' }, () => "context 'policy'")).message).toBe(
      "setting 'policy' (from context 'policy') must be one of off, notify, dry-run, remediate, got 'x'",
    );
  });

  it('the construct checks its props too, so a platform team’s app fails at synth as well', () => {
    const app = new App();
    expect(() => new EksJoinRemediator(app, 'Remediator', { joinWindowSeconds: 'soon' })).toThrow(
      /'joinWindowSeconds'/,
    );
  });
});

describe('functionEnvironment', () => {
  it("leaves out an empty cluster list and the unset tuning settings (the function's defaults apply)", () => {
    expect(Object.keys(functionEnvironment(parseDeploymentConfig({}))).sort()).toEqual(
      [
        'ALLOW_MAIN_ROUTE_TABLE',
        'ALLOW_SHARED_ROUTE_TABLE',
        'JOIN_WINDOW_SECONDS',
        'POLICY',
        'PREFLIGHT_POLICY',
        'RECYCLE_STRATEGY',
      ].sort(),
    );
  });

  it('passes every setting the function has too, so that the function reads back the same values', () => {
    const config = parseDeploymentConfig(MULTI_REGION_SETTINGS);
    const functionConfig = parseConfig(functionEnvironment(config));
    const shared = Object.keys(SETTINGS).filter((name) => name in config && name !== 'clusters');

    expect(shared).toHaveLength(10);
    // Each cluster with its region: names repeat across regions.
    expect(functionConfig.clusters).toEqual([
      'us-west-2/eks-workshop',
      'us-west-2/prod_2',
      'eu-west-1/prod',
      'eu-west-1/eks-workshop',
    ]);
    for (const name of shared) {
      expect(functionConfig[name as keyof typeof functionConfig], name).toEqual(
        config[name as keyof typeof config],
      );
    }
  });
});

describe('loadDeploymentConfig (the ready-made stack)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'ejr-settings-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('uses the defaults when there is neither a settings file nor context', () => {
    expect(loadDeploymentConfig(new App().node, dir)).toEqual(DEFAULT_CONFIG);
  });

  it('reads infra/config.json, and context wins over it', () => {
    writeFileSync(
      path.join(dir, 'infra-config.json'),
      JSON.stringify({
        $comment: 'ours',
        policy: 'remediate',
        clusters: ['eks-workshop'],
        joinWindowSeconds: 600,
      }),
    );
    const app = new App({ context: { config: 'infra-config.json', joinWindowSeconds: '120' } });
    expect(loadDeploymentConfig(app.node, dir)).toMatchObject({
      policy: 'remediate',
      clusters: ['eks-workshop'],
      joinWindowSeconds: 120,
    });
  });

  it('picks up infra/config.json by default', () => {
    mkdirSync(path.join(dir, 'infra'));
    writeFileSync(path.join(dir, 'infra/config.json'), JSON.stringify({ alertEmails: ['ops@example.com'] }));
    expect(loadDeploymentConfig(new App().node, dir).alertEmails).toEqual(['ops@example.com']);
  });

  it('names the file and the setting when the file holds a bad value or an unknown key', () => {
    writeFileSync(path.join(dir, 'a.json'), JSON.stringify({ policy: 'always' }));
    expect(
      errorOf(() => loadDeploymentConfig(new App({ context: { config: 'a.json' } }).node, dir)).message,
    ).toBe(
      "setting 'policy' (from settings file 'a.json') must be one of off, notify, dry-run, remediate, got 'always'",
    );
    writeFileSync(path.join(dir, 'b.json'), JSON.stringify({ cluster: ['x'] }));
    expect(
      errorOf(() => loadDeploymentConfig(new App({ context: { config: 'b.json' } }).node, dir)).message,
    ).toMatch(/settings file 'b.json': unknown setting 'cluster'/);
  });

  it('names a context value as its source', () => {
    const app = new App({ context: { recycleStrategy: 'reboot' } });
    expect(errorOf(() => loadDeploymentConfig(app.node, dir)).message).toMatch(
      /setting 'recycleStrategy' \(from context 'recycleStrategy'\)/,
    );
  });

  it('fails on a named settings file that is missing or is not JSON', () => {
    expect(
      errorOf(() => loadDeploymentConfig(new App({ context: { config: 'nope.json' } }).node, dir)).message,
    ).toMatch(/settings file 'nope.json' \(context 'config'\) does not exist/);
    writeFileSync(path.join(dir, 'c.json'), '{ policy: notify');
    expect(
      errorOf(() => loadDeploymentConfig(new App({ context: { config: 'c.json' } }).node, dir)).message,
    ).toMatch(/settings file 'c.json' is not valid JSON/);
  });

  it('the shipped example is a valid settings file', () => {
    const app = new App({ context: { config: 'infra/config.example.json' } });
    expect(() => loadDeploymentConfig(app.node, REPOSITORY_ROOT)).not.toThrow();
  });
});
