import { randomUUID } from 'node:crypto';
import { unjoinedOf } from '../diagnose/judgeInstances.js';
import {
  type CheckPorts,
  type CheckRequest,
  type CheckResult,
  deadlineOf,
  type RunHelpers,
} from '../model/check.js';
import { JoinRemediatorError } from '../model/errors.js';
import { DEFAULT_REMEDIATION, type RemediationSettings } from '../model/settings.js';
import type {
  Action,
  AlertKind,
  Cluster,
  Nodegroup,
  NodegroupReport,
  NotifyAction,
  Policy,
  Report,
} from '../model/types.js';
import { withReason } from '../remediate/reasons.js';
import { remediateNodegroup } from '../remediate/remediateNodegroup.js';
import { alertFingerprint, failureFingerprint } from './alertFingerprint.js';
import { emptyReport, type Inspection, inspectNodegroup, nodegroupPolicy } from './inspectNodegroup.js';
import { mapWithConcurrency } from './mapWithConcurrency.js';

/** Nodegroups checked at once: keeps a large cluster inside the EKS and EC2 API rate limits. */
const NODEGROUP_CONCURRENCY = 4;

/**
 * One check of a cluster: read each nodegroup, judge membership, explain the unjoined, plan and (by
 * policy) fix, follow up on earlier fixes, alert. Reads and writes go through the ports; every
 * decision is a pure function.
 */
export async function runCheck(request: CheckRequest, ports: CheckPorts): Promise<CheckResult> {
  const { account } = ports;
  const cluster = await account.describeCluster(request.clusterName);
  const names = request.nodegroupNames ?? (await account.listNodegroups(cluster.name));
  const checkedAt = ports.clock.now();
  const settings = request.remediation ?? DEFAULT_REMEDIATION;
  const errors: JoinRemediatorError[] = [];
  const report: Report = {
    cluster: cluster.name,
    region: cluster.region,
    policy: request.policyOverride ?? request.defaultPolicy,
    checkedAt: checkedAt.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    joinWindowSeconds: request.joinWindowSeconds,
    nodegroups: [],
  };
  const context: RunContext = {
    cluster,
    request,
    settings,
    ports,
    checkedAt,
    report,
    errors,
    helpers: runHelpers(cluster, ports),
  };
  report.nodegroups = await mapWithConcurrency(names, NODEGROUP_CONCURRENCY, async (name) => {
    const nodegroup = await account.describeNodegroup(cluster.name, name);
    const policy = nodegroupPolicy(cluster, nodegroup, request, ports.log);
    // Remediating runs of one nodegroup take turns, from the first read to the last write, so each
    // acts on what it read and one problem is never acted on (or alerted about) twice.
    return policy === 'remediate'
      ? withNodegroupLock(context, nodegroup, () => checkNodegroup(context, nodegroup, policy))
      : checkNodegroup(context, nodegroup, policy);
  });
  return { report, errors };
}

interface RunContext {
  cluster: Cluster;
  request: CheckRequest;
  settings: RemediationSettings;
  ports: CheckPorts;
  checkedAt: Date;
  report: Report;
  errors: JoinRemediatorError[];
  helpers: RunHelpers;
}

/** Reads shared by the nodegroups of one run, each made at most once. */
function runHelpers(cluster: Cluster, ports: CheckPorts): RunHelpers {
  let others: Promise<string[]> | undefined;
  return {
    async clusterSubnetIds(nodegroup, served) {
      const known = new Set([...(cluster.subnetIds ?? []), ...nodegroup.subnetIds]);
      if (served.every((s) => known.has(s))) return [...known];
      others ??= (async () => {
        const names = await ports.account.listNodegroups(cluster.name);
        const groups = await mapWithConcurrency(names, NODEGROUP_CONCURRENCY, (name) =>
          ports.account.describeNodegroup(cluster.name, name),
        );
        return groups.flatMap((g) => g.subnetIds);
      })();
      others.catch(() => {
        others = undefined;
      });
      return [...new Set([...known, ...(await others)])];
    },
  };
}

/** Inspect, plan and fix by policy, then alert: one nodegroup. */
async function checkNodegroup(
  context: RunContext,
  nodegroup: Nodegroup,
  policy: Policy,
): Promise<NodegroupReport> {
  const { cluster, request, settings, ports, checkedAt, report, errors, helpers } = context;
  const inspection = await inspectNodegroup(cluster, nodegroup, policy, request, ports, checkedAt);
  // A preflight finding with no unjoined instance is fixed only under PREFLIGHT_POLICY=remediate;
  // otherwise the alert shows the plan (dry-run) and the fix waits for an unjoined instance.
  const unjoined = unjoinedOf(inspection.verdicts).length > 0;
  if (request.preflight && request.preflightPolicy !== 'remediate' && policy === 'remediate' && !unjoined) {
    inspection.report.policy = 'dry-run';
  }
  const result = await remediateNodegroup(inspection, request, settings, ports, checkedAt, helpers);
  const kind = alertKindOf(result);
  if (kind && ports.alerts) {
    result.alertKind = kind;
    result.actions.push(await alertOnce(kind, report, result, inspection, settings, ports, errors));
  }
  return result;
}

