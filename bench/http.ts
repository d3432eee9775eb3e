// HTTP for the load generator: one keep-alive connection pool per server, and
// a cookie jar per virtual user that follows redirects inside the server's
// public origin, as a browser would.
import { Pool } from 'undici';

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface RequestInit {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** Sent as application/x-www-form-urlencoded. */
  form?: Record<string, string>;
}

const REQUEST_TIMEOUT_MS = 30_000;

/**
 * A server reached over loopback. `publicOrigin` is the issuer's origin, which
 * may use https while the connection is plain http, as behind a load balancer
 * that terminates TLS.
 */
export class HttpTarget {
  readonly pool: Pool;

  constructor(
    readonly baseUrl: string,
    readonly publicOrigin: string,
    connections: number,
  ) {
    // pipelining 1: one request at a time per connection, like browsers and most HTTP client libraries.
    // A request that gets no response in REQUEST_TIMEOUT_MS fails and counts as an error, so a hung server cannot stall a pass.
    this.pool = new Pool(baseUrl, { connections, pipelining: 1, keepAliveTimeout: 60_000, headersTimeout: REQUEST_TIMEOUT_MS, bodyTimeout: REQUEST_TIMEOUT_MS });
  }

  async request(path: string, init: RequestInit = {}): Promise<HttpResponse> {
    const headers: Record<string, string> = { ...init.headers };
    let body: string | undefined;
    if (init.form !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const response = await this.pool.request({ path, method: init.method ?? (body === undefined ? 'GET' : 'POST'), headers, body });
    return { status: response.statusCode, headers: response.headers, body: await response.body.text() };
  }

  /** Return the path of a URL inside the public origin, or undefined for a URL elsewhere (a service's redirect URI). */
  internalPath(location: string, base: string): string | undefined {
    const url = new URL(location, new URL(base, this.publicOrigin));
    return url.origin === this.publicOrigin ? `${url.pathname}${url.search}` : undefined;
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}

export function headerValue(response: HttpResponse, name: string): string | undefined {
  const value = response.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

interface StoredCookie {
  name: string;
  value: string;
  path: string;
}

/**
 * The cookies of one virtual user. Only the name, value and Path matter here:
 * the jar sends Secure cookies over the plain loopback connection, because
 * the server's public origin is https.
 */
export class CookieJar {
  private cookies: StoredCookie[] = [];

  clear(): void {
    this.cookies = [];
  }

  get(name: string): string | undefined {
    return this.cookies.find((cookie) => cookie.name === name)?.value;
  }

  store(response: HttpResponse): void {
    const header = response.headers['set-cookie'];
    const lines = header === undefined ? [] : Array.isArray(header) ? header : [header];
    for (const line of lines) {
      const [pair = '', ...attributes] = line.split(';');
      const separator = pair.indexOf('=');
      const name = pair.slice(0, separator).trim();
      const value = pair.slice(separator + 1).trim();
      const pathAttribute = attributes.map((attribute) => attribute.trim()).find((attribute) => /^path=/i.test(attribute));
      const path = pathAttribute === undefined ? '/' : pathAttribute.slice(5);
      const expired = value === '' || attributes.some((attribute) => /^\s*(expires=Thu, 01 Jan 1970|max-age=0\b)/i.test(attribute));
      this.cookies = this.cookies.filter((cookie) => !(cookie.name === name && cookie.path === path));
      if (!expired) {
        this.cookies.push({ name, value, path });
      }
    }
  }

  header(path: string): string | undefined {
    const pathname = path.split('?')[0] ?? path;
    const matching = this.cookies.filter((cookie) => pathname.startsWith(cookie.path));
    return matching.length === 0 ? undefined : matching.map((cookie) => `${cookie.name}=${cookie.value}`).join('; ');
  }
}

/** A browser of one virtual user: its jar, and requests that send and store cookies. */
export class Browser {
  readonly jar = new CookieJar();

  constructor(readonly target: HttpTarget) {}

  async request(path: string, init: RequestInit = {}): Promise<HttpResponse> {
    const cookie = this.jar.header(path);
    const headers = { 'accept-language': 'ru', ...(cookie === undefined ? {} : { cookie }), ...init.headers };
    const response = await this.target.request(path, { ...init, headers });
    this.jar.store(response);
    return response;
  }
}
