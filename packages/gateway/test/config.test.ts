/** `corsgate serve` refuses to start on an invalid configuration or allowlist, naming every problem. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCorsgate, type TempDir, tempDir } from './helpers.js';

let tmp: TempDir;
beforeAll(() => {
  tmp = tempDir();
});
afterAll(() => tmp.remove());

describe('corsgate serve: invalid configuration exits 2 and names every problem', () => {
  it('requires --upstream', async () => {
    tmp.file('ok.list', 'https://app.example.com\n');
    const r = await runCorsgate(['serve', '--allowlist', `${tmp.dir}/ok.list`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--upstream: error CG_GATEWAY_UPSTREAM the upstream URL is required');
  });

  it('refuses * in the allowlist with --credentials, naming the file’s line', async () => {
    tmp.file('star.list', '# all\nhttps://app.example.com\n*\n');
    const r = await runCorsgate([
      'serve',
      '--upstream',
      'http://127.0.0.1:1',
      '--allowlist',
      `${tmp.dir}/star.list`,
      '--credentials',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${tmp.dir}/star.list:3:1: error CG_ORIGIN_ANY_WITH_CREDENTIALS`);
  });

  it('reports every allowlist error at once, each with its line', async () => {
    tmp.file('bad.list', 'app.example.com\nhttps://ok.example.com\nhttps://x.example.com/path\n');
    const r = await runCorsgate([
      'serve',
      '--upstream',
      'http://127.0.0.1:1',
      '--allowlist',
      `${tmp.dir}/bad.list`,
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('bad.list:1:1: error CG_ORIGIN_MISSING_SCHEME');
    expect(r.stderr).toContain('bad.list:3:22: error CG_ORIGIN_HAS_PATH');
  });

  it('refuses a missing allowlist file', async () => {
    const r = await runCorsgate([
      'serve',
      '--upstream',
      'http://127.0.0.1:1',
      '--allowlist',
      `${tmp.dir}/none.list`,
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('none.list');
    expect(r.stderr).toContain('CG_ALLOWLIST_MISSING');
  });

  it('reports every bad flag at once through the engine’s codes', async () => {
    tmp.file('ok.list', 'https://app.example.com\n');
    const r = await runCorsgate([
      'serve',
      '--upstream',
      'ftp://x',
      '--allowlist',
      `${tmp.dir}/ok.list`,
      '--methods',
      'PUT,TRACE',
      '--max-age',
      '100000',
      '--preflight-status',
      '201',
      '--port',
      'eighty',
      '--expose-headers',
      'Set-Cookie',
    ]);
    expect(r.code).toBe(2);
    for (const expected of [
      '--upstream: error CG_GATEWAY_UPSTREAM',
      '--methods: error CG_METHOD_FORBIDDEN',
      '--max-age: error CG_MAX_AGE_RANGE',
      '--preflight-status: error CG_PREFLIGHT_STATUS',
      '--port: error CG_GATEWAY_FLAG',
      '--expose-headers: error CG_EXPOSE_HEADER_FORBIDDEN',
    ])
      expect(r.stderr).toContain(expected);
  });

  it('names the line and column of each problem in the YAML file', async () => {
    tmp.file('ok.list', 'https://app.example.com\n');
    tmp.file(
      'bad.yaml',
      [
        'upstream: http://127.0.0.1:1', // 1
        'allowlist: ok.list', // 2
        'policy:', // 3
        '  credentials: true', // 4
        '  methods: [PUT, CONNECT]', // 5
        '  maxAge: -1', // 6
        'routes:', // 7
        '  - path: /public/*', // 8
        "    origins: ['*']", // 9
        '  - path: /a/*/b', // 10
        '',
      ].join('\n'),
    );
    const r = await runCorsgate(['serve', '--config', `${tmp.dir}/bad.yaml`], tmp.dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('bad.yaml:5:18: error CG_METHOD_FORBIDDEN');
    expect(r.stderr).toContain('bad.yaml:6:11: error CG_MAX_AGE_RANGE');
    // The route inherits credentials: * with credentials is refused on the route's line.
    expect(r.stderr).toContain('bad.yaml:9:15: error CG_ORIGIN_ANY_WITH_CREDENTIALS');
    expect(r.stderr).toContain('bad.yaml:10:11: error CG_GATEWAY_ROUTE_PATH');
  });

  it('refuses a public origin that is not serialized as a browser sends it, a route path that is not normalised, and an unknown escaped-paths mode', async () => {
    tmp.file('ok.list', 'https://app.example.com\n');
    tmp.file(
      'hardening.yaml',
      [
        'upstream: http://127.0.0.1:1', // 1
        'allowlist: ok.list', // 2
        'publicOrigins: [https://gw.example.com, https://GW.example.com/]', // 3
        'routes:', // 4
        '  - path: /api/../admin/*', // 5
        '  - path: /api%2Fx', // 6
        '  - path: //public/*', // 7
        '',
      ].join('\n'),
    );
    const r = await runCorsgate(
      ['serve', '--config', `${tmp.dir}/hardening.yaml`, '--escaped-paths', 'decode'],
      tmp.dir,
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /hardening\.yaml:3:\d+:? error CG_GATEWAY_PUBLIC_ORIGIN:? .*write "https:\/\/gw\.example\.com"/,
    );
    expect(r.stderr).not.toMatch(/"https:\/\/gw\.example\.com" is not/);
    for (const line of [5, 6, 7])
      expect(r.stderr).toMatch(new RegExp(`hardening\\.yaml:${line}:11:? error CG_GATEWAY_ROUTE_PATH`));
    expect(r.stderr).toMatch(/--escaped-paths:? error CG_GATEWAY_FLAG/);
    const flag = await runCorsgate([
      'serve',
      '--upstream',
      'http://127.0.0.1:1',
      '--allowlist',
      `${tmp.dir}/ok.list`,
      '--public-origin',
      'https://gw.example.com:443',
    ]);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/--public-origin:? error CG_GATEWAY_PUBLIC_ORIGIN/);
  });

  it('names the line of an unknown key and of a wrong type', async () => {
    tmp.file(
      'shape.yaml',
      ['upstream: http://127.0.0.1:1', 'listen:', '  port: "eighty"', 'colour: blue', ''].join('\n'),
    );
    const r = await runCorsgate(['serve', '--config', `${tmp.dir}/shape.yaml`], tmp.dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/shape\.yaml:3:9: error CG_GATEWAY_CONFIG_SCHEMA listen\.port: /);
    expect(r.stderr).toMatch(/shape\.yaml:1:1: error CG_GATEWAY_CONFIG_SCHEMA .*\(colour\)/);
  });

  it('names the line of a YAML syntax error', async () => {
    tmp.file('syntax.yaml', 'upstream: http://127.0.0.1:1\npolicy:\n  methods: [PUT\n');
    const r = await runCorsgate(['serve', '--config', `${tmp.dir}/syntax.yaml`], tmp.dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/syntax\.yaml:\d+:\d+: error CG_GATEWAY_YAML_SYNTAX/);
  });

  it('lets flags override the file (here --credentials makes the file’s * an error)', async () => {
    tmp.file('star2.list', '*\n');
    tmp.file('fine.yaml', 'upstream: http://127.0.0.1:1\nallowlist: star2.list\n');
    const r = await runCorsgate(['serve', '--config', `${tmp.dir}/fine.yaml`, '--credentials'], tmp.dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('star2.list:1:1: error CG_ORIGIN_ANY_WITH_CREDENTIALS');
  });

  it('rejects an unknown flag with the nearest known one and where the options are listed', async () => {
    const r = await runCorsgate(['serve', '--upstrem', 'http://x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown option --upstrem; did you mean --upstream?');
    expect(r.stderr).toContain('corsgate serve --help');
  });

  it('prints help with every flag and exits 0', async () => {
    const r = await runCorsgate(['serve', '--help']);
    expect(r.code).toBe(0);
    for (const flag of [
      '--upstream',
      '--allowlist',
      '--config',
      '--host',
      '--port',
      '--admin-host',
      '--admin-port',
      '--credentials',
      '--methods',
      '--request-headers',
      '--expose-headers',
      '--max-age',
      '--preflight-status',
      '--workers',
      '--tls-cert',
      '--tls-key',
      '--log-level',
      '--upstream-connections',
      '--upstream-queue-timeout',
      '--request-timeout',
      '--body-idle-timeout',
      '--public-origin',
      '--escaped-paths',
      '--dangerously-case-sensitive-routes',
      '--admin-allowed-host',
    ])
      expect(r.stdout).toContain(flag);
  });
});
