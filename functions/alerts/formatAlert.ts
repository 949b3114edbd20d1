/**
 * Turns one nodegroup's verdict into an SNS message with one variant per protocol (MessageStructure
 * 'json'): a chat notification for Amazon Q Developer in chat applications (formerly AWS Chatbot), a
 * plain-text report for email, and the JSON report for SQS and Lambda subscribers. Pure: no SDK, no
 * clock; everything it says comes from the report.
 *
 * `alertKind` picks the framing: a problem (as found, with the plan of a dry run), what a remediation
 * did (before and after, undo commands), and the follow-ups in the same chat thread: resolved when the
 * replacements joined, escalation when a person is needed.
 *
 * This file composes the variants; each lives in a file of its own (alertFacts, chatNotification,
 * emailText, fitReportJson), with the caps in limits.
 */
import type { NodegroupReport, Report, Severity } from '../core/model/types.js';
import { type AlertFacts, alertFacts } from './alertFacts.js';
import { chatNotification } from './chatNotification.js';
import { emailText } from './emailText.js';
import { fitReportJson } from './fitReportJson.js';
import { SNS_MAX_MESSAGE_BYTES, SNS_MAX_SUBJECT_CHARS } from './limits.js';

export { threadIdFor } from './alertFacts.js';
export type { ChatNotification } from './chatNotification.js';
export { CHAT_LIMITS, SNS_MAX_MESSAGE_BYTES } from './limits.js';

/** One message per SNS protocol; `default` also serves HTTPS subscribers, which is how Chatbot subscribes. */
export interface AlertStructure {
  default: string;
  email: string;
  sqs: string;
  lambda: string;
}

export interface AlertMessage {
  subject: string;
  /** The SNS Message for MessageStructure 'json': `structure` serialized. */
  message: string;
  attributes: { cluster: string; nodegroup: string; severity: Severity };
  structure: AlertStructure;
}

/** The `alertId` attribute the publisher adds: its name, type and a 32-character id. */
const ALERT_ID_ATTRIBUTE_BYTES = 'alertIdString'.length + 32;

export function formatAlert(report: Report, nodegroup: NodegroupReport): AlertMessage {
  const facts = alertFacts(report, nodegroup);
  const attributes = { cluster: report.cluster, nodegroup: nodegroup.name, severity: facts.severity };
  const subject = snsSubject(facts);
  const chat = JSON.stringify(chatNotification(report, nodegroup, facts));
  const email = emailText(report, nodegroup, facts);

  // The JSON report appears twice (sqs and lambda), escaped inside the outer JSON; the rest is fixed.
  // Subject and attributes are counted too, so the estimate errs on the safe side.
  const fixedBytes =
    utf8Bytes(JSON.stringify({ default: chat, email, sqs: '', lambda: '' })) +
    utf8Bytes(subject) +
    Object.entries(attributes).reduce((sum, [name, value]) => sum + utf8Bytes(`${name}String${value}`), 0) +
    ALERT_ID_ATTRIBUTE_BYTES;
  const fits = (json: string) =>
    fixedBytes + 2 * (utf8Bytes(JSON.stringify(json)) - 2) < SNS_MAX_MESSAGE_BYTES;
  const body = fitReportJson(report, nodegroup, fits);

  const structure: AlertStructure = { default: chat, email, sqs: body, lambda: body };
  return { subject, message: JSON.stringify(structure), attributes, structure };
}

/** ASCII, one line, short enough for SNS: the tag and the headline. */
function snsSubject(facts: AlertFacts): string {
  const ascii = `[${facts.tag}] ${facts.headline}`
    .replaceAll('—', '-')
    .replaceAll('→', '->')
    .replaceAll('…', '...')
    .replace(/[^\x20-\x7e]/g, '?');
  return ascii.length <= SNS_MAX_SUBJECT_CHARS ? ascii : `${ascii.slice(0, SNS_MAX_SUBJECT_CHARS - 3)}...`;
}

function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}
