import { errorName, isAccessDenied } from '../core/model/errors.js';

/** APIs a partition, an endpoint or an emulator does not offer. */
const NOT_SUPPORTED = new Set([
  'UnsupportedOperation',
  'UnsupportedOperationException',
  'UnknownOperationException',
  'NotSupportedException',
  'InvalidAction',
]);

/** The HTTP status the SDK kept on an error, if any. */
export function httpStatusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

/**
 * Why a read is not allowed or not offered here (so the part it serves is left unknown, never
 * guessed), or undefined when the error is a real failure. The readers add their own cases.
 */
export function deniedOrUnsupported(error: unknown): string | undefined {
  const name = errorName(error);
  if (isAccessDenied(error)) return 'access denied';
  // Other 403s are access denied too, except bad credentials, which fail every other call as well.
  if (httpStatusOf(error) === 403 && !/token|signature|credential|unrecognizedclient/i.test(name))
    return 'access denied';
  if (NOT_SUPPORTED.has(name)) return 'not supported';
  return undefined;
}
