// Who may call the deployed API (README: "Who may do what"), decided from the environment
// when serverless.yml is resolved:
//   JWT_ISSUER + JWT_AUDIENCE  -> AUTH_MODE=jwt: an HTTP API JWT authorizer (any OIDC issuer:
//                                 Cognito's https://cognito-idp.REGION.amazonaws.com/POOL_ID)
//                                 guards every route but the public ones
//   AUTH_MODE=none             -> no authorizer; the upload id is the only capability
// Neither: `sls package`/`sls offline` build the AUTH_MODE=none shape, and
// infra/auth_guard.js refuses `sls deploy`: a deployment has to choose.
'use strict';

// Routes anyone may call: the page, its assets, liveness, the OpenAPI document, and CORS
// preflights (browsers never send a token with those).
const PUBLIC_ROUTES = ['GET /', 'GET /assets/{name}', 'GET /healthz', 'GET /openapi.json', 'OPTIONS /{proxy+}'];

function decide(env = process.env) {
  const explicit = (env.AUTH_MODE || '').trim().toLowerCase();
  const issuer = (env.JWT_ISSUER || '').trim();
  const audience = (env.JWT_AUDIENCE || '')
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);
  if (explicit && explicit !== 'none' && explicit !== 'jwt') {
    throw new Error(`AUTH_MODE must be none or jwt, not ${JSON.stringify(explicit)}`);
  }
  if (explicit === 'none') return { mode: 'none', chosen: true, issuer, audience };
  if (issuer || audience.length || explicit === 'jwt') {
    if (!issuer || !audience.length) {
      throw new Error('AUTH_MODE=jwt needs both JWT_ISSUER (an https issuer URL) and JWT_AUDIENCE (comma-separated)');
    }
    if (!issuer.startsWith('https://')) throw new Error(`JWT_ISSUER must be an https URL, not ${issuer}`);
    return { mode: 'jwt', chosen: true, issuer, audience };
  }
  return { mode: 'none', chosen: false, issuer, audience };
}

module.exports = {
  decide,
  PUBLIC_ROUTES,
  // ${file(./infra/api_auth.js):mode}
  mode: () => decide().mode,
  // ${file(./infra/api_auth.js):authorizers}: provider.httpApi.authorizers
  authorizers: () => {
    const auth = decide();
    if (auth.mode !== 'jwt') return {};
    return { jwt: { type: 'jwt', identitySource: '$request.header.Authorization', issuerUrl: auth.issuer, audience: auth.audience } };
  },
  // ${file(./infra/api_auth.js):events}: the api function's httpApi events
  events: () => {
    if (decide().mode !== 'jwt') return [{ httpApi: '*' }];
    return [
      { httpApi: { method: '*', path: '*', authorizer: { name: 'jwt' } } },
      ...PUBLIC_ROUTES.map((route) => {
        const [method, path] = route.split(' ');
        return { httpApi: { method, path } };
      }),
    ];
  },
};
