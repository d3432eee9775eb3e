// Ceiling 3: oidc-provider with nothing of Propusk around it. It keeps its
// defaults, such as the in-memory adapter and plain Koa without Fastify.
// Only what the scenarios need is configured as Propusk configures it: the
// same routes, PKCE, opaque access tokens and rotating refresh tokens. Its one
// signing key is ES256 (P-256), and its clients ask for ES256 ID tokens. The
// benchmark registers its services with Propusk the same way (bench/dataset.ts),
// so both servers pay for the same signature.
// Instead of a login form, an interaction signs in a new account at once and
// grants the requested scopes, so a browser ends at the code without a page.
//
// Usage: node --import tsx bench/ceilings/bare-provider-server.ts PORT
// with BENCH_WEB_SECRET and BENCH_MACHINE_SECRET in the environment.
import { createServer } from 'node:http';
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import Provider, { type Configuration } from 'oidc-provider';
import { BENCH_ID_TOKEN_ALG, WEB_REDIRECT_URI } from '../dataset.js';
import { PATHS, SCOPE } from '../oidc.js';

const port = Number(process.argv[2]);
const issuer = `http://127.0.0.1:${port}`;
const webSecret = process.env.BENCH_WEB_SECRET;
const machineSecret = process.env.BENCH_MACHINE_SECRET;
if (!Number.isInteger(port) || webSecret === undefined || machineSecret === undefined) {
  throw new Error('usage: bare-provider-server.ts PORT, with BENCH_WEB_SECRET and BENCH_MACHINE_SECRET set');
}

const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'bench-es256', alg: BENCH_ID_TOKEN_ALG, use: 'sig' };

const configuration: Configuration = {
  clients: [
    {
      client_id: 'bench-web',
      client_secret: webSecret,
      redirect_uris: [WEB_REDIRECT_URI],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: BENCH_ID_TOKEN_ALG,
    },
    {
      client_id: 'bench-machine',
      client_secret: machineSecret,
      redirect_uris: [],
      grant_types: ['client_credentials'],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: BENCH_ID_TOKEN_ALG,
    },
  ],
  jwks: { keys: [signingKey as NonNullable<Configuration['jwks']>['keys'][number]] },
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  scopes: SCOPE.split(' '),
  claims: { openid: ['sub'], profile: ['name'], roles: ['role'] },
  findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub, name: 'Bench Account', role: 'student' }) }),
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: false },
    introspection: { enabled: true },
    userinfo: { enabled: true },
    clientCredentials: { enabled: true },
  },
  routes: { authorization: PATHS.authorization, token: PATHS.token, userinfo: PATHS.userinfo, introspection: PATHS.introspection, jwks: PATHS.jwks },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  rotateRefreshToken: true,
};

const provider = new Provider(issuer, configuration);
const handleProvider = provider.callback();

/** Sign in a new account, or grant the requested scopes, and send the browser back to the provider. */
async function finishInteraction(req: Parameters<typeof handleProvider>[0], res: Parameters<typeof handleProvider>[1]): Promise<void> {
  const details = await provider.interactionDetails(req, res);
  if (details.prompt.name === 'login') {
    await provider.interactionFinished(req, res, { login: { accountId: randomUUID() } }, { mergeWithLastSubmission: false });
    return;
  }
  const accountId = details.session?.accountId;
  const clientId = details.params.client_id;
  if (accountId === undefined || typeof clientId !== 'string') {
    throw new Error(`interaction ${details.uid} has no account or client`);
  }
  const grant = new provider.Grant({ accountId, clientId });
  grant.addOIDCScope(String(details.params.scope));
  await provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
}

createServer((req, res) => {
  if (req.url?.startsWith('/interaction/') !== true) {
    void handleProvider(req, res);
    return;
  }
  finishInteraction(req, res).catch((error: unknown) => {
    console.error(error);
    res.statusCode = 500;
    res.end('interaction failed');
  });
}).listen(port, '127.0.0.1');
