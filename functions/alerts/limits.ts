/** Sizes the alert must keep to: SNS's own, and the caps on each protocol's variant. */

/** SNS Publish accepts at most 256 KiB; the message holds every protocol's variant at once. */
export const SNS_MAX_MESSAGE_BYTES = 262_144;
/** SNS Subject: ASCII, no line breaks or control characters, fewer than 100 characters. */
export const SNS_MAX_SUBJECT_CHARS = 99;

/**
 * Caps on the chat notification. The custom notification guide documents the fields but no sizes, so
 * these follow Slack, where the notification renders: a section text holds at most 3,000 characters
 * and a header 150. Lists are capped so a nodegroup of thousands of instances stays one readable post.
 */
export const CHAT_LIMITS = {
  title: 150,
  summary: 150,
  description: 3000,
  instances: 10,
  findingMessage: 400,
  nextSteps: 10,
  nextStep: 1000,
  nextStepLines: 8,
  keywords: 10,
  relatedResources: 50,
  /** Items of a finding's evidence lists (not-ready nodes, status messages, subnets with room). */
  evidenceItems: 3,
  /** Boot logs shown, and their last lines, each cut to a readable width. */
  bootLogs: 3,
  bootLines: 8,
  bootLine: 200,
} as const;

/** Caps on the email: enough to act on, and small enough that the JSON report keeps most of the budget. */
export const EMAIL_LIMITS = {
  listItems: 50,
  message: 2000,
  commandChars: 3000,
  commandLines: 30,
  evidenceItems: 10,
  evidenceLine: 500,
  /** Boot logs are a few hundred bytes each as read; these bound a message built from many. */
  bootLogs: 10,
  bootLines: 20,
  bootLine: 300,
} as const;

/** Caps on free text in the JSON report once it has to be cut to fit. */
export const JSON_TEXT_LIMITS = { message: 4000, commandChars: 4000, commandLines: 40, line: 500 } as const;

/** Items of actions shown per status in the chat description; the rest are counted. */
export const CHAT_ACTION_ITEMS = 10;
