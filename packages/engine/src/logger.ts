/**
 * The engine's pino logger. Objects first, child loggers bound to runId/nodeId/taskId.
 * Secrets never reach a log line: the API key and webhook secret are not logged by any
 * code path, and these redaction paths catch them should a header or config object
 * be logged by mistake.
 */
import pino, { type Logger, type LoggerOptions } from 'pino';

export const REDACT_PATHS = [
  'apiKey',
  '*.apiKey',
  'freepik.apiKey',
  '*.freepik.apiKey',
  'webhookSecret',
  '*.webhookSecret',
  'headers["x-freepik-api-key"]',
  '*.headers["x-freepik-api-key"]',
  'headers.authorization',
  '*.headers.authorization',
];

export function createLogger(options: LoggerOptions = {}, destination?: pino.DestinationStream): Logger {
  const base: LoggerOptions = { level: process.env.LOG_LEVEL ?? 'info', redact: { paths: REDACT_PATHS, censor: '[redacted]' }, ...options };
  return destination ? pino(base, destination) : pino(base);
}
