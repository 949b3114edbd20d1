import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

/**
 * The unit tests Stryker runs against each mutant of the decision core (`npm run mutation`): those of
 * the core, the events, the alerts and processEvents. Not the integration tests (they need moto), nor
 * the handler's and the CLI's (SDK mocks and child processes: seconds per mutant, and a child process
 * cannot see the mutant), nor the property tests (a minute per run), nor remediation.mutants.test.ts
 * (it replaces the very modules under mutation with vi.mock).
 */
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    // One module graph for all files of a run: a mutant is switched on at run time, not by reloading.
    isolate: false,
    include: [
      'test/unit/core/**/*.test.ts',
      'test/unit/events/**/*.test.ts',
      'test/unit/join-check/processEvents.test.ts',
      'test/unit/join-check/deduplicate.test.ts',
      'test/unit/alerts/**/*.test.ts',
    ],
    exclude: [
      'test/unit/core/remediation.properties.test.ts',
      'test/unit/core/remediation.mutants.test.ts',
      // Alert sizes with 5,000 instances: seconds per run, and about rendering, not decisions.
      'test/unit/alerts/formatAlert.limits.test.ts',
    ],
  },
});
