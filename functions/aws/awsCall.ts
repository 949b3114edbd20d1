import { AwsCallError } from '../core/model/errors.js';

/** An error a caller expects from an operation, and what it means instead of a failure. */
export interface Expected<A> {
  when: (error: unknown) => boolean;
  /** The operation's answer in that case; it may also throw an error of its own (e.g. NotFoundError). */
  answer: (error: unknown) => A;
}

/**
 * Runs one AWS operation (`service:Action`, as IAM names it). An error `expected` recognises is an
 * answer; any other becomes an AwsCallError naming the operation, so its message says which IAM action
 * to grant or that the call was throttled.
 */
export async function awsCall<T, A = never>(
  operation: string,
  fn: () => Promise<T>,
  expected?: Expected<A>,
): Promise<T | A> {
  try {
    return await fn();
  } catch (error) {
    if (expected?.when(error)) return expected.answer(error);
    throw new AwsCallError(operation, error);
  }
}
