/**
 * The defaults of the settings the Lambda and the deployment share, written out as docs/configuration.md states them:
 * what the config tests expect, stated apart from SETTINGS, the table they test.
 */
export const DOCUMENTED_DEFAULTS = {
  policy: 'notify',
  joinWindowSeconds: 300,
  recycleStrategy: 'replace-unjoined',
  allowMainRouteTable: false,
  allowSharedRouteTable: false,
  preflightPolicy: 'notify',
} as const;
