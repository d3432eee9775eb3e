import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * Give a request its id: a new UUID that replaces any X-Request-ID the client
 * sent, so logs, audit records and error pages can trust it.
 */
export function assignRequestId(req: IncomingMessage): string {
  const id = randomUUID();
  req.headers['x-request-id'] = id;
  return id;
}

/** The one log line of a request, written when its response has been sent. */
export interface RequestLine {
  method: string | undefined;
  url: string;
  ip: string;
  status: number;
  ms: number;
}

/** The log methods a request line needs: a pino logger or Fastify's request logger. */
type LineLogger = Record<'debug' | 'info' | 'warn' | 'error', (line: object, message: string) => void>;

export interface RequestLineLevel {
  /** Probes and scrapes log at debug; /readyz reports a failing dependency in its own line. */
  quiet: boolean;
  /** A 503 with Retry-After: overload or an unavailable store. */
  deferred: boolean;
}

/**
 * Write a request's line at the level its outcome calls for. A 503 with
 * Retry-After is logged at warn, so that a flood of them does not read as a
 * flood of faults. Other 5xx responses are logged at error.
 */
export function writeRequestLine(log: LineLogger, line: RequestLine & { reqId?: string }, level: RequestLineLevel): void {
  if (level.quiet) {
    log.debug(line, 'request');
  } else if (level.deferred) {
    log.warn(line, 'request deferred');
  } else if (line.status >= 500) {
    log.error(line, 'request failed');
  } else {
    log.info(line, 'request');
  }
}
