/**
 * A minimal browser for HTTP tests: a cookie jar with path matching and
 * manual redirect following, so each hop of an OpenID flow can be inspected.
 */
interface StoredCookie {
  name: string;
  value: string;
  path: string;
}

export interface Hop {
  url: string;
  status: number;
  location: string | undefined;
  body: string;
  headers: Headers;
}

export class TestBrowser {
  private cookies: StoredCookie[] = [];

  constructor(private readonly origin: string) {}

  cookieNames(): string[] {
    return this.cookies.map((cookie) => cookie.name);
  }

  clearCookies(): void {
    this.cookies = [];
  }

  /** The value of a cookie with this name, whatever its path. */
  cookie(name: string): string | undefined {
    return this.cookies.find((cookie) => cookie.name === name)?.value;
  }

  /** Store a cookie as if the server had set it, for replaying an old value. */
  setCookie(name: string, value: string, path = '/'): void {
    this.store([`${name}=${value}; path=${path}`]);
  }

  private store(setCookies: string[]): void {
    for (const line of setCookies) {
      const [pair = '', ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const pathAttribute = attributes.map((a) => a.trim()).find((a) => a.toLowerCase().startsWith('path='));
      const cookiePath = pathAttribute === undefined ? '/' : pathAttribute.slice(5);
      const expired = attributes.some((a) => /^expires=Thu, 01 Jan 1970/i.test(a.trim())) || value === '';
      this.cookies = this.cookies.filter((c) => !(c.name === name && c.path === cookiePath));
      if (!expired) {
        this.cookies.push({ name, value, path: cookiePath });
      }
    }
  }

  private cookieHeader(url: URL): string {
    return this.cookies
      .filter((cookie) => url.pathname.startsWith(cookie.path))
      .map((cookie) => `${cookie.name}=${cookie.value}`)
      .join('; ');
  }

  async request(url: string, init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {}): Promise<Hop> {
    const target = new URL(url, this.origin);
    const headers: Record<string, string> = { 'accept-language': 'ru', ...init.headers };
    const cookie = this.cookieHeader(target);
    if (cookie !== '') headers.cookie = cookie;
    let body: string | undefined;
    if (init.form !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const response = await fetch(target, { method: init.method ?? (body === undefined ? 'GET' : 'POST'), headers, body, redirect: 'manual' });
    this.store(response.headers.getSetCookie());
    return {
      url: target.toString(),
      status: response.status,
      location: response.headers.get('location') ?? undefined,
      body: await response.text(),
      headers: response.headers,
    };
  }

  /**
   * Follow redirects within the issuer's origin; stop at a page (2xx/4xx/5xx)
   * or at a redirect to another origin (a service's redirect_uri).
   */
  async follow(url: string, init: { method?: string; form?: Record<string, string> } = {}): Promise<Hop> {
    let hop = await this.request(url, init);
    for (let i = 0; i < 20 && hop.location !== undefined && hop.status >= 300 && hop.status < 400; i += 1) {
      const next = new URL(hop.location, hop.url);
      if (next.origin !== this.origin) {
        return hop;
      }
      hop = await this.request(next.toString());
    }
    return hop;
  }
}

/** The value of a named hidden input in a page. */
export function formField(page: string, name: string): string {
  const match = new RegExp(`name="${name}" value="([^"]*)"`).exec(page);
  if (match?.[1] === undefined) {
    throw new Error(`No field ${name} in page:\n${page.slice(0, 2000)}`);
  }
  return match[1];
}

export function formAction(page: string): string {
  const match = /<form method="post" action="([^"]+)"/.exec(page);
  if (match?.[1] === undefined) {
    throw new Error(`No form in page:\n${page.slice(0, 2000)}`);
  }
  return match[1].replace(/&amp;/g, '&');
}

/** Role buttons of the chooser: value and label. */
export function roleOptions(page: string): Array<{ id: string; label: string }> {
  return [...page.matchAll(/<button type="submit" name="role" value="([^"]+)"[^>]*>([^<]+)(?:<span[^>]*>[^<]*<\/span>)?<\/button>/g)].map((m) => ({
    id: m[1] as string,
    label: (m[2] as string).replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&amp;/g, '&'),
  }));
}
