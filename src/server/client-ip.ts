import { isIP } from 'node:net';
import type { IncomingMessage } from 'node:http';

/**
 * The client address. X-Forwarded-For counts only when the operator says a
 * trusted proxy is in front (its last entry is what that proxy saw); a
 * malformed value is ignored and the socket address is used.
 */
export function clientIpResolver(trustProxy: boolean): (req: IncomingMessage) => string {
  return (req) => {
    const socketAddress = req.socket.remoteAddress ?? 'unknown';
    if (!trustProxy) {
      return socketAddress;
    }
    const header = req.headers['x-forwarded-for'];
    const value = Array.isArray(header) ? header.join(',') : header;
    const last = value?.split(',').at(-1)?.trim();
    return last !== undefined && isIP(last) !== 0 ? last : socketAddress;
  };
}
