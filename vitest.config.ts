import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/support/sdkMatchers.ts'],
    // Integration files each start their own moto_server; two cores, so keep the pool small.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 90_000,
    // Quiet logs and metrics (the tests assert on behaviour; test/unit/metrics turns metrics back on),
    // and no SDK notice about Node 20 in the output.
    env: {
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'true',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
    reporters: ['default', './test/support/passFailLine.ts'],
  },
});
