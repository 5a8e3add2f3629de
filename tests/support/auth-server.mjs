// A small OAuth 2.1 authorization server for the end-to-end tests: no npm
// packages, Node 20 or later. Binds 127.0.0.1 and prints one line first,
// `listening http://127.0.0.1:PORT`, then serves until killed (SIGTERM exits 0).
//
//   node auth-server.mjs [--port 0] [--issuer-path /tenant-a] [--jwks-max-age 600]
//                        [--client-id ID --client-secret SECRET]
//
// Issuer: http://127.0.0.1:PORT + issuer-path. One signing key per algorithm,
// made at start: RS256 (kid rs256-1), PS256 (ps256-1), ES256 (es256-1), EdDSA
// (Ed25519, eddsa-1); POST /rotate makes the next (es256-2, ...).
// Endpoints (all JSON; anything else is a JSON 404):
//   GET  /.well-known/oauth-authorization-server{issuer-path}  RFC 8414 metadata
//   GET  {issuer-path}/.well-known/openid-configuration        the same, OpenID style
//   GET  /jwks        the public keys, Cache-Control: max-age=<jwks-max-age>
//   POST /mint        test only: {alg, claims, header, expires_in} -> {token}
//   POST /rotate      test only: {alg, keep_old} -> {kid}
//   POST /opaque      test only: {claims, active, expires_in} -> {token}
//   POST /introspect  RFC 7662 (form token=..., Basic auth when --client-id is set)
//   POST /token       client_credentials (Basic auth when --client-id is set)
//   GET  /stats       {jwks_fetches, metadata_fetches, introspections, tokens}
import crypto from 'node:crypto';
import http from 'node:http';
import { parseArgs } from 'node:util';

const { values: opts } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    'issuer-path': { type: 'string', default: '' },
    'jwks-max-age': { type: 'string', default: '600' },
    'client-id': { type: 'string' },
    'client-secret': { type: 'string', default: '' },
  },
});
const issuerPath = opts['issuer-path'].replace(/\/+$/, '');
if (issuerPath && !issuerPath.startsWith('/')) throw new Error('--issuer-path must start with /');
let issuer = ''; // set once listening

// ---- keys ------------------------------------------------------------------

const KEY_SPECS = {
  RS256: ['rsa', { modulusLength: 2048 }],
  PS256: ['rsa', { modulusLength: 2048 }],
  ES256: ['ec', { namedCurve: 'P-256' }],
  EdDSA: ['ed25519', {}],
};
const generations = {}; // alg -> how many keys it has had
const keys = []; // {alg, kid, privateKey, publicKey}, newest last

function newKey(alg) {
  const [type, options] = KEY_SPECS[alg];
  const { privateKey, publicKey } = crypto.generateKeyPairSync(type, options);
  generations[alg] = (generations[alg] ?? 0) + 1;
  const key = { alg, kid: `${alg.toLowerCase()}-${generations[alg]}`, privateKey, publicKey };
  keys.push(key);
  return key;
}
for (const alg of Object.keys(KEY_SPECS)) newKey(alg);

/** The key /mint signs with: the newest of that algorithm. */
const currentKey = (alg) => keys.findLast((k) => k.alg === alg);

const jwks = () => ({
  keys: keys.map((k) => ({ ...k.publicKey.export({ format: 'jwk' }), kid: k.kid, alg: k.alg, use: 'sig' })),
});

// ---- tokens ----------------------------------------------------------------

const b64u = (data) => Buffer.from(data).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

