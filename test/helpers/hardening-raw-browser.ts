// A cookie-jar browser on node:http instead of fetch, because fetch always
// sends its own Host header and the forged-origin tests need to send theirs.
import { request as httpRequest } from 'node:http';
import type { Hop } from './browser.js';

interface Cookie {
  name: string;
  value: string;
  path: string;
}

export interface RequestInit {
  method?: string;
  form?: Record<string, string>;
  headers?: Record<string, string>;
  /** Sent as is, with `contentType` (if any) as its Content-Type; replaces `form`. */
  rawBody?: string | Buffer;
  contentType?: string;
}

export class RawBrowser {
  private cookies: Cookie[] = [];

  constructor(
    private readonly origin: string,
    /** Sent with every request, over the defaults; Host included. */
    private readonly extraHeaders: Record<string, string> = {},
  ) {}

  private store(lines: string[]): void {
    for (const line of lines) {
      const [pair = '', ...attributes] = line.split(';');
      const name = pair.slice(0, pair.indexOf('=')).trim();
      const value = pair.slice(pair.indexOf('=') + 1).trim();
      const pathAttribute = attributes.map((a) => a.trim()).find((a) => a.toLowerCase().startsWith('path='));
      const path = pathAttribute === undefined ? '/' : pathAttribute.slice(5);
      const expired = value === '' || attributes.some((a) => /^expires=Thu, 01 Jan 1970/i.test(a.trim()));
      this.cookies = this.cookies.filter((cookie) => !(cookie.name === name && cookie.path === path));
      if (!expired) {
        this.cookies.push({ name, value, path });
      }
    }
  }

  async request(url: string, init: RequestInit = {}): Promise<Hop> {
    const target = new URL(url, this.origin);
    const headers: Record<string, string> = { 'accept-language': 'ru', ...this.extraHeaders, ...init.headers };
    const cookie = this.cookies
      .filter((entry) => target.pathname.startsWith(entry.path))
      .map((entry) => `${entry.name}=${entry.value}`)
      .join('; ');
    if (cookie !== '') headers.cookie = cookie;
    let body: string | Buffer | undefined;
    if (init.rawBody !== undefined) {
      body = init.rawBody;
      if (init.contentType !== undefined) headers['content-type'] = init.contentType;
    } else if (init.form !== undefined) {
      body = new URLSearchParams(init.form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    const method = init.method ?? (body === undefined ? 'GET' : 'POST');

    return new Promise<Hop>((resolve, reject) => {
      const req = httpRequest({ host: target.hostname, port: target.port, path: `${target.pathname}${target.search}`, method, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const responseHeaders = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            for (const item of Array.isArray(value) ? value : [value ?? '']) {
              responseHeaders.append(name, item);
            }
          }
          this.store(responseHeaders.getSetCookie());
          resolve({
            url: target.toString(),
            status: res.statusCode ?? 0,
            location: res.headers.location,
            body: Buffer.concat(chunks).toString('utf8'),
            headers: responseHeaders,
          });
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  }
}
