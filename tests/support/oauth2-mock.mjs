// Runs npm's oauth2-mock-server (a real, widely used mock authorization server)
// for the end-to-end tests, on 127.0.0.1 and a free port:
//
//   node oauth2-mock.mjs NODE_MODULES_DIR [--no-register] [--rfc8414] [--claim NAME=VALUE]...
//
// NODE_MODULES_DIR holds oauth2-mock-server (scripts/auth-servers installs it and
// prints the directory). Prints one line first, `listening http://127.0.0.1:PORT`
// (the issuer), then serves until killed (SIGTERM exits 0).
//
// What the package does, and what this launcher adds:
// - Discovery: only OpenID's /.well-known/openid-configuration (it already lists
//   code_challenge_methods_supported ["plain", "S256"]). --rfc8414 also serves the
//   same document at /.well-known/oauth-authorization-server.
// - Keys: one RS256 key (random kid) at /jwks; tokens carry typ JWT, iss, iat,
//   exp (1 hour), nbf. `sub` is "johndoe" for authorization_code and
//   refresh_token, absent for client_credentials.
// - /authorize redirects at once to redirect_uri with a code (any client_id);
//   /token checks PKCE when the request carries code_verifier (S256 or plain). It
//   does not check codes, client ids or secrets.
// - RFC 8707: the access token's `aud` is the token request's `resource` (or the
//   one given to /authorize for that code, or the first token of a refresh token),
//   and `scope` likewise (the package would say "dummy" for authorization_code).
// - --claim NAME=VALUE (repeatable) adds the claim NAME, the string VALUE, to
//   every access token (not to id_tokens), e.g. `--claim org=acme` for a tenant.
// - The package has no dynamic client registration; this launcher adds RFC 7591's
//   POST /register (advertised as registration_endpoint) unless --no-register.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    'no-register': { type: 'boolean', default: false },
    rfc8414: { type: 'boolean', default: false },
    claim: { type: 'string', multiple: true, default: [] },
  },
});
const usage = 'usage: oauth2-mock.mjs NODE_MODULES_DIR [--no-register] [--rfc8414] [--claim NAME=VALUE]...';
if (positionals.length !== 1) {
  console.error(usage);
  process.exit(2);
}
// Extra claims of every access token, from --claim NAME=VALUE.
const extraClaims = {};
for (const pair of opts.claim) {
  const at = pair.indexOf('=');
  if (at < 1) {
    console.error(`--claim ${pair}: not NAME=VALUE\n${usage}`);
    process.exit(2);
  }
  extraClaims[pair.slice(0, at)] = pair.slice(at + 1);
}
const entry = join(positionals[0], 'oauth2-mock-server', 'dist', 'index.mjs');
const { OAuth2Server } = await import(pathToFileURL(entry).href);

const server = new OAuth2Server();
await server.issuer.keys.generate('RS256');

// What /authorize was asked for each code, and what the first token of each
// refresh token was for: {scope, resource}.
const grants = new Map();
const one = (v) => (Array.isArray(v) ? v[0] : v);

server.service.on('beforeAuthorizeRedirect', (redirect, req) => {
  const code = redirect.url.searchParams.get('code');
  if (code) grants.set(code, { scope: one(req.query.scope), resource: req.query.resource });
});

/** The grant a token request continues (its code's or refresh token's), if any. */
function grantOf(body) {
  if (body.grant_type === 'authorization_code') return grants.get(body.code) ?? {};
  if (body.grant_type === 'refresh_token') return grants.get(body.refresh_token) ?? {};
  return {};
}

// The first token signed for a request is the access token; an id_token may follow.
const accessTokenSigned = new WeakSet();
server.service.on('beforeTokenSigning', (token, req) => {
  if (accessTokenSigned.has(req)) return;
  accessTokenSigned.add(req);
  const body = req.body;
  const grant = grantOf(body);
  const resource = body.resource ?? grant.resource;
  const scope = body.scope ?? grant.scope;
  if (resource !== undefined) token.payload.aud = resource;
  if (scope !== undefined) token.payload.scope = scope;
  else if (body.grant_type !== 'client_credentials') delete token.payload.scope; // not "dummy"
  Object.assign(token.payload, extraClaims);
});

server.service.on('beforeResponse', (response, req) => {
  const body = req.body;
  const grant = grantOf(body);
  const scope = body.scope ?? grant.scope;
  if (response.body.scope !== undefined) {
    if (scope !== undefined) response.body.scope = scope;
    else delete response.body.scope;
  }
  if (response.body.refresh_token) {
    grants.set(response.body.refresh_token, { scope, resource: body.resource ?? grant.resource });
  }
});

// Discovery additions: the registration endpoint, and RFC 8414's path.
server.service.on('beforeWellKnownOpenIdConfiguration', (response) => {
  if (!opts['no-register']) response.body.registration_endpoint = `${server.issuer.url}/register`;
});
if (opts.rfc8414) {
  server.service.addRoute('GET', '/.well-known/oauth-authorization-server', (req, res) =>
    server.service.openidConfigurationHandler(req, res),
  );
}

// RFC 7591 dynamic client registration: any metadata is accepted and echoed.
if (!opts['no-register']) {
  server.service.addRoute('POST', '/register', (req, res) => {
    const metadata = req.body && typeof req.body === 'object' && !Array.isArray(req.body) ? req.body : null;
    if (!metadata) return sendJson(res, 400, { error: 'invalid_client_metadata', error_description: 'a JSON object is required' });
    const client = {
      ...metadata,
      client_id: `client-${randomBytes(8).toString('hex')}`,
      client_id_issued_at: Math.floor(Date.now() / 1000),
    };
    client.token_endpoint_auth_method ??= 'client_secret_basic';
    if (client.token_endpoint_auth_method !== 'none') {
      client.client_secret = randomBytes(16).toString('base64url');
      client.client_secret_expires_at = 0;
    }
    sendJson(res, 201, client);
  });
}

function sendJson(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

await server.start(0, '127.0.0.1');
// The package names loopback issuers http://localhost:PORT; the tests use 127.0.0.1.
server.issuer.url = `http://127.0.0.1:${server.address().port}`;
process.stdout.write(`listening ${server.issuer.url}\n`);
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
