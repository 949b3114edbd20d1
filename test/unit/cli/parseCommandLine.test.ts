import { describe, expect, it } from 'vitest';
import { parseCommandLine, USAGE } from '../../../functions/cli/parseCommandLine.js';
import { UsageError } from '../../../functions/core/model/errors.js';

const TOPIC = 'arn:aws:sns:us-west-2:123456789012:eks-join-remediator-alerts';

/** Parses argv and returns the UsageError it throws, after checking the exit code and the one-line message. */
function usageError(argv: string[]): UsageError {
  let thrown: unknown;
  try {
    parseCommandLine(argv);
  } catch (error) {
    thrown = error;
  }
  expect(thrown, `parseCommandLine accepted ${JSON.stringify(argv)}`).toBeInstanceOf(UsageError);
  const error = thrown as UsageError;
  expect(error.exitCode).toBe(2);
  expect(error.message).not.toContain('\n');
  expect(error.message.length).toBeGreaterThan(0);
  return error;
}

describe('parseCommandLine check', () => {
  it('reads every option', () => {
    expect(
      parseCommandLine([
        'check',
        '--cluster',
        'eks-workshop',
        '--nodegroup',
        'new_nodegroup_2',
        '--policy',
        'dry-run',
        '--join-window',
        '600',
        '--topic-arn',
        TOPIC,
        '--region',
        'us-west-2',
        '--allow-main-route-table',
        '--allow-shared-route-table',
        '--preflight',
        '--json',
      ]),
    ).toEqual({
      name: 'check',
      cluster: 'eks-workshop',
      nodegroups: ['new_nodegroup_2'],
      policy: 'dry-run',
      joinWindowSeconds: 600,
      topicArn: TOPIC,
      region: 'us-west-2',
      allowMainRouteTable: true,
      allowSharedRouteTable: true,
      preflight: true,
      json: true,
    });
  });

  it('accepts --option=value and options in any order', () => {
    expect(
      parseCommandLine([
        'check',
        '--json',
        '--policy=remediate',
        '--join-window=0',
        '--cluster=eks-workshop',
      ]),
    ).toEqual({
      name: 'check',
      cluster: 'eks-workshop',
      policy: 'remediate',
      joinWindowSeconds: 0,
      allowMainRouteTable: false,
      allowSharedRouteTable: false,
      preflight: false,
      json: true,
    });
  });

  it('collects a repeated --nodegroup in order, once each', () => {
    const command = parseCommandLine([
      'check',
      '--cluster',
      'eks-workshop',
      '--nodegroup',
      'ng-b',
      '--nodegroup',
      'ng-a',
      '--nodegroup',
      'ng-b',
    ]);

    expect(command).toMatchObject({ name: 'check', nodegroups: ['ng-b', 'ng-a'] });
  });

  it('leaves every default undefined so environment and tags can decide', () => {
    const command = parseCommandLine(['check', '--cluster', 'eks-workshop']);

    expect(command).toEqual({
      name: 'check',
      cluster: 'eks-workshop',
      allowMainRouteTable: false,
      allowSharedRouteTable: false,
      preflight: false,
      json: false,
    });
    for (const key of ['nodegroups', 'policy', 'joinWindowSeconds', 'topicArn', 'region']) {
      expect(command).not.toHaveProperty(key);
    }
  });

  it('reads --allow-shared-route-table on its own, apart from --allow-main-route-table', () => {
    expect(parseCommandLine(['check', '--cluster', 'c', '--allow-shared-route-table'])).toMatchObject({
      allowMainRouteTable: false,
      allowSharedRouteTable: true,
    });
    expect(parseCommandLine(['check', '--cluster', 'c', '--allow-main-route-table'])).toMatchObject({
      allowMainRouteTable: true,
      allowSharedRouteTable: false,
    });
  });

  it('rejects a value given to --allow-shared-route-table, naming the option', () => {
    expect(
      usageError(['check', '--cluster', 'eks-workshop', '--allow-shared-route-table=true']).message,
    ).toContain('--allow-shared-route-table');
  });

  it.each(['off', 'notify', 'dry-run', 'remediate'])('accepts --policy %s', (policy) => {
    expect(parseCommandLine(['check', '--cluster', 'c', '--policy', policy])).toMatchObject({ policy });
  });

  it('requires --cluster', () => {
    expect(usageError(['check']).message).toBe('check needs --cluster NAME');
    expect(usageError(['check', '--nodegroup', 'new_nodegroup_2', '--json']).message).toContain('--cluster');
  });

  it('rejects an empty --cluster', () => {
    expect(usageError(['check', '--cluster', '']).message).toContain('--cluster');
  });

  it('rejects --cluster without a value', () => {
    expect(usageError(['check', '--cluster']).message).toContain('--cluster');
  });

  it.each(['loud', 'NOTIFY', ''])('rejects --policy %j, naming the option and the choices', (policy) => {
    const { message } = usageError(['check', '--cluster', 'eks-workshop', '--policy', policy]);

    expect(message).toBe(`--policy must be one of off, notify, dry-run, remediate, got '${policy}'`);
  });

  it.each(['-1', '1.5', 'abc', '100000', '5m'])('rejects --join-window=%s, naming the option', (value) => {
    const { message } = usageError(['check', '--cluster', 'eks-workshop', `--join-window=${value}`]);

    expect(message).toBe(`--join-window must be a whole number of seconds from 0 to 86400, got '${value}'`);
  });

  it('rejects --join-window given a negative number as a separate argument', () => {
    expect(usageError(['check', '--cluster', 'eks-workshop', '--join-window', '-1']).message).toContain(
      '--join-window',
    );
  });

  it.each(['alerts', 'arn:aws:sqs:us-west-2:123456789012:alerts', ''])('rejects --topic-arn %j', (value) => {
    const { message } = usageError(['check', '--cluster', 'eks-workshop', '--topic-arn', value]);

    expect(message).toContain('--topic-arn must be an SNS topic ARN');
    expect(message).not.toContain('ALERT_TOPIC_ARN');
  });

  it('rejects an unknown option, naming it', () => {
    expect(usageError(['check', '--cluster', 'eks-workshop', '--bogus']).message).toContain("'--bogus'");
  });

  it('rejects a value given to --json', () => {
    expect(usageError(['check', '--cluster', 'eks-workshop', '--json=yes']).message).toContain('--json');
  });

  it('rejects a stray positional argument', () => {
    expect(usageError(['check', '--cluster', 'eks-workshop', 'new_nodegroup_2']).message).toContain(
      'new_nodegroup_2',
    );
  });

  it.each([['--help'], ['-h']])('shows help for check %s, even without --cluster', (flag) => {
    expect(parseCommandLine(['check', flag])).toEqual({ name: 'help' });
  });
});

