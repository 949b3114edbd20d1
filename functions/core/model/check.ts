import type { JoinRemediatorError } from './errors.js';
import type {
  AccountReader,
  AlertPublisher,
  ChangeHistory,
  Clock,
  ConsoleReader,
  IdentityReader,
  LaunchReader,
  Log,
  MembershipReader,
  RemediationWriter,
  StateStore,
} from './ports.js';
import type { PreflightPolicy, RemediationSettings } from './settings.js';
import type { LaunchFailure, Nodegroup, Policy, Report } from './types.js';

/** One check, its ports and its result: what the check and remediation steps share. */

export interface CheckRequest {
  clusterName: string;
  /** Undefined: every managed nodegroup of the cluster. */
  nodegroupNames?: string[];
  /** From the command line: wins over tags. */
  policyOverride?: Policy;
  defaultPolicy: Policy;
  joinWindowSeconds: number;
  remediation?: RemediationSettings;
  /** When writes and waits must be over (the Lambda's remaining time). */
  deadline?: Date;
  /** Also check the nodegroup's subnets and identity now, without waiting for an instance to fail. */
  preflight?: boolean;
  /** Under preflight, `notify` (default) alerts with the plan but writes nothing until an instance is unjoined. */
  preflightPolicy?: PreflightPolicy;
  /** Auto Scaling launches of the nodegroup that failed: diagnosed and alerted, never remediated. */
  launchFailures?: LaunchFailure[];
}

export interface CheckPorts {
  account: AccountReader;
  membership: MembershipReader;
  /** Absent: the node role and its admission are not checked. */
  identity?: IdentityReader;
  /** Absent: nothing is published (no topic configured). */
  alerts?: AlertPublisher;
  /** Absent: nothing can be written; remediate then plans and skips. */
  writer?: RemediationWriter;
  state: StateStore;
  /** Absent: findings say nothing about who changed the resource. */
  changes?: ChangeHistory;
  /** Absent: no boot evidence is read. */
  consoles?: ConsoleReader;
  /** Absent: launch failures are reported from Auto Scaling's message alone, unconfirmed. */
  launches?: LaunchReader;
  clock: Clock;
  /** Waits during scale-cycle; default a real timer (tests pass one that moves their clock). */
  sleep?: (ms: number) => Promise<void>;
  log: Log;
  /** Names this run in remediation locks. */
  runId?: string;
}

export interface CheckResult {
  report: Report;
  /** Failures that did not stop the report (an alert that could not be published). */
  errors: JoinRemediatorError[];
}

/** Without a deadline (the CLI), writes and waits stop after this long. */
export const DEFAULT_BUDGET_MS = 14 * 60 * 1000;

export function deadlineOf(request: CheckRequest, checkedAt: Date): Date {
  return request.deadline ?? new Date(checkedAt.getTime() + DEFAULT_BUDGET_MS);
}

/** What remediation needs beyond the inspection, read at most once per run. */
export interface RunHelpers {
  /**
   * Subnets of the cluster and of every nodegroup of it. The other nodegroups are read only when a
   * served subnet is neither the cluster's nor this nodegroup's.
   */
  clusterSubnetIds(nodegroup: Nodegroup, servedSubnetIds: string[]): Promise<string[]>;
}
