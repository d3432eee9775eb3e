import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

const NONCE_BYTES = 18;
const nonces = new WeakMap<IncomingMessage, string>();

/** Number of nonces drawn from one call to randomBytes. Every request gets a nonce, and one call per request cost about 4% of a JWKS request's CPU in a perf profile. */
const NONCES_PER_DRAW = 256;
let randomPool = Buffer.alloc(0);
let poolOffset = 0;

/** Return the next unused NONCE_BYTES of CSPRNG output as base64. No byte is handed out twice. */
function freshNonce(): string {
  if (poolOffset + NONCE_BYTES > randomPool.length) {
    randomPool = randomBytes(NONCE_BYTES * NONCES_PER_DRAW);
    poolOffset = 0;
  }
  const nonce = randomPool.toString('base64', poolOffset, poolOffset + NONCE_BYTES);
  poolOffset += NONCE_BYTES;
  return nonce;
}

/**
 * Returns the CSP nonce of this request (144 random bits), making it on first
 * use. Every script and stylesheet tag of a page carries it, and the page's
 * Content-Security-Policy header names it.
 */
export function cspNonceOf(req: IncomingMessage): string {
  let nonce = nonces.get(req);
  if (nonce === undefined) {
    nonce = freshNonce();
    nonces.set(req, nonce);
  }
  return nonce;
}

/**
 * Builds a strict policy. A script runs only with this response's nonce, or
 * when such a script loads it ('strict-dynamic'). oidc-provider's form_post
 * page adds the sha256 of its one inline script to script-src itself
 * (lib/helpers/script_src_sha.js in oidc-provider 9). No plugins, no <base>,
 * no framing. Forms submit only to Propusk itself (`form-action 'self'`)
 * unless allowFormRedirect adds a service's origin for this response.
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
    "form-action 'self'",
  ].join('; ');
}

/**
 * Add the origin of `target` to the form-action directive of the response's
 * policy. Chromium checks form-action on every redirect that follows a form
 * submission too, and the login, role and logout forms end in a 303 redirect
 * to the service's redirect URI. So a page whose form can end there must allow
 * that origin. Pass only a URI already checked against the service's
 * registered list. Only http and https targets are added, because
 * registration accepts no other scheme. Any other target, or a response whose
 * headers are already sent, leaves the policy unchanged.
 */
export function allowFormRedirect(res: ServerResponse, target: string | undefined): void {
  const url = target === undefined ? null : URL.parse(target);
  const policy = res.getHeader('content-security-policy');
  if (url === null || (url.protocol !== 'https:' && url.protocol !== 'http:') || typeof policy !== 'string' || res.headersSent) {
    return;
  }
  res.setHeader('content-security-policy', withFormActionSource(policy, url.origin));
}

/**
 * Return the policy with `source` added to its form-action directive. The
 * directives are split on `;` alone, because oidc-provider rewrites the
 * header with `;` between directives and no space when it hashes its
 * form_post script.
 */
function withFormActionSource(policy: string, source: string): string {
  const directives = policy
    .split(';')
    .map((directive) => directive.trim())
    .filter((directive) => directive !== '')
    .map((directive) => directive.split(/\s+/));
  const formAction = directives.find(([name]) => name === 'form-action');
  if (formAction === undefined) {
    directives.push(['form-action', "'self'", source]);
  } else if (!formAction.includes(source)) {
    formAction.push(source);
  }
  return directives.map((directive) => directive.join(' ')).join('; ');
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
