import { Transform, type Writable } from 'node:stream';
import pino, { type Logger } from 'pino';

/**
 * Paths pino blanks in every line. Fastify's default request serializer logs no headers,
 * but anything that logs a request or an upstream call (engine, simulator) might.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-freepik-api-key"]',
  'req.headers["webhook-signature"]',
  'headers.authorization',
  'headers["x-freepik-api-key"]',
  'headers["webhook-signature"]',
  '*.headers.authorization',
  '*.headers["x-freepik-api-key"]',
  'apiKey',
  '*.apiKey',
  'freepik.apiKey',
  '*.freepik.apiKey',
  'webhookSecret',
  '*.webhookSecret',
  'apiToken',
  '*.apiToken',
  'token',
];

/**
 * A second, value-based guard: whatever path a secret takes into a log object (an error
 * message quoting a header, a config dump), its exact text is replaced before the line
 * is written. Values shorter than 8 characters are not scrubbed (they would mangle
 * ordinary words); PIKFLOW_API_TOKEN must be at least 16 characters (checked at start-up).
 */
export function secretScrubber(secrets: readonly (string | undefined)[], destination: Writable): Writable {
  const values = [...new Set(secrets.filter((s): s is string => typeof s === 'string' && s.length >= 8))];
  if (values.length === 0) return destination;
  const patterns = values.flatMap((v) => [v, JSON.stringify(v).slice(1, -1)]);
  const scrub = (line: string) => patterns.reduce((acc, p) => acc.split(p).join('[redacted]'), line);
  const t = new Transform({
    transform(chunk, _enc, done) {
      done(null, scrub(chunk.toString('utf8')));
    },
  });
  t.pipe(destination);
  return t;
}

export interface LoggerOptions {
  level: string;
  /** Where lines go (tests capture them); stdout by default. */
  destination?: Writable;
  /** Secret values to scrub from every line. */
  secrets?: readonly (string | undefined)[];
}

export function createLogger(options: LoggerOptions): Logger {
  const destination = secretScrubber(options.secrets ?? [], options.destination ?? process.stdout);
  return pinoLogger(options.level, destination);
}

/** A pino logger writing to an already-scrubbed destination. */
export function pinoLogger(level: string, destination: Writable): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: { service: 'pikflow' },
    },
    destination,
  );
}
