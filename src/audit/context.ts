import type { FastifyRequest } from 'fastify';
import type { AuditContext } from './events.js';

/**
 * The request's part of an audit event: the client address (the same one
 * the provider uses, so X-Forwarded-For counts only from a trusted proxy),
 * the user agent and the request id that the response and the logs carry.
 */
export function auditContext(request: FastifyRequest): AuditContext {
  return {
    ip: request.clientIp,
    userAgent: request.headers['user-agent'] ?? null,
    requestId: request.id,
  };
}
