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
  'secret',
  '*.secret',
  'req.headers.authorization',
  'req.headers["x-pin"]',
  'req.headers.cookie',
  'headers.authorization',
];

/** Replaces the secret parts of request URLs (viewer keys, the agents' skey, query strings). */
export function redactUrl(url: string): string {
  return url
    .replace(/\?.*$/, '?[redacted]')
    .replace(/^\/(console|ws|sol|sol-ws)\/[^/?]+/, '/$1/[redacted]')
    .replace(/^\/api\/v1\/(viewer|sol-viewer)\/[^/?]+/, '/api/v1/$1/[redacted]')
    .replace(/^(\/api\/v1\/server\/[^/]+\/skey\/)[^/]+/, '$1[redacted]');
}

interface LoggedRequest {
  method?: string;
  url?: string;
  ip?: string;
  id?: string;
}

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  const opts: LoggerOptions = {
    level,
    base: { service: 'bmc-gateway' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    // fastify logs `req`/`res` objects; only what is safe to keep goes out (no headers, no query).
    serializers: {
      req: (r: LoggedRequest) => ({ id: r.id, method: r.method, url: r.url === undefined ? undefined : redactUrl(r.url), ip: r.ip }),
      res: (r: { statusCode?: number }) => ({ statusCode: r.statusCode }),
      err: pino.stdSerializers.err,
    },
  };
  return destination ? pino(opts, destination as unknown as pino.DestinationStream) : pino(opts);
}
