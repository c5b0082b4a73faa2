import { type Logger, pino } from 'pino';

/** pino JSON on stdout; `name` and `pid` on every line. */
export function createLogger(level: string): Logger {
  return pino({ name: 'corsgate', level, timestamp: pino.stdTimeFunctions.isoTime });
}
