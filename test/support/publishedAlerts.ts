/**
 * What the alert tests of every kind check the same way: the story's alert published once per
 * describe block, what a person sees of it first (title, subject, severity, event type), and how the
 * email lists the seed's route action.
 */
import { beforeAll, expect } from 'vitest';
import type { AlertKind, RouteAction, Severity } from '../../functions/core/model/types.js';
import { expectWellFormed } from './alertChecks.js';
import type { Published } from './alertScenarios.js';
import { NAT } from './factories.js';
import { SEED_TABLE } from './seedCheck.js';

/**
 * The alert a story publishes, made once before the tests of the describe block that calls this:
 * the returned object's fields are filled in by its beforeAll.
 */
export function usePublished(story: () => Promise<Published>): Published {
  const published = {} as Published;
  beforeAll(async () => {
    Object.assign(published, await story());
  });
  return published;
}

export interface Headline {
  /** The nodegroup's alertKind. */
  alertKind: AlertKind;
  title: string;
  /** The SNS subject, whole, or a pattern where it is cut. */
  subject: string | RegExp;
  severity: Severity;
  /** The chat notification's metadata.eventType. */
  eventType: string;
}

/** A well-formed alert that opens with this headline. */
export function expectHeadline(p: Published, expected: Headline): void {
  expectWellFormed(p.alert);
  expect(p.nodegroup.alertKind).toBe(expected.alertKind);
  expect(p.chat.content.title).toBe(expected.title);
  if (typeof expected.subject === 'string') expect(p.alert.subject).toBe(expected.subject);
  else expect(p.alert.subject).toMatch(expected.subject);
  expect(p.alert.attributes.severity).toBe(expected.severity);
  expect(p.chat.metadata.eventType).toBe(expected.eventType);
}

/** The email's entry for a route action on the seed's table to its NAT gateway: before, after, reason. */
export function seedRouteInEmail(route: RouteAction): string {
  return [
    `  - create-route on ${SEED_TABLE} → ${NAT}`,
    `    Before: ${route.before}`,
    `    After:  ${route.after}`,
    `    Reason: ${route.reason}`,
  ].join('\n');
}
