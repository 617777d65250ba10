import { pino, type Logger as PinoLogger, type LoggerOptions } from 'pino';

export type Logger = PinoLogger;

/**
 * Paths pino replaces with "[redacted]" wherever they appear in a log object. Secrets never reach a
 * log line: BMC passwords, API tokens, PINs, one-time viewer keys, and the query string of URLs.
 */
export const REDACT_PATHS = [
  'password',
  '*.password',
  '*.*.password',
  'token',
  '*.token',
  'pin',
  '*.pin',
  'kg',
  '*.kg',
  'ticket',
  '*.ticket',
  'req.headers.authorization',
  'req.headers["x-pin"]',
  'req.headers.cookie',
  'headers.authorization',
];

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  const opts: LoggerOptions = {
    level,
    base: { service: 'bmc-gateway' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  };
  return destination ? pino(opts, destination as unknown as pino.DestinationStream) : pino(opts);
}
