// A stand-in for the services' back-channel logout endpoints: one loopback
// HTTP server that records every POST and responds with a status the test
// chooses, plus verification of the logout tokens against Propusk's JWKS.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JWTPayload, type ProtectedHeaderParameters } from 'jose';
import type { AddressInfo } from 'node:net';

export interface ReceivedLogout {
  /** Service path segment of the request, e.g. `dnevnik` for /dnevnik/backchannel-logout. */
  service: string;
  path: string;
  contentType: string | undefined;
  logoutToken: string | undefined;
  /** Epoch ms of arrival. */
  at: number;
  /** Status answered. */
  status: number;
}

export class LogoutReceiver {
  readonly received: ReceivedLogout[] = [];
  /** Chooses the status of each request; the default accepts everything. */
  respond: (request: { service: string; index: number }) => number = () => 200;

  constructor(
    private readonly server: Server,
    readonly base: string,
  ) {}

  forService(service: string): ReceivedLogout[] {
    return this.received.filter((entry) => entry.service === service);
  }

  /** Wait until `count` requests have arrived for `service` (or for all services when omitted). */
  async waitFor(count: number, options: { service?: string; timeoutMs?: number } = {}): Promise<ReceivedLogout[]> {
    const deadline = Date.now() + (options.timeoutMs ?? 15_000);
    const matching = () => (options.service === undefined ? this.received : this.forService(options.service));
    while (matching().length < count) {
      assert.ok(Date.now() < deadline, `expected ${count} logout requests, got ${JSON.stringify(matching().map((r) => r.path))}`);
      await sleep(50);
    }
    return matching();
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

export async function startLogoutReceiver(): Promise<LogoutReceiver> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const receiver = new LogoutReceiver(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  server.on('request', (req, res) => {
    void readBody(req).then((body) => {
      const path = req.url ?? '';
      const service = path.split('/')[1] ?? '';
      const index = receiver.forService(service).length;
      const status = receiver.respond({ service, index });
      receiver.received.push({
        service,
        path,
        contentType: req.headers['content-type'],
        logoutToken: new URLSearchParams(body).get('logout_token') ?? undefined,
        at: Date.now(),
        status,
      });
      res.writeHead(status).end();
    });
  });
  return receiver;
}

export interface VerifiedLogoutToken {
  header: ProtectedHeaderParameters;
  payload: JWTPayload;
}

/** Verify a logout token with jose against the issuer's published JWKS, for `clientId` as audience. */
export async function verifyLogoutToken(issuer: string, token: string, clientId: string): Promise<VerifiedLogoutToken> {
  const discovery = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as { jwks_uri: string };
  const keys = createRemoteJWKSet(new URL(discovery.jwks_uri));
  const { payload } = await jwtVerify(token, keys, { issuer, audience: clientId, typ: 'logout+jwt' });
  return { header: decodeProtectedHeader(token), payload };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
