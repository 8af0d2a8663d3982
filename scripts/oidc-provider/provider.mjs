// A real OpenID provider for Warroom's sign-in tests: oidc-provider (npm) on loopback, with
// one confidential client ("warroom", PKCE required) and the accounts below, whose "groups"
// claim the tests map to roles. Its development login page takes any password.
//
//   OIDC_PORT=59400 OIDC_REDIRECT=http://127.0.0.1:8080/web/callback node provider.mjs
//
// Prints "oidc-provider: listening on http://127.0.0.1:PORT" once it answers.
import Provider from 'oidc-provider';

const port = Number(process.env.OIDC_PORT || 59400);
const issuer = `http://127.0.0.1:${port}`;
const redirects = (process.env.OIDC_REDIRECT || 'http://127.0.0.1:8080/web/callback').split(',');
const afterLogout = (process.env.OIDC_AFTER_LOGOUT || '').split(',').filter(Boolean);

// Who may sign in, and their groups.
const accounts = {
  alice: { name: 'Alice Example', groups: ['sre', 'everyone'] },
  victor: { name: 'Victor Viewer', groups: ['stakeholders', 'everyone'] },
  nora: { name: 'Nora Nobody', groups: ['everyone'] },
};

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: 'warroom',
      client_secret: process.env.OIDC_CLIENT_SECRET || 'warroom-test-secret',
      redirect_uris: redirects,
      post_logout_redirect_uris: afterLogout,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  pkce: { required: () => true },
  scopes: ['openid', 'profile', 'groups'],
  claims: {
    openid: ['sub'],
    profile: ['name', 'preferred_username'],
    groups: ['groups'],
  },
  // The groups go into the ID token itself, where Warroom reads them.
  conformIdTokenClaims: false,
  findAccount: async (_ctx, id) => {
    const account = accounts[id];
    if (!account) return undefined;
    return {
      accountId: id,
      claims: async () => ({
        sub: id,
        name: account.name,
        preferred_username: id,
        groups: account.groups,
      }),
    };
  },
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  cookies: { keys: ['warroom-oidc-test-cookie-key'] },
  renderError: async (ctx, out) => {
    ctx.type = 'text/plain';
    ctx.body = `oidc-provider error: ${out.error}: ${out.error_description || ''}\n`;
  },
});
provider.proxy = false;
provider.listen(port, '127.0.0.1', () => {
  console.log(`oidc-provider: listening on ${issuer}`);
});
