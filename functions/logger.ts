import { Console } from 'node:console';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Log } from './core/model/ports.js';

/** The one structured logger of the function: JSON lines with the cluster and nodegroup as keys. */
export const logger = new Logger({ serviceName: 'eks-join-remediator' });

/** The core's Log port, backed by Powertools. */
export const log: Log = {
  debug: (message, extra) => logger.debug(message, extra ?? {}),
  info: (message, extra) => logger.info(message, extra ?? {}),
  warn: (message, extra) => logger.warn(message, extra ?? {}),
  error: (message, extra) => logger.error(message, extra ?? {}),
};

/**
 * For `cli invoke`, whose stdout must hold only the handler's result: Powertools writes info logs to
 * stdout and offers no stream option, so its console is swapped for one on stderr.
 */
export function sendLogsToStderr(): void {
  (logger as unknown as { console: Console }).console = new Console({
    stdout: process.stderr,
    stderr: process.stderr,
  });
}
