import pino, { type Logger } from 'pino';

export type { Logger };

/** JSON logs to stderr; `STRANGLER_LOG_LEVEL` overrides the level. Secrets are redacted by path. */
export function createLogger(name: string, level = process.env.STRANGLER_LOG_LEVEL ?? 'info'): Logger {
  return pino(
    {
      name,
      level,
      redact: { paths: ['token', '*.token', 'authorization', '*.authorization', 'headers.authorization'], censor: '***' },
    },
    pino.destination(2),
  );
}
