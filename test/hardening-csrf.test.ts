import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { formAction, formField, type Hop } from './helpers/browser.js';
import {
  DEMO_PASSWORD,
  IssuerBrowser,
  localOrigin,
  loginPage,
  LOGINS,
  NEW_PASSWORD,
  passwordPage,
  roleChooser,
  signedInHome,
  unavailablePage,
} from './helpers/hardening-flows.js';
import { authState, readOnlyRoutes, registeredRoutes, stateChangingRoutes } from './helpers/hardening-state.js';
import { startPropusk, type RunningPropusk } from './helpers/propusk-server.js';

/** A form page, reached in its own browser, whose POST would change state given a valid token. */
interface FormSituation {
  b: IssuerBrowser;
  page: Hop;
  /** The fields that would succeed with the page's token. */
  fields: Record<string, string>;
  /** A token that is valid elsewhere: for another form, or for another browser's cookie. */
  otherPurposeToken: string;
  /** What the page shows again while the state is unchanged. */
  stillPending(): Promise<void>;
}

/** Returns a role the page offers that is not the active one (the home switcher), or the chooser's first role. */
function otherRoleId(page: Hop): string {
  const option = /<option value="([^"]+)">/.exec(page.body)?.[1];
  const button = /name="role" value="([^"]+)"/.exec(page.body)?.[1];
  const role = option ?? button;
  assert.ok(role !== undefined, 'the page offers a role');
  return role;
}

/**
 * One entry per state-changing route: how to reach its form. A route that the
 * app registers without an entry here fails the inventory test, so a new form
 * cannot skip this check.
 */
const SITUATIONS: Record<string, (origin: string, issuer: string) => Promise<FormSituation>> = {
  '/interaction/:uid/login': async (origin, issuer) => {
    const b = new IssuerBrowser(issuer, origin);
    const other = await signedInHome(new IssuerBrowser(issuer, origin), origin);
    const page = await loginPage(b, origin, 'dnevnik');
    const uidPath = new URL(formAction(page.body), origin).pathname.replace(/\/login$/, '');
    return {
      b,
      page,
      fields: { login: LOGINS.teacherParent, password: DEMO_PASSWORD },
      // Another browser's token, from its home page's role switch form.
      otherPurposeToken: formField(other.body, 'csrf'),
      async stillPending() {
        const again = await b.request(uidPath);
        assert.equal(again.status, 200);
        assert.match(again.body, /name="password"/, 'the login page is still shown');
      },
    };
  },
  '/interaction/:uid/role': async (origin, issuer) => {
    const b = new IssuerBrowser(issuer, origin);
    const login = await loginPage(b, origin, 'biblioteka');
    const page = await b.submit(login, { login: LOGINS.teacherParent, password: DEMO_PASSWORD });
    assert.match(page.body, /name="role"/);
    const uidPath = new URL(formAction(page.body), origin).pathname.replace(/\/role$/, '');
    return {
      b,
      page,
      fields: { role: otherRoleId(page) },
      otherPurposeToken: formField(login.body, 'csrf'),
      async stillPending() {
        const again = await b.request(uidPath);
        assert.equal(again.status, 200);
        assert.match(again.body, /name="role"/, 'the role chooser is still shown');
      },
    };
  },
  '/interaction/:uid/abort': async (origin, issuer) => {
    const b = new IssuerBrowser(issuer, origin);
    const login = await loginPage(b, origin, 'zhurnal');
    const page = await b.submit(login, { login: LOGINS.studentOnly, password: DEMO_PASSWORD });
    assert.equal(page.status, 403);
    const uidPath = new URL(formAction(page.body), origin).pathname.replace(/\/abort$/, '');
    return {
      b,
      page,
      fields: {},
      otherPurposeToken: formField(login.body, 'csrf'),
      async stillPending() {
        const again = await b.request(uidPath);
        assert.equal(again.status, 403, 'the unavailable page is still shown, nothing went back to the service');
      },
    };
  },
  '/role': async (origin, issuer) => {
    const b = new IssuerBrowser(issuer, origin);
    const page = await signedInHome(b, origin);
    const active = /<strong>([^<]+)<\/strong>/.exec(page.body)?.[1];
    assert.ok(active !== undefined, 'home shows the active role');
    const login = await loginPage(new IssuerBrowser(issuer, origin), origin, 'dnevnik');
    return {
      b,
      page,
      fields: { role: otherRoleId(page) },
      otherPurposeToken: formField(login.body, 'csrf'),
      async stillPending() {
        const again = await b.request('/');
        assert.ok(again.body.includes(`<strong>${active}</strong>`), 'the active role is unchanged');
      },
    };
  },
  '/password': async (origin, issuer) => {
    const b = new IssuerBrowser(issuer, origin);
    const page = await passwordPage(b, origin);
    const login = await loginPage(new IssuerBrowser(issuer, origin), origin, 'dnevnik');
    return {
      b,
      page,
      fields: { current_password: DEMO_PASSWORD, new_password: NEW_PASSWORD, new_password_repeat: NEW_PASSWORD },
      otherPurposeToken: formField(login.body, 'csrf'),
      async stillPending() {
        const again = await b.request('/password');
        assert.equal(again.status, 200, 'still signed in, the form is still shown');
        assert.match(again.body, /name="new_password"/);
      },
    };
  },
};