/** Signs a compact JWS; `alg` is one of the /mint algorithms. */
function sign(alg, claims, extraHeader = {}) {
  const input = (header) => `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(claims))}`;
  if (alg === 'none') return `${input({ alg: 'none', ...extraHeader })}.`;
  if (alg === 'HS256-public') {
    // Key confusion: HMAC keyed with the RSA public key's PEM, under the RSA kid.
    const rsa = currentKey('RS256');
    const data = input({ alg: 'HS256', typ: 'JWT', kid: rsa.kid, ...extraHeader });
    const pem = rsa.publicKey.export({ type: 'spki', format: 'pem' });
    return `${data}.${crypto.createHmac('sha256', pem).update(data).digest('base64url')}`;
  }
  const key = currentKey(alg);
  if (!key) throw httpError(400, 'invalid_request', `unknown alg ${alg}`);
  const data = input({ alg, typ: 'JWT', kid: key.kid, ...extraHeader });
  const signature = {
    RS256: () => crypto.sign('sha256', Buffer.from(data), key.privateKey),
    PS256: () =>
      crypto.sign('sha256', Buffer.from(data), {
        key: key.privateKey,
        padding: crypto.constants.RSA_PKCS1_PSS_PADDING,
        saltLength: 32,
      }),
    ES256: () => crypto.sign('sha256', Buffer.from(data), { key: key.privateKey, dsaEncoding: 'ieee-p1363' }),
    EdDSA: () => crypto.sign(null, Buffer.from(data), key.privateKey),
  }[alg]();
  return `${data}.${b64u(signature)}`;
}

/** Claims with the defaults under them: iss, iat, exp, sub. */
const withDefaults = (claims, expiresIn) => ({ iss: issuer, iat: now(), exp: now() + expiresIn, sub: 'alice', ...claims });

const opaque = new Map(); // token -> {claims, active, exp}

/** What /introspect says of a token: an opaque one, or a JWT this server signed. */
function introspect(token) {
  const known = opaque.get(token);
  if (known) {
    if (!known.active || known.exp <= now()) return { active: false };
    return { active: true, ...known.claims, iss: issuer, exp: known.exp };
  }
  // A JWT counts when one of the current keys verifies it (alg none and HS256 never do).
  const [h, p, s] = token.split('.');
  try {
    const header = JSON.parse(Buffer.from(h, 'base64url'));
    const key = keys.find((k) => k.kid === header.kid && k.alg === header.alg);
    const claims = JSON.parse(Buffer.from(p, 'base64url'));
    if (key && s && verify(key, `${h}.${p}`, s) && (claims.exp ?? Infinity) > now()) return { active: true, ...claims };
  } catch {}
  return { active: false };
}

