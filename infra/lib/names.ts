import { createHash } from 'node:crypto';

/** IAM role names are at most 64 characters. */
const ROLE_NAME_MAX = 64;

/**
 * The function role's name where something outside its stack must name it: the other regions' access
 * entries, and a central topic's policy (docs/organization.md matches `*-JoinCheck-*`). Role names are
 * global in an account, so the home region is part of it; a long stack name is shortened with a hash
 * of the whole, to stay unique.
 */
export function functionRoleName(stackName: string, homeRegion: string): string {
  const suffix = `-JoinCheck-${homeRegion}`;
  const name = `${stackName}${suffix}`;
  if (name.length <= ROLE_NAME_MAX) return name;
  const hash = createHash('sha256').update(stackName).digest('hex').slice(0, 8);
  return `${stackName.slice(0, ROLE_NAME_MAX - suffix.length - hash.length - 1)}-${hash}${suffix}`;
}

/** The stack of another region, which forwards its events to the home region. */
export function forwardingStackName(stackName: string, region: string): string {
  return `${stackName}-${region}`;
}

/** What the home stack knows of the forwarding stacks: their regions and the one name of their dead-letter queues. */
export interface ForwardingRegions {
  readonly regions: readonly string[];
  readonly deadLetterQueueName: string;
}

/**
 * The dead-letter queue of a forwarding stack's rules, named so that the home region's dashboard can
 * show every region's (a queue name is unique per account and region).
 */
export function forwardingDeadLetterQueueName(stackName: string): string {
  return `${stackName.slice(0, 60)}-forwarding-dlq`;
}