describe('CSRF on every state-changing route', () => {
  let propusk: RunningPropusk;
  let origin: string;

  before(async () => {
    propusk = await startPropusk();
    origin = localOrigin(propusk);
  });
  after(async () => propusk?.stop());

  test('route inventory reads the real app', () => {
    const routes = registeredRoutes(propusk.app);
    assert.ok(routes.some((route) => route.path === '/interaction/:uid' && route.methods.includes('GET')));
    assert.ok(routes.some((route) => route.path === '/interaction/:uid/login' && route.methods.includes('POST')));
  });

  test('every state-changing route has a CSRF check below', () => {
    assert.deepEqual(stateChangingRoutes(propusk.app), Object.keys(SITUATIONS).sort(), 'add the new form to SITUATIONS');
  });

  for (const [route, reach] of Object.entries(SITUATIONS)) {
    test(`${route} rejects a missing or foreign token`, async () => {
      const situation = await reach(origin, propusk.issuer);
      const action = formAction(situation.page.body);
      const attempts: Array<[string, Record<string, string>]> = [
        ['no token', { ...situation.fields }],
        ['empty token', { ...situation.fields, csrf: '' }],
        ['random token', { ...situation.fields, csrf: randomBytes(32).toString('base64url') }],
        ['token of another form or browser', { ...situation.fields, csrf: situation.otherPurposeToken }],
        ['short forged token', { ...situation.fields, csrf: 'forged' }],
      ];
      for (const [name, form] of attempts) {
        const before = await authState(propusk);
        const hop = await situation.b.request(action, { form });
        assert.equal(hop.status, 403, `${route}, ${name}: status ${hop.status}`);
        assert.equal(hop.location, undefined, `${route}, ${name}: redirected`);
        assert.equal(await authState(propusk), before, `${route}, ${name}: state changed`);
        await situation.stillPending();
      }

      // The same form with its own token goes through, so the rejections above came from the token alone.
      const before = await authState(propusk);
      const accepted = await situation.b.request(action, { form: { ...situation.fields, csrf: formField(situation.page.body, 'csrf') } });
      assert.equal(accepted.status, 303, `${route}: the valid form was not accepted`);
      assert.notEqual(await authState(propusk), before, `${route}: the valid form changed nothing`);
    });
  }
});

