import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

const NONCE_BYTES = 18;
const nonces = new WeakMap<IncomingMessage, string>();

/**
 * Returns the CSP nonce of this request (144 random bits), making it on first
 * use. Every script and stylesheet tag of a page carries it, and the page's
 * Content-Security-Policy header names it.
 */
export function cspNonceOf(req: IncomingMessage): string {
  let nonce = nonces.get(req);
  if (nonce === undefined) {
    nonce = randomBytes(NONCE_BYTES).toString('base64');
    nonces.set(req, nonce);
  }
  return nonce;
}

/**
 * Builds a strict policy. A script runs only with this response's nonce, or
 * when such a script loads it ('strict-dynamic'). oidc-provider's form_post
 * page adds the sha256 of its one inline script to script-src itself
 * (lib/helpers/script_src_sha.js in oidc-provider 9). No plugins, no <base>,
 * no framing.
 *
 * There is no form-action directive. Chromium applies form-action to every
 * redirect that follows a form submission, and the login and role forms end in
 * 303 redirects to each service's registered redirect URI on its own origin, so
 * `form-action 'self'` blocks the login itself.
 */
export function contentSecurityPolicy(nonce: string): string {
  return [
    "default-src 'self'",
    `script-src 'nonce-${nonce}' 'strict-dynamic'`,
    `style-src 'self' 'nonce-${nonce}'`,
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * Returns a function that puts the security headers on a response, straight on
 * the Node response so that they reach oidc-provider's responses (which bypass
 * Fastify's reply) as well as Propusk's pages. Calling it twice for one
 * request sets the same values again. HSTS is sent only for an https issuer.
 */
export function securityHeaders(issuer: string): (req: IncomingMessage, res: ServerResponse) => void {
  const https = issuer.startsWith('https://');
  const fixed: Record<string, string> = {
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
  };
  if (https) {
    fixed['strict-transport-security'] = 'max-age=31536000; includeSubDomains';
  }
  return (req, res) => {
    if (res.headersSent) {
      return;
    }
    for (const [name, value] of Object.entries(fixed)) {
      res.setHeader(name, value);
    }
    res.setHeader('content-security-policy', contentSecurityPolicy(cspNonceOf(req)));
  };
}
