/**
 * Errors that say what to do. Each kind maps to one CLI exit code; messages name the resource and
 * the fix and are shown to people without a stack trace.
 */
export class JoinRemediatorError extends Error {
  readonly exitCode: number = 1;
  override name = 'JoinRemediatorError';
}

/** Exit 2: the input is wrong (usage, configuration, an event, a name), not the tool or AWS. */
abstract class InputError extends JoinRemediatorError {
  override readonly exitCode = 2;
}

/** Bad command line, bad input file or bad event. */
export class UsageError extends InputError {
  override name = 'UsageError';
}

/** Invalid configuration (environment variable or option value). */
export class ConfigError extends InputError {
  override name = 'ConfigError';
}

/** A cluster or nodegroup that does not exist. */
export class NotFoundError extends InputError {
  override name = 'NotFoundError';
}

/** Exit 3: a call to AWS or Kubernetes failed. */
abstract class CallError extends JoinRemediatorError {
  override readonly exitCode = 3;
}

/** An AWS API call failed (throttled beyond retries, access denied, network). */
export class AwsCallError extends CallError {
  override name = 'AwsCallError';
  readonly operation: string;
  readonly errorName: string;
  constructor(operation: string, cause: unknown) {
    const name = errorName(cause) || 'Error';
    const detail = (cause as { message?: string } | undefined)?.message ?? String(cause);
    super(`${operation} failed: ${name}: ${detail}${hintFor(name, operation)}`, { cause });
    this.operation = operation;
    this.errorName = name;
  }
}

/** A Kubernetes API call failed in a way that is not a membership verdict. */
export class KubernetesCallError extends CallError {
  override name = 'KubernetesCallError';
}

const ACCESS_DENIED = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'UnauthorizedOperation',
  'AuthorizationErrorException',
  'KMSAccessDeniedException',
]);
const THROTTLED = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'KMSThrottlingException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
]);

function hintFor(errorName: string, operation: string): string {
  const action = operation.replace(/^(\w+):/, (_m, svc: string) => `${svc.toLowerCase()}:`);
  if (ACCESS_DENIED.has(errorName)) return ` (grant ${action} to the caller's IAM role)`;
  if (THROTTLED.has(errorName))
    return ' (throttled after retries: try again later or raise the API rate limit)';
  return '';
}

export function isAccessDenied(error: unknown): boolean {
  return ACCESS_DENIED.has(errorName(error));
}

export function isThrottled(error: unknown): boolean {
  return THROTTLED.has(errorName(error));
}

/** The name of an SDK error ('' for anything without one). */
export function errorName(error: unknown): string {
  return (error as { name?: string } | undefined)?.name ?? '';
}
