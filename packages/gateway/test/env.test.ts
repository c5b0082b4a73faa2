/**
 * `corsgate serve` configured from the environment, spawned for real: every flag has a
 * `CORSGATE_*` variable, flags win over variables, variables win over the config file, and every
 * problem names where its value came from (flag, variable, or file:line:col).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVE_HELP, SERVE_OPTIONS } from '../src/commands/serve.js';
import { envName } from '../src/config/env.js';
import { runCorsgate, startGateway, startUpstream, type TempDir, tempDir, type Upstream } from './helpers.js';

let tmp: TempDir;
let upstream: Upstream;
let list: string;
beforeAll(async () => {
  tmp = tempDir();
  upstream = await startUpstream();
  list = tmp.file('ok.list', 'https://app.example.com\n');
});
afterAll(async () => {
  await upstream.close();
  tmp.remove();
});

const preflight = (url: string, method: string): Promise<Response> =>
  fetch(`${url}/echo`, {
    method: 'OPTIONS',
    headers: { Origin: 'https://app.example.com', 'Access-Control-Request-Method': method },
  });

describe('corsgate --version', () => {
  it('prints "corsgate" and the package version, and exits 0', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    const r = await runCorsgate(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`corsgate ${version}\n`);
  });
});

describe('every serve flag has a CORSGATE_ variable', () => {
  it('names it by the flag in upper snake case', () => {
    expect(envName('admin-port')).toBe('CORSGATE_ADMIN_PORT');
    expect(envName('upstream')).toBe('CORSGATE_UPSTREAM');
  });

  it('lists every flag in --help and every variable in docs/deploy.md', () => {
    const deploy = readFileSync(new URL('../../../docs/deploy.md', import.meta.url), 'utf8');
    for (const flag of Object.keys(SERVE_OPTIONS)) {
      expect(SERVE_HELP, flag).toContain(`--${flag}`);
      expect(deploy, flag).toMatch(new RegExp(`^\\| \`--${flag}\` +\\| \`${envName(flag)}\` +\\|`, 'm'));
    }
  });

  it('starts from variables alone: upstream, allowlist, credentials, methods', async () => {
    const gw = await startGateway([], {
      env: {
        CORSGATE_UPSTREAM: upstream.url,
        CORSGATE_ALLOWLIST: list,
        CORSGATE_CREDENTIALS: 'true',
        CORSGATE_METHODS: 'PUT',
      },
    });
    try {
      const ok = await preflight(gw.url, 'PUT');
      expect(ok.status).toBe(204);
      expect(ok.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
      expect(ok.headers.get('access-control-allow-credentials')).toBe('true');
      expect((await preflight(gw.url, 'PATCH')).status).toBe(403);
      const get = await fetch(`${gw.url}/echo`, { headers: { Origin: 'https://app.example.com' } });
      expect(get.status).toBe(200);
    } finally {
      await gw.stop();
    }
  });

  it('a flag wins over its variable', async () => {
    const gw = await startGateway(['--upstream', upstream.url, '--allowlist', list, '--methods', 'PUT'], {
      env: { CORSGATE_METHODS: 'PATCH' },
    });
    try {
      expect((await preflight(gw.url, 'PUT')).status).toBe(204);
      expect((await preflight(gw.url, 'PATCH')).status).toBe(403);
    } finally {
      await gw.stop();
    }
  });

  it('a variable wins over the config file', async () => {
    const config = tmp.file(
      'env-over-file.yaml',
      `upstream: http://127.0.0.1:1\nallowlist: ok.list\npolicy:\n  methods: [DELETE]\n`,
    );
    const gw = await startGateway(['--config', config], {
      env: { CORSGATE_UPSTREAM: upstream.url, CORSGATE_METHODS: 'PATCH' },
    });
    try {
      expect((await preflight(gw.url, 'PATCH')).status).toBe(204);
      expect((await preflight(gw.url, 'DELETE')).status).toBe(403);
      // The file's dead upstream was replaced by the variable's live one.
      const get = await fetch(`${gw.url}/echo`, { headers: { Origin: 'https://app.example.com' } });
      expect(get.status).toBe(200);
    } finally {
      await gw.stop();
    }
  });

  it('CORSGATE_CREDENTIALS=false leaves credentials off', async () => {
    const gw = await startGateway(['--upstream', upstream.url, '--allowlist', list], {
      env: { CORSGATE_CREDENTIALS: 'false' },
    });
    try {
      const ok = await preflight(gw.url, 'GET');
      expect(ok.headers.get('access-control-allow-credentials')).toBeNull();
    } finally {
      await gw.stop();
    }
  });
});

describe('a configuration error names where each value came from', () => {
  it('names the flag, the variable and the file line, each for its own value, in one run', async () => {
    const config = tmp.file('bad-upstream.yaml', `allowlist: ok.list\nupstream: ftp://api.internal\n`);
    const r = await runCorsgate(['serve', '--config', config, '--port', 'abc'], tmp.dir, {
      CORSGATE_ADMIN_PORT: 'xyz',
      CORSGATE_MAX_AGE: '999999',
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--port: error CG_GATEWAY_FLAG "abc" is not a whole number from 0 to 65535');
    expect(r.stderr).toContain(
      'CORSGATE_ADMIN_PORT: error CG_GATEWAY_FLAG "xyz" is not a whole number from 0 to 65535',
    );
    expect(r.stderr).toMatch(/^CORSGATE_MAX_AGE: error CG_MAX_AGE_RANGE /m);
    expect(r.stderr).toContain(
      'bad-upstream.yaml:2:11: error CG_GATEWAY_UPSTREAM "ftp://api.internal" is not an http:// or https:// URL',
    );
    expect(r.stderr).toContain('invalid configuration (4 errors); not started');
  });

  it('names the flag, not the variable, when both are set', async () => {
    const r = await runCorsgate(['serve', '--upstream', upstream.url, '--port', '99999'], tmp.dir, {
      CORSGATE_PORT: '8080',
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^--port: error CG_GATEWAY_FLAG "99999"/m);
    expect(r.stderr).not.toContain('CORSGATE_PORT');
  });

  it('refuses a boolean variable that is not a boolean, naming it', async () => {
    const r = await runCorsgate(['serve', '--upstream', upstream.url, '--allowlist', list], tmp.dir, {
      CORSGATE_CREDENTIALS: 'maybe',
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'CORSGATE_CREDENTIALS: error CG_GATEWAY_ENV "maybe" is not a boolean (write true or false, 1 or 0)',
    );
    expect(r.stderr).toContain('invalid configuration (1 errors); not started');
  });

  it('warns about a CORSGATE_ variable that names no option', async () => {
    const r = await runCorsgate(['serve'], tmp.dir, { CORSGATE_ADMINPORT: '9000' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'CORSGATE_ADMINPORT: warning CG_GATEWAY_ENV_UNKNOWN no serve option has this variable; it is ignored',
    );
    expect(r.stderr).toContain('--upstream: error CG_GATEWAY_UPSTREAM');
  });

  it('takes CORSGATE_ADMIN_TOKENS, the one variable without a flag, without a warning', async () => {
    const r = await runCorsgate(['serve'], tmp.dir, { CORSGATE_ADMIN_TOKENS: 'ops:0123456789abcdef0123' });
    expect(r.code).toBe(2);
    expect(r.stderr).not.toContain('CG_GATEWAY_ENV_UNKNOWN');
    expect(r.stderr).toContain('--upstream: error CG_GATEWAY_UPSTREAM');
  });

  it('names the variable for an engine problem in a policy field it set', async () => {
    const r = await runCorsgate(['serve', '--upstream', upstream.url, '--allowlist', list], tmp.dir, {
      CORSGATE_PREFLIGHT_STATUS: '302',
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^CORSGATE_PREFLIGHT_STATUS: error CG_PREFLIGHT_STATUS "302" is not 200 or 204/m,
    );
  });
});
