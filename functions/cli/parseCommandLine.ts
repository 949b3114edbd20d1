import { parseArgs } from 'node:util';
import { checkTopicArn, parseJoinWindow, parsePolicy } from '../config.js';
import { ConfigError, UsageError } from '../core/model/errors.js';
import { SETTINGS } from '../core/model/settings.js';
import type { Policy } from '../core/model/types.js';

export type Command =
  | { name: 'help' }
  | {
      name: 'check';
      cluster: string;
      nodegroups?: string[];
      policy?: Policy;
      joinWindowSeconds?: number;
      topicArn?: string;
      region?: string;
      allowMainRouteTable: boolean;
      allowSharedRouteTable: boolean;
      preflight: boolean;
      json: boolean;
    }
  | { name: 'invoke'; eventFile: string };

const { policy, joinWindowSeconds, alertTopicArn, allowMainRouteTable, allowSharedRouteTable } = SETTINGS;

export const USAGE = `Usage: eks-join-remediator <command> [options]

Commands:
  check --cluster NAME   Check a cluster's managed nodegroups for nodes that never joined, and why.
      --nodegroup NAME     Only this nodegroup (repeatable). Default: every managed nodegroup.
      --policy P           ${policy.values.join(' | ')}. Wins over tags and ${policy.env}. Default: ${policy.default}.
      --join-window SECS   How long a node may take to join. Default: ${joinWindowSeconds.env}, else ${joinWindowSeconds.default}.
      --topic-arn ARN      Publish alerts to this SNS topic. Default: ${alertTopicArn.env}, else none.
      --region REGION      AWS region. Default: the SDK's (AWS_REGION, profile).
      --allow-main-route-table
                           Let remediation patch a VPC's main route table (${allowMainRouteTable.env}=true).
      --allow-shared-route-table
                           Let remediation patch a route table that also serves subnets outside the
                           cluster (${allowSharedRouteTable.env}=true).
      --preflight          Also check the nodegroups' subnets and node role now, before any instance fails.
      --json               Print exactly one JSON report on stdout.
  invoke EVENT_FILE      Run the Lambda handler on an EventBridge or SQS event file; print its result as JSON.

Exit codes: 0 nothing unresolved, 1 a problem remains, 2 bad usage or input, 3 an AWS or Kubernetes call failed.`;

/** Parses argv (without node and script); throws UsageError with one line that says what is wrong. */
export function parseCommandLine(argv: string[]): Command {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') return { name: 'help' };
  if (name === 'check') return parseCheck(rest);
  if (name === 'invoke') return parseInvoke(rest);
  throw new UsageError(`unknown command '${name}': use check or invoke (see --help)`);
}

function parseCheck(args: string[]): Command {
  const { values } = parse(args, {
    cluster: { type: 'string' },
    nodegroup: { type: 'string', multiple: true },
    policy: { type: 'string' },
    'join-window': { type: 'string' },
    'topic-arn': { type: 'string' },
    region: { type: 'string' },
    'allow-main-route-table': { type: 'boolean', default: false },
    'allow-shared-route-table': { type: 'boolean', default: false },
    preflight: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) return { name: 'help' };
  if (!values.cluster) throw new UsageError('check needs --cluster NAME');
  try {
    if (values['topic-arn'] !== undefined) checkTopicArn(values['topic-arn'], '--topic-arn');
    return {
      name: 'check',
      cluster: values.cluster,
      ...(values.nodegroup && { nodegroups: [...new Set(values.nodegroup)] }),
      ...(values.policy !== undefined && { policy: parsePolicy(values.policy, '--policy') }),
      ...(values['join-window'] !== undefined && {
        joinWindowSeconds: parseJoinWindow(values['join-window'], '--join-window'),
      }),
      ...(values['topic-arn'] && { topicArn: values['topic-arn'] }),
      ...(values.region && { region: values.region }),
      allowMainRouteTable: values['allow-main-route-table'] ?? false,
      allowSharedRouteTable: values['allow-shared-route-table'] ?? false,
      preflight: values.preflight ?? false,
      json: values.json ?? false,
    };
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
}

function parseInvoke(args: string[]): Command {
  const { positionals } = parse(args, {}, true);
  if (positionals.length !== 1) throw new UsageError('invoke needs exactly one EVENT_FILE');
  return { name: 'invoke', eventFile: positionals[0] as string };
}

type Options = NonNullable<Parameters<typeof parseArgs>[0]>['options'];

function parse<O extends Options>(args: string[], options: O, allowPositionals = false) {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message.split('\n')[0] ?? 'bad arguments');
  }
}
