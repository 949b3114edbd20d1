/**
 * What remediation may do and how often: the settings the Lambda's configuration and the CLI give
 * the check, with their defaults.
 */

export type RecycleStrategy = 'replace-unjoined' | 'scale-cycle';

export interface LoopGuardSettings {
  /** Remediations allowed per nodegroup within the window (default 2). */
  maxRemediations: number;
  /** The window, in seconds (default 6 hours). */
  windowSeconds: number;
}

export interface RemediationSettings {
  allowMainRouteTable: boolean;
  /** Patch route tables that also serve subnets outside the cluster (else only when tagged managed). */
  allowSharedRouteTable: boolean;
  recycleStrategy: RecycleStrategy;
  loopGuard: LoopGuardSettings;
  /** The same alert for the same nodegroup is sent at most once per cooldown. */
  alertCooldownSeconds: number;
  /** How often scale-cycle polls the nodegroup while it waits for ACTIVE (and waits between scale-back tries). */
  scaleCyclePollSeconds?: number;
}

export const DEFAULT_REMEDIATION: RemediationSettings = {
  allowMainRouteTable: false,
  allowSharedRouteTable: false,
  recycleStrategy: 'replace-unjoined',
  loopGuard: { maxRemediations: 2, windowSeconds: 6 * 3600 },
  alertCooldownSeconds: 3600,
};
