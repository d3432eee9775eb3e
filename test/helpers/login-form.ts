// A login form opened through a real authorization request, and single
// POSTs to it, for tests that send many attempts to one interaction.
import { formAction, formField, TestBrowser, type Hop } from './browser.js';
import { authorizationRequest, relyingParty } from './oidc-flow.js';

export interface OpenLoginForm {
  browser: TestBrowser;
  action: string;
  csrf: string;
}

export async function openLoginForm(issuer: string, clientId = 'dnevnik'): Promise<OpenLoginForm> {
  const rp = await relyingParty(issuer, clientId);
  const browser = new TestBrowser(issuer);
  const page = await browser.follow((await authorizationRequest(rp)).url.toString());
  if (page.status !== 200) {
    throw new Error(`login page answered ${page.status}`);
  }
  return { browser, action: formAction(page.body), csrf: formField(page.body, 'csrf') };
}

/** Send one POST of the form. `ip` becomes X-Forwarded-For, which counts only behind a configured trusted proxy. */
export function postLogin(form: OpenLoginForm, login: string, password: string, ip?: string): Promise<Hop> {
  return form.browser.request(form.action, {
    form: { csrf: form.csrf, login, password },
    headers: ip === undefined ? {} : { 'x-forwarded-for': ip },
  });
}

/** Return the text of the error box of a login page, without tags. */
export function errorText(body: string): string {
  const box = /<div class="errors"[\s\S]*?<\/div>/.exec(body)?.[0] ?? '';
  return box.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim();
}
