#!/usr/bin/env node
import { readFile } from 'node:fs/promises';
import { parseConfig, remediationSettings } from '../config.js';
import { exitCodeFor } from '../core/check/outcome.js';
import { runCheck } from '../core/check/runCheck.js';
import { JoinRemediatorError, UsageError } from '../core/model/errors.js';
import { createPorts } from '../createPorts.js';
import type { ProcessOutcome } from '../join-check/processEvents.js';
import { formatText } from '../report/formatText.js';
import { type Command, parseCommandLine, USAGE } from './parseCommandLine.js';

/** The CLI: `check` for people, `invoke` to run the Lambda handler on an event file. */
async function main(argv: string[]): Promise<number> {
  // An error is one line on stderr (the exit codes carry the rest); the SDK's multi-line notice about
  // the Node.js version would come first. package.json's engines says which Node.js versions work.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const command = parseCommandLine(argv);
  if (command.name === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (command.name === 'invoke') return invoke(command.eventFile);
  return check(command);
}

async function check(command: Extract<Command, { name: 'check' }>): Promise<number> {
  const config = parseConfig();
  const result = await runCheck(
    {
      clusterName: command.cluster,
      ...(command.nodegroups && { nodegroupNames: command.nodegroups }),
      ...(command.policy && { policyOverride: command.policy }),
      defaultPolicy: config.policy,
      joinWindowSeconds: command.joinWindowSeconds ?? config.joinWindowSeconds,
      remediation: remediationSettings(config, {
        allowMainRouteTable: command.allowMainRouteTable,
        allowSharedRouteTable: command.allowSharedRouteTable,
      }),
      ...(command.preflight && { preflight: true, preflightPolicy: config.preflightPolicy }),
    },
    createPorts(config, command.region, { topicArn: command.topicArn }),
  );
  process.stdout.write(
    command.json ? `${JSON.stringify(result.report, null, 2)}\n` : formatText(result.report),
  );
  for (const error of result.errors) process.stderr.write(`eks-join-remediator: ${error.message}\n`);
  return exitCodeFor(result);
}

async function invoke(eventFile: string): Promise<number> {
  let event: unknown;
  try {
    event = JSON.parse(await readFile(eventFile, 'utf8'));
  } catch (error) {
    throw new UsageError(`cannot read event file ${eventFile}: ${(error as Error).message}`);
  }
  if (!isEventShape(event)) {
    throw new UsageError(
      `${eventFile} is neither an EventBridge event (source, detail-type) nor an SQS event (Records)`,
    );
  }
  // Logs go to stderr so stdout holds only the handler's result; the handler parses its config on import.
  const { sendLogsToStderr } = await import('../logger.js');
  sendLogsToStderr();
  const { handleEvent } = await import('../join-check/handler.js');
  const { response, outcome } = await handleEvent(event);
  process.stdout.write(`${JSON.stringify(response, null, 2)}\n`);
  return invokeExitCode(outcome);
}

/** As for check: 3 when a call failed, 2 when an event was malformed, 1 when a problem remains. */
function invokeExitCode(outcome: ProcessOutcome): number {
  const skipped = new Set(outcome.skipped.map((s) => s.id));
  // A check without a result either failed (3) or found its cluster or nodegroup gone (2, like check).
  const codes = outcome.checks.map((c) =>
    c.result ? exitCodeFor(c.result) : c.eventIds.every((id) => skipped.has(id)) ? 2 : 3,
  );
  if (codes.includes(3) || outcome.failed.some((f) => !f.malformed)) return 3;
  if (outcome.failed.length > 0) return 2;
  return codes.includes(1) ? 1 : 0;
}

function isEventShape(event: unknown): boolean {
  if (typeof event !== 'object' || event === null) return false;
  const e = event as Record<string, unknown>;
  return Array.isArray(e.Records) || (typeof e.source === 'string' && typeof e['detail-type'] === 'string');
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const known = error instanceof JoinRemediatorError;
    process.stderr.write(
      `eks-join-remediator: ${known ? error.message : ((error as Error)?.message ?? String(error))}\n`,
    );
    process.exitCode = known ? error.exitCode : 3;
  },
);
