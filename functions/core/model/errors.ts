/**
 * Errors that say what to do. Each kind maps to one CLI exit code; messages name the resource and
 * the fix and are shown to people without a stack trace.
 */
export class JoinRemediatorError extends Error {
  readonly exitCode: number = 1;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'JoinRemediatorError';
  }
}

/** Bad command line, bad input file or bad event: exit 2. */
export class UsageError extends JoinRemediatorError {
  override readonly exitCode = 2;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UsageError';
  }
}

/** Invalid configuration (environment variable or option value): exit 2. */
export class ConfigError extends JoinRemediatorError {
  override readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** A cluster or nodegroup that does not exist: exit 2. */
export class NotFoundError extends JoinRemediatorError {
  override readonly exitCode = 2;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NotFoundError';
  }
}

/** An AWS API call failed (throttled beyond retries, access denied, network): exit 3. */
export class AwsCallError extends JoinRemediatorError {
  override readonly exitCode = 3;
  readonly operation: string;
  readonly errorName: string;
  constructor(operation: string, cause: unknown) {
    const errorName = (cause as { name?: string } | undefined)?.name ?? 'Error';
    const detail = (cause as { message?: string } | undefined)?.message ?? String(cause);
    super(`${operation} failed: ${errorName}: ${detail}${hintFor(errorName, operation)}`, { cause });
    this.name = 'AwsCallError';
    this.operation = operation;
    this.errorName = errorName;
  }
}

/** A Kubernetes API call failed in a way that is not a membership verdict: exit 3. */
export class KubernetesCallError extends JoinRemediatorError {
  override readonly exitCode = 3;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KubernetesCallError';
  }
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
  return ACCESS_DENIED.has((error as { name?: string } | undefined)?.name ?? '');
}

export function isThrottled(error: unknown): boolean {
  return THROTTLED.has((error as { name?: string } | undefined)?.name ?? '');
}
