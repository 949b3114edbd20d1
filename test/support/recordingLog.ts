import type { Log } from '../../functions/core/model/ports.js';

export interface LogEntry {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  extra?: Record<string, unknown>;
}

/** A log that keeps every entry, for tests of what an operator is told. */
export function recordingLog(): Log & { entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const at =
    (level: LogEntry['level']) =>
    (message: string, extra?: Record<string, unknown>): void => {
      entries.push({ level, message, ...(extra && { extra }) });
    };
  return { entries, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
