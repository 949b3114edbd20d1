import { allCustomMatcher, type BaseMatcher } from 'aws-sdk-client-mock-vitest';
import { expect } from 'vitest';

/** The aws-sdk-client-mock matchers (toHaveReceivedCommandWith, …), registered once for every test file. */
expect.extend(allCustomMatcher);

declare module 'vitest' {
  // biome-ignore lint/suspicious/noExplicitAny: mirrors vitest's own Matchers<T = any>
  interface Matchers<T = any> extends BaseMatcher<T> {}
}
