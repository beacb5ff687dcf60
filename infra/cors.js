// The HTTP API's own CORS configuration (provider.httpApi.cors), from CORS_ALLOWED_ORIGINS:
// the same origins, methods and headers the function's CORS uses (upload_core/http/cors.py).
// Why the gateway's and not only the function's: API Gateway answers some requests itself
// (401 from the JWT authorizer, 429 throttling, 413 payload too large, 503/504 when the
// function cannot be reached or runs out of time), and only its CORS configuration can put
// Access-Control-Allow-Origin on those; with it configured, API Gateway also ignores the
// function's own CORS headers (API Gateway developer guide, "Configure CORS for HTTP APIs").
'use strict';

function origins(env = process.env) {
  const raw = (env.CORS_ALLOWED_ORIGINS || '').trim();
  if (!raw) throw new Error('CORS_ALLOWED_ORIGINS is required: the origins of the frontends (no default when deploying)');
  return raw.split(',').map((o) => o.trim()).filter(Boolean);
}

module.exports = {
  origins,
  // ${file(./infra/cors.js):httpApi}
  httpApi: () => ({
    allowedOrigins: origins(),
    allowedMethods: ['GET', 'POST', 'DELETE', 'OPTIONS'],
    allowedHeaders: ['Content-Type', 'Authorization', 'X-Requested-With'],
    exposedResponseHeaders: ['Location', 'ETag'],
    maxAge: 600,
  }),
};