/** Runs `work` holding the nodegroup's lock; when another run holds it, that run reports and this one is quiet. */
async function withNodegroupLock(
  { cluster, request, ports, checkedAt }: RunContext,
  nodegroup: Nodegroup,
  work: () => Promise<NodegroupReport>,
): Promise<NodegroupReport> {
  const owner = ports.runId ?? randomUUID();
  const deadline = deadlineOf(request, checkedAt);
  const lockSeconds = Math.max(60, Math.ceil((deadline.getTime() - checkedAt.getTime()) / 1000) + 60);
  if (!(await ports.state.acquireLock(cluster.name, nodegroup.name, owner, lockSeconds))) {
    ports.log.info('another run is checking this nodegroup: skipped', {
      cluster: cluster.name,
      nodegroup: nodegroup.name,
    });
    return {
      ...emptyReport(nodegroup, 'remediate'),
      actions: [notify('skipped', { reasonCode: 'LOCKED' })],
    };
  }
  try {
    return await work();
  } finally {
    await ports.state.releaseLock(cluster.name, nodegroup.name, owner);
  }
}

/**
 * What, if anything, this check has to tell people about the nodegroup. A remediation that wrote
 * (done or failed) and a follow-up set `alertKind` themselves; a nodegroup under policy off has no
 * findings.
 */
function alertKindOf(nodegroup: NodegroupReport): AlertKind | undefined {
  if (nodegroup.alertKind) return nodegroup.alertKind;
  if (nodegroup.actions.some((a) => a.reasonCode === 'LOOP_GUARD')) return 'escalation';
  return nodegroup.findings.length > 0 ? 'problem' : undefined;
}

/**
 * Publishes unless the same alert went out within the cooldown. Alerts about what was done are always
 * sent: each change happens once. A remediation whose writes all failed alerts once per cooldown, not
 * once per event. Follow-ups are sent once, when their record is closed. Once a remediation's alert
 * is out, its record says so, so a retry does not send it again.
 */
async function alertOnce(
  kind: AlertKind,
  report: Report,
  nodegroup: NodegroupReport,
  inspection: Inspection,
  settings: RemediationSettings,
  ports: CheckPorts,
  errors: JoinRemediatorError[],
): Promise<Action> {
  const { alerts, state, clock, log } = ports;
  const keys = { cluster: report.cluster, nodegroup: nodegroup.name, alertKind: kind };
  const fingerprint = cooldownFingerprint(kind, nodegroup);
  if (fingerprint) {
    const first = await state.claimAlert(
      report.cluster,
      nodegroup.name,
      fingerprint,
      clock.now(),
      settings.alertCooldownSeconds,
    );
    if (!first) {
      log.info('alert suppressed: already sent within the cooldown', keys);
      await markAlerted(nodegroup, ports);
      return notify('skipped', {
        reasonCode: 'ALERT_COOLDOWN',
        cooldownSeconds: settings.alertCooldownSeconds,
      });
    }
  }
  try {
    const messageId = await alerts?.publish(report, nodegroup);
    await markAlerted(nodegroup, ports);
    return notify('done', { alertKind: kind, ...(messageId && { messageId }) });
  } catch (error) {
    const wrapped = error instanceof JoinRemediatorError ? error : new JoinRemediatorError(String(error));
    errors.push(wrapped);
    log.error('alert could not be published', {
      ...keys,
      error: wrapped.message,
      instances: inspection.verdicts.length,
    });
    return notify('failed', { alertKind: kind, reasonCode: 'CALL_FAILED', error: wrapped.message });
  }
}

/** The alerts sent at most once per cooldown, by what they are about; undefined: always sent. */
function cooldownFingerprint(kind: AlertKind, nodegroup: NodegroupReport): string | undefined {
  if (kind === 'problem' || (kind === 'escalation' && !nodegroup.remediation)) {
    return alertFingerprint(kind, nodegroup.findings);
  }
  const writes = nodegroup.actions.filter((a) => a.type !== 'notify');
  if (kind === 'remediated' && !writes.some((a) => a.status === 'done')) return failureFingerprint(writes);
  return undefined;
}

/** The record of the remediation this alert is about: delivered. */
async function markAlerted(nodegroup: NodegroupReport, { state }: CheckPorts): Promise<void> {
  const record = nodegroup.remediation;
  if (nodegroup.alertKind !== 'remediated' || !record || record.alerted !== false) return;
  record.alerted = true;
  await state.putRemediation(record);
}

function notify(status: NotifyAction['status'], extra: Partial<NotifyAction> = {}): NotifyAction {
  return withReason({ type: 'notify', resourceId: 'sns', status, reason: '', ...extra });
}
