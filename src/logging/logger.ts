import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { redactUrl } from './redact-url.js';

/**
 * Paths that never reach a log line, whatever a caller passes in. Secrets are
 * removed; personal identifiers are masked by the code that logs them.
 */
export const REDACTED_PATHS = [
  'password',
  '*.password',
  'secret',
  '*.secret',
  'clientSecret',
  '*.clientSecret',
  'client_secret',
  '*.client_secret',
  'token',
  '*.token',
  'code',
  '*.code',
  'snils',
  '*.snils',
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
];

export interface LoggerSettings {
  level: string;
  pretty: boolean;
}

/** Create the pino logger. A `destination` (used by tests) replaces stdout and turns pretty printing off. */
export function createLogger(settings: LoggerSettings, destination?: DestinationStream): Logger {
  const options: LoggerOptions = {
    level: settings.level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    serializers: {
      req(request: { id?: string; method?: string; url?: string }) {
        return { id: request.id, method: request.method, url: redactUrl(request.url ?? '') };
      },
    },
  };
  if (destination !== undefined) {
    return pino(options, destination);
  }
  if (settings.pretty) {
    options.transport = {
      target: 'pino-pretty',
      options: { colorize: process.stdout.isTTY, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' },
    };
  }
  return pino(options);
}
