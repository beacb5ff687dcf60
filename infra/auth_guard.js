// A local plugin: `sls deploy` refuses to run until the deployment has chosen who may call
// it (JWT_ISSUER + JWT_AUDIENCE, or AUTH_MODE=none set explicitly), and refuses an artifact
// packaged without requirements.txt (PACKAGE_REQUIREMENTS, for template checks only).
// Packaging, offline and invoke-local need no choice (they build the AUTH_MODE=none shape
// unless told otherwise).
'use strict';

const { decide } = require('./api_auth');

class AuthGuard {
  constructor(serverless) {
    this.serverless = serverless;
    // `initialize` runs first for every command: refuse before anything is packaged.
    this.hooks = { initialize: () => this.check() };
  }

  check() {
    const commands = (this.serverless.processedInput && this.serverless.processedInput.commands) || [];
    const requirements = process.env.PACKAGE_REQUIREMENTS;
    if (commands[0] === 'deploy' && requirements !== undefined && requirements !== 'requirements.txt') {
      throw new Error(
        `Refusing to deploy with PACKAGE_REQUIREMENTS=${requirements}: the functions need requirements.txt ` +
          '(that setting is for checking template variants only).'
      );
    }
    if (commands[0] === 'deploy' && !decide().chosen) {
      throw new Error(
        'Refusing to deploy an API anyone may call without saying so: set JWT_ISSUER and JWT_AUDIENCE ' +
          '(an OIDC issuer, e.g. Cognito) for AUTH_MODE=jwt, or AUTH_MODE=none explicitly.'
      );
    }
  }
}

module.exports = AuthGuard;