describe('no state change on GET', () => {
  let propusk: RunningPropusk;
  let origin: string;

  before(async () => {
    propusk = await startPropusk();
    origin = localOrigin(propusk);
  });
  after(async () => propusk?.stop());

  test('GET on a form action is not found and changes nothing', async () => {
    for (const [route, reach] of Object.entries(SITUATIONS)) {
      const situation = await reach(origin, propusk.issuer);
      const query = new URLSearchParams({ ...situation.fields, csrf: formField(situation.page.body, 'csrf') });
      const before = await authState(propusk);
      // A form posting to its own page's address (/password) gets that page; any other action has no GET.
      const isPage = readOnlyRoutes(propusk.app).includes(route);
      for (const method of ['GET', 'HEAD']) {
        const hop = await situation.b.request(`${formAction(situation.page.body)}?${query.toString()}`, { method });
        const expected = isPage ? hop.status === 200 : hop.status === 404 || hop.status === 405;
        assert.ok(expected, `${method} ${route}: status ${hop.status}`);
      }
      assert.equal(await authState(propusk), before, `GET ${route} changed state`);
      await situation.stillPending();
    }
  });

  test('every page route is read-only, even with form fields in the query', async () => {
    const home = new IssuerBrowser(propusk.issuer, origin);
    const homePage = await signedInHome(home, origin);
    const chooserBrowser = new IssuerBrowser(propusk.issuer, origin);
    const chooserPage = await roleChooser(chooserBrowser, origin);
    const loginBrowser = new IssuerBrowser(propusk.issuer, origin);
    const login = await loginPage(loginBrowser, origin, 'dnevnik');
    const unavailableBrowser = new IssuerBrowser(propusk.issuer, origin);
    const unavailable = await unavailablePage(unavailableBrowser, origin);
    const passwordBrowser = new IssuerBrowser(propusk.issuer, origin);
    const password = await passwordPage(passwordBrowser, origin);
    const passwordFields = { current_password: DEMO_PASSWORD, new_password: NEW_PASSWORD, new_password_repeat: NEW_PASSWORD };

    const hostile = (page: Hop, extra: Record<string, string>) =>
      `?${new URLSearchParams({ csrf: formField(page.body, 'csrf'), switched: '1', ...extra }).toString()}`;
    const interactionOf = (page: Hop) => new URL(formAction(page.body), origin).pathname.replace(/\/[a-z]+$/, '');

    const visits: Record<string, Array<[IssuerBrowser, string]>> = {
      '/': [[home, `/${hostile(homePage, { role: otherRoleId(homePage) })}`]],
      '/login': [[home, `/login${hostile(homePage, {})}`]],
      '/interaction/:uid': [
        [loginBrowser, `${interactionOf(login)}${hostile(login, { login: LOGINS.teacherParent, password: DEMO_PASSWORD })}`],
        [chooserBrowser, `${interactionOf(chooserPage)}${hostile(chooserPage, { role: otherRoleId(chooserPage) })}`],
        [unavailableBrowser, `${interactionOf(unavailable)}${hostile(unavailable, {})}`],
      ],
      '/password': [[passwordBrowser, `/password${hostile(password, passwordFields)}`]],
      '/password/changed': [[passwordBrowser, `/password/changed${hostile(password, passwordFields)}`]],
      '/healthz': [[home, '/healthz']],
      '/readyz': [[home, '/readyz']],
      '/assets/propusk.css': [[home, '/assets/propusk.css']],
      '/assets/propusk.js': [[home, '/assets/propusk.js']],
    };
    assert.deepEqual(readOnlyRoutes(propusk.app), Object.keys(visits).sort(), 'add the new page to the visits');

    for (const [route, list] of Object.entries(visits)) {
      for (const [b, url] of list) {
        const before = await authState(propusk);
        const hop = await b.request(url);
        assert.ok(hop.status < 500, `GET ${url}: ${hop.status}`);
        assert.equal(await authState(propusk), before, `GET ${route} (${url}) changed state`);
      }
    }
  });
});