describe('parseCommandLine invoke', () => {
  it('takes exactly one event file', () => {
    expect(parseCommandLine(['invoke', 'events/asg-launch-successful.json'])).toEqual({
      name: 'invoke',
      eventFile: 'events/asg-launch-successful.json',
    });
  });

  it('rejects invoke without an event file', () => {
    expect(usageError(['invoke']).message).toBe('invoke needs exactly one EVENT_FILE');
  });

  it('rejects invoke with two event files', () => {
    expect(usageError(['invoke', 'events/eks-create-nodegroup.json', 'events/sqs-batch.json']).message).toBe(
      'invoke needs exactly one EVENT_FILE',
    );
  });

  it('rejects an option given to invoke with a one-line message', () => {
    expect(usageError(['invoke', '--cluster', 'eks-workshop', 'events/sqs-batch.json']).message).toContain(
      '--cluster',
    );
  });
});

describe('parseCommandLine commands and help', () => {
  it.each([[[]], [['help']], [['--help']], [['-h']]])('shows help for %j', (argv) => {
    expect(parseCommandLine(argv)).toEqual({ name: 'help' });
  });

  it.each(['frobnicate', 'Check', '--cluster'])(
    'rejects the unknown command %s, naming it and the real ones',
    (name) => {
      const { message } = usageError([name, 'eks-workshop']);

      expect(message).toBe(`unknown command '${name}': use check or invoke (see --help)`);
    },
  );

  it('documents both commands, every check option with its default, and the exit codes', () => {
    for (const text of [
      'check --cluster NAME',
      '--nodegroup NAME',
      '--policy P           off | notify | dry-run | remediate. Wins over tags and POLICY. Default: notify.',
      '--join-window SECS   How long a node may take to join. Default: JOIN_WINDOW_SECONDS, else 300.',
      '--topic-arn ARN      Publish alerts to this SNS topic. Default: ALERT_TOPIC_ARN, else none.',
      '--region',
      '--allow-main-route-table',
      '--allow-shared-route-table',
      '(ALLOW_MAIN_ROUTE_TABLE=true)',
      'cluster (ALLOW_SHARED_ROUTE_TABLE=true)',
      '--json',
      'invoke EVENT_FILE',
      'Exit codes: 0',
    ]) {
      expect(USAGE).toContain(text);
    }
  });
});
