/**
 * What every alert must be, whatever its kind: an Amazon Q Developer custom notification that follows
 * the schema, an ASCII subject SNS accepts, a plain-text email, a message under the SNS limit.
 */
import { expect } from 'vitest';
import {
  type AlertMessage,
  CHAT_LIMITS,
  type ChatNotification,
  SNS_MAX_MESSAGE_BYTES,
  threadIdFor,
} from '../../functions/alerts/formatAlert.js';
import type { NodegroupReport, Report } from '../../functions/core/model/types.js';

export const EMAIL_MARKUP = /[`*]|(^|\s):[a-z_]+:(\s|$)/m;

export function chatOf(alert: AlertMessage): ChatNotification {
  return JSON.parse(alert.structure.default) as ChatNotification;
}

export type NodegroupBody = NodegroupReport & { truncated?: boolean; omitted?: Record<string, number> };

/** The JSON report variant (sqs, lambda), parsed. */
export function bodyOf(alert: AlertMessage): Report & { nodegroups: NodegroupBody[] } {
  return JSON.parse(alert.structure.sqs) as Report & { nodegroups: NodegroupBody[] };
}

export function occurrences(text: string, part: string): number {
  return text.split(part).length - 1;
}

/**
 * The custom notification event schema of Amazon Q Developer in chat applications: required version
 * "1.0", source "custom"; content and metadata hold only the documented keys, with the documented types.
 */
export function expectValidCustomNotification(value: unknown): void {
  const n = value as Record<string, unknown>;
  expect(Object.keys(n).sort()).toEqual(['content', 'id', 'metadata', 'source', 'version']);
  expect(n.version).toBe('1.0');
  expect(n.source).toBe('custom');
  expect(typeof n.id).toBe('string');

  const content = n.content as Record<string, unknown>;
  for (const key of Object.keys(content)) {
    expect(['textType', 'title', 'description', 'nextSteps', 'keywords']).toContain(key);
  }
  expect(content.textType).toBe('client-markdown');
  expect(typeof content.title).toBe('string');
  expect(typeof content.description).toBe('string');
  expect((content.description as string).length).toBeGreaterThan(0);
  expect((content.title as string).length).toBeLessThanOrEqual(CHAT_LIMITS.title);
  expect((content.description as string).length).toBeLessThanOrEqual(CHAT_LIMITS.description);
  expectStrings(content.nextSteps, CHAT_LIMITS.nextSteps);
  for (const step of content.nextSteps as string[])
    expect(step.length).toBeLessThanOrEqual(CHAT_LIMITS.nextStep);
  expectStrings(content.keywords, CHAT_LIMITS.keywords);

  const metadata = n.metadata as Record<string, unknown>;
  for (const key of Object.keys(metadata)) {
    expect(['threadId', 'summary', 'eventType', 'relatedResources', 'additionalContext']).toContain(key);
  }
  expect(typeof metadata.threadId).toBe('string');
  expect(typeof metadata.summary).toBe('string');
  expect((metadata.summary as string).length).toBeLessThanOrEqual(CHAT_LIMITS.summary);
  expect(typeof metadata.eventType).toBe('string');
  expectStrings(metadata.relatedResources, CHAT_LIMITS.relatedResources);
  for (const v of Object.values(metadata.additionalContext as object)) expect(typeof v).toBe('string');
}

function expectStrings(value: unknown, maxItems: number): void {
  expect(Array.isArray(value)).toBe(true);
  const list = value as unknown[];
  expect(list.length).toBeLessThanOrEqual(maxItems);
  for (const item of list) expect(typeof item).toBe('string');
}

/** Every variant keeps its guarantees whatever the kind: schema, thread, ASCII subject, plain email, size. */
export function expectWellFormed(
  alert: AlertMessage,
  cluster = 'eks-workshop',
  nodegroup = 'new_nodegroup_2',
): void {
  expectValidCustomNotification(chatOf(alert));
  expect(chatOf(alert).metadata.threadId).toBe(threadIdFor(cluster, nodegroup));
  expect(alert.subject.length).toBeLessThan(100);
  expect(alert.subject).toMatch(/^[\x20-\x7e]+$/);
  expect(alert.structure.email).not.toMatch(EMAIL_MARKUP);
  expect(alert.message).not.toMatch(/undefined|\[object Object\]/);
  expect(Buffer.byteLength(alert.message)).toBeLessThan(SNS_MAX_MESSAGE_BYTES);
}