function verify(key, data, signature) {
  const sig = Buffer.from(signature, 'base64url');
  const options = {
    RS256: key.publicKey,
    PS256: { key: key.publicKey, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
    ES256: { key: key.publicKey, dsaEncoding: 'ieee-p1363' },
    EdDSA: key.publicKey,
  }[key.alg];
  return crypto.verify(key.alg === 'EdDSA' ? null : 'sha256', Buffer.from(data), options, sig);
}

// ---- HTTP ------------------------------------------------------------------

const stats = { jwks_fetches: 0, metadata_fetches: 0, introspections: 0, tokens: 0 };

function httpError(status, error, description) {
  return Object.assign(new Error(description), { status, body: { error, error_description: description } });
}

function send(res, status, body, headers = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

async function json(req) {
  const text = await readBody(req);
  try {
    return text ? JSON.parse(text) : {};
  } catch {
    throw httpError(400, 'invalid_request', 'the body is not JSON');
  }
}

const form = async (req) => new URLSearchParams(await readBody(req));

/** Checks HTTP Basic client authentication (RFC 6749 §2.3.1: each part form-urlencoded). */
function authenticateClient(req) {
  if (opts['client-id'] === undefined) return;
  const [scheme, value] = (req.headers.authorization ?? '').split(' ');
  const decoded = scheme?.toLowerCase() === 'basic' ? Buffer.from(value ?? '', 'base64').toString('utf8') : '';
  const colon = decoded.indexOf(':');
  const unform = (s) => decodeURIComponent(s.replace(/\+/g, ' '));
  let ok = false;
  try {
    ok = colon >= 0 && unform(decoded.slice(0, colon)) === opts['client-id'] && unform(decoded.slice(colon + 1)) === opts['client-secret'];
  } catch {}
  if (!ok) throw Object.assign(httpError(401, 'invalid_client', 'client authentication failed'), { headers: { 'www-authenticate': 'Basic realm="auth-server"' } });
}

function metadata() {
  stats.metadata_fetches++;
  const base = `http://${serverAddress}`;
  return {
    issuer,
    jwks_uri: `${base}/jwks`,
    token_endpoint: `${base}/token`,
    introspection_endpoint: `${base}/introspect`,
    response_types_supported: ['code'],
    grant_types_supported: ['client_credentials'],
    token_endpoint_auth_methods_supported: ['client_secret_basic'],
    introspection_endpoint_auth_methods_supported: ['client_secret_basic'],
    code_challenge_methods_supported: ['S256'],
    id_token_signing_alg_values_supported: Object.keys(KEY_SPECS),
    subject_types_supported: ['public'],
  };
}

const routes = {
  [`GET /.well-known/oauth-authorization-server${issuerPath}`]: () => metadata(),
  [`GET ${issuerPath}/.well-known/openid-configuration`]: () => metadata(),
  'GET /jwks': (req, res) => {
    stats.jwks_fetches++;
    send(res, 200, jwks(), { 'cache-control': `max-age=${opts['jwks-max-age']}` });
  },
  'GET /stats': () => stats,
  'POST /mint': async (req) => {
    const { alg = 'ES256', claims = {}, header = {}, expires_in = 300 } = await json(req);
    return { token: sign(alg, withDefaults(claims, expires_in), header) };
  },
  'POST /rotate': async (req) => {
    const { alg = 'ES256', keep_old = false } = await json(req);
    if (!KEY_SPECS[alg]) throw httpError(400, 'invalid_request', `unknown alg ${alg}`);
    if (!keep_old) keys.splice(0, keys.length, ...keys.filter((k) => k.alg !== alg));
    return { kid: newKey(alg).kid };
  },
  'POST /opaque': async (req) => {
    const { claims = {}, active = true, expires_in = 300 } = await json(req);
    const token = crypto.randomBytes(32).toString('base64url');
    opaque.set(token, { claims, active, exp: now() + expires_in });
    return { token };
  },
  'POST /introspect': async (req) => {
    stats.introspections++;
    authenticateClient(req);
    const token = (await form(req)).get('token');
    if (!token) throw httpError(400, 'invalid_request', 'token is required');
    return introspect(token);
  },
  'POST /token': async (req) => {
    authenticateClient(req);
    const params = await form(req);
    if (params.get('grant_type') !== 'client_credentials') throw httpError(400, 'unsupported_grant_type', 'only client_credentials');
    stats.tokens++;
    const claims = { sub: opts['client-id'] ?? 'client', client_id: opts['client-id'] ?? 'client' };
    if (params.has('resource')) claims.aud = params.get('resource');
    if (params.has('scope')) claims.scope = params.get('scope');
    const expiresIn = 300;
    return { access_token: sign('ES256', withDefaults(claims, expiresIn)), token_type: 'Bearer', expires_in: expiresIn, scope: claims.scope };
  },
};

let serverAddress = '';
const server = http.createServer(async (req, res) => {
  const path = new URL(req.url, 'http://x').pathname;
  const route = routes[`${req.method} ${path}`];
  try {
    if (!route) throw httpError(404, 'not_found', `no ${req.method} ${path}`);
    const body = await route(req, res);
    if (body !== undefined) send(res, 200, body);
  } catch (err) {
    if (!err.status) console.error(err);
    send(res, err.status ?? 500, err.body ?? { error: 'server_error', error_description: String(err) }, err.headers);
  }
});

server.listen(Number(opts.port), '127.0.0.1', () => {
  serverAddress = `127.0.0.1:${server.address().port}`;
  issuer = `http://${serverAddress}${issuerPath}`;
  process.stdout.write(`listening http://${serverAddress}\n`);
});
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
