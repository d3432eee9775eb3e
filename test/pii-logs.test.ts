// What the logs hold while identifiers are used, migrated and re-encrypted:
// no phone, e-mail or СНИЛС in any form, whether the login succeeds, fails or
// names nobody, and whether the line comes from a request or a key rotation.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { rotateDataKeyCommand } from '../src/cli/data-key-commands.js';
import { createLogger } from '../src/logging/logger.js';
import { TestBrowser } from './helpers/browser.js';
import { authorizationRequest, DEMO_PASSWORD, passwordLogin, relyingParty, submitLogin } from './helpers/oidc-flow.js';
import { demoIdentifierNeedles, needlesIn, type Needle } from './helpers/pii-scan.js';
import { startPropusk, type RunningPropusk } from './helpers/propusk-server.js';

const STRANGERS: Needle[] = [
  { label: 'unknown phone', text: '79165554433' },
  { label: 'unknown e-mail', text: 'stranger@school.example' },
];

describe('identifiers in the logs', () => {
  const lines: string[] = [];
  let propusk: RunningPropusk;

  before(async () => {
    propusk = await startPropusk({ logLines: lines });
  });
  after(async () => propusk?.stop());

  it('no login, rotation or import writes one', async () => {
    const rp = await relyingParty(propusk.issuer, 'dnevnik');
    for (const login of ['8 916 000-00-01', 'IVANOVA@EXAMPLE.RU', '145-287-963 97', 'anna.smirnova@example.ru']) {
      const browser = new TestBrowser(propusk.issuer);
      const page = await browser.follow((await authorizationRequest(rp)).url.toString());
      const rejected = await submitLogin(browser, page, login, 'not the password');
      assert.equal(rejected.status, 401, login);
    }
    for (const login of ['+7 916 555-44-33', 'Stranger@School.example']) {
      const browser = new TestBrowser(propusk.issuer);
      const page = await browser.follow((await authorizationRequest(rp)).url.toString());
      assert.equal((await submitLogin(browser, page, login, DEMO_PASSWORD)).status, 401, login);
    }
    await passwordLogin(propusk.issuer, rp, '+79160000001');
    await rotateDataKeyCommand(propusk.runtime.config, createLogger({ level: 'debug', pretty: false }, { write: (line: string) => void lines.push(line) }));
    await passwordLogin(propusk.issuer, rp, 'ivanova@example.ru');

    const log = lines.join('');
    assert.match(log, /login failed/);
    assert.match(log, /login succeeded/);
    assert.match(log, /identifier data key rotated/);
    assert.deepEqual(needlesIn(log, [...demoIdentifierNeedles(), ...STRANGERS]), []);
  });
});
