// A real OpenID Connect provider for Wijkwacht's tests: oidc-provider (OpenID Certified) on
// loopback, one or more issuers from a JSON file (argv[2]) the tests write. People sign in on
// its development login page (any password) and get the roles the file gives their login;
// machines get JWT access tokens for the API by the client-credentials grant. Prints
// "ready <issuer>" per issuer once it listens, and stops on SIGTERM.
import { readFileSync } from 'node:fs';
import Provider, { errors } from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const servers = [];

for (const idp of config.providers) {
  const issuer = `http://127.0.0.1:${idp.port}`;
  const claim = idp.rolesClaim;
  const rolesOf = (id) => idp.people[id] ?? [];
  const provider = new Provider(issuer, {
    clients: idp.clients,
    jwks: { keys: idp.keys },
    cookies: { keys: [idp.cookieKey] },
    scopes: ['openid', 'profile', 'roles'],
    claims: { openid: ['sub'], profile: ['name', 'preferred_username'], roles: [claim] },
    findAccount: async (_ctx, id) => ({
      accountId: id,
      claims: async () => ({ sub: id, name: id, preferred_username: id, [claim]: rolesOf(id) }),
    }),
    features: {
      devInteractions: { enabled: true },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        getResourceServerInfo: async (_ctx, resource) => {
          if (resource !== idp.audience) throw new errors.InvalidTarget();
          return {
            scope: 'roles',
            audience: idp.audience,
            accessTokenFormat: 'jwt',
            accessTokenTTL: idp.accessTokenSeconds ?? 300,
            jwt: { sign: { alg: 'RS256' } },
          };
        },
      },
    },
    extraTokenClaims: async (_ctx, token) => {
      const roles = token.accountId ? rolesOf(token.accountId) : idp.machines[token.clientId];
      return roles ? { [claim]: roles } : undefined;
    },
  });
  provider.proxy = false;
  const server = provider.listen(idp.port, '127.0.0.1', () => console.log(`ready ${issuer}`));
  servers.push(server);
}

process.on('SIGTERM', () => {
  for (const server of servers) server.close();
  process.exit(0);
});
