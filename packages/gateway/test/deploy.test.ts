/**
 * The deployment kit (docs/deploy.md), exercised as far as this machine can: the Dockerfile is
 * linted and its runtime stage's command is run from the same paths on a read-only root file
 * system, with its HEALTHCHECK; the Kubernetes objects are validated against the Kubernetes schema
 * and the Deployment's container is run with its environment, probes and a ConfigMap volume that
 * the kubelet updates; the systemd unit passes `systemd-analyze verify` and `security`, and its
 * ExecStart runs. No container runtime runs here, so no image is built (docs/deploy.md says so).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { type Copy, DockerfileParser, type Instruction } from 'dockerfile-ast';
import { validate as lintDockerfile } from 'dockerfile-utils';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { freePort, startUpstream, type TempDir, tempDir, type Upstream, waitFor } from './helpers.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../../..');
const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');

let tmp: TempDir;
let upstream: Upstream;
beforeAll(async () => {
  tmp = tempDir();
  upstream = await startUpstream();
});
afterAll(async () => {
  await upstream.close();
  tmp.remove();
});

interface Running {
  proc: ChildProcess;
  url: string;
  admin: string;
  logs: Record<string, unknown>[];
  stop(): Promise<number | null>;
}

/** Spawns a command that runs `corsgate serve` and waits for its `listening` log line. */
async function spawnListening(argv: string[], env: Record<string, string>, cwd: string): Promise<Running> {
  const proc = spawn(argv[0]!, argv.slice(1), { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: Record<string, unknown>[] = [];
  let stderr = '';
  let buffer = '';
  const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  proc.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  proc.stdout!.setEncoding('utf8').on('data', (c: string) => {
    buffer += c;
    for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
      try {
        logs.push(JSON.parse(buffer.slice(0, nl)) as Record<string, unknown>);
      } catch {
        /* not JSON */
      }
      buffer = buffer.slice(nl + 1);
    }
  });
  const stop = async (): Promise<number | null> => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };
  try {
    await Promise.race([
      waitFor(() => logs.some((l) => l['event'] === 'listening'), 15_000, 'the listening line'),
      exited.then((code) => {
        throw new Error(`exited with ${code}: ${stderr}`);
      }),
    ]);
  } catch (error) {
    proc.kill('SIGKILL');
    throw error;
  }
  const line = logs.find((l) => l['event'] === 'listening')!;
  return { proc, url: line['url'] as string, admin: line['admin'] as string, logs, stop };
}

const preflight = (url: string, origin: string): Promise<Response> =>
  fetch(`${url}/echo`, {
    method: 'OPTIONS',
    headers: { Origin: origin, 'Access-Control-Request-Method': 'GET' },
  });

describe('Dockerfile', () => {
  const text = read('Dockerfile');
  const instructions = DockerfileParser.parse(text).getInstructions();
  const lastFrom = instructions.map((i) => i.getKeyword()).lastIndexOf('FROM');
  const runtime = instructions.slice(lastFrom);
  const one = (keyword: string): Instruction => {
    const found = runtime.filter((i) => i.getKeyword() === keyword);
    expect(found, keyword).toHaveLength(1);
    return found[0]!;
  };
  const envOf = (): Record<string, string> =>
    Object.fromEntries(
      runtime
        .filter((i) => i.getKeyword() === 'ENV')
        .flatMap((i) => i.getArguments().map((a) => a.getValue()))
        .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
    );

  it('is clean under dockerfile-utils, which does flag a broken copy of it', () => {
    expect(lintDockerfile(text)).toEqual([]);
    const broken = text.replace('USER 1000:1000', 'USER').replace('--interval=10s', '--interval=ten');
    expect(lintDockerfile(broken).map((d) => d.message)).toEqual([
      'Instruction has no arguments',
      'time: invalid duration ten',
    ]);
  });

  it('builds and ships every workspace package the gateway runs on', () => {
    const workspaces = (JSON.parse(read('package.json')) as { workspaces: string[] }).workspaces.filter((w) =>
      w.startsWith('packages/'),
    );
    const copies = instructions.filter((i) => i.getKeyword() === 'COPY').map((i) => i.getArgumentsContent()!);
    for (const w of workspaces) {
      expect(copies, w).toContain(`${w}/package.json ${w}/`);
      expect(copies, w).toContain(`/src/${w}/dist ./${w}/dist`);
    }
    // `npm run build` builds every workspace package with a build script (docs/packaging.md).
    expect(text).toContain('RUN npm run build');
    for (const w of workspaces) expect(copies, w).toContain(`${w}/ ${w}/`);
  });

  it('is multi-stage; the runtime stage runs as a numeric non-root user, runs nothing at build time, has a HEALTHCHECK', () => {
    expect(instructions.filter((i) => i.getKeyword() === 'FROM').length).toBeGreaterThanOrEqual(2);
    expect(runtime[0]!.getArgumentsContent()).toMatch(/ AS runtime$/);
    const [uid, gid] = one('USER').getArgumentsContent()!.split(':').map(Number);
    expect(uid).toBeGreaterThan(0);
    expect(gid).toBeGreaterThan(0);
    expect(runtime.filter((i) => i.getKeyword() === 'RUN')).toEqual([]);
    expect(one('HEALTHCHECK').getArgumentsContent()).toMatch(/^CMD \[/);
    expect(envOf()['CORSGATE_ADMIN_PORT']).toBe('9901');
    // The HEALTHCHECK runs inside the container: loopback reaches the admin listener, no token needed.
    expect(envOf()['CORSGATE_ADMIN_HOST']).toBe('127.0.0.1');
  });

  it('runs the image command from the image paths on a read-only root file system; HEALTHCHECK passes, then fails once stopped', async () => {
    // Lay out /app as the runtime stage's COPY lines do, from the built repository.
    const app = join(tmp.dir, 'image', 'app');
    const workdir = one('WORKDIR').getArgumentsContent()!;
    expect(workdir).toBe('/app');
    for (const copy of runtime.filter((i) => i.getKeyword() === 'COPY')) {
      const args = copy.getArguments().map((a) => a.getValue());
      const fromBuild = (copy as Copy).getFromFlag()?.getValue() === 'build';
      const [source, dest] = args;
      const from = join(ROOT, fromBuild ? source!.replace(/^\/src\//, '') : source!);
      const to = resolve(app, dest!);
      mkdirSync(dirname(to), { recursive: true });
      // node_modules is linked, not copied: the same packages, without copying the dev tree.
      if (source!.endsWith('node_modules')) symlinkSync(from, to);
      else cpSync(from, to, { recursive: true });
    }
    const config = join(tmp.dir, 'image', 'config');
    mkdirSync(config);
    writeFileSync(join(config, 'allowed_origins.list'), 'https://app.example.com\n');
    const inImage = (p: string): string =>
      p.startsWith('/app/') ? join(app, p.slice(5)) : p.startsWith('/config/') ? join(config, p.slice(8)) : p;
    const env: Record<string, string> = {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      ...Object.fromEntries(Object.entries(envOf()).map(([k, v]) => [k, inImage(v)])),
      // Loopback and free ports on this shared machine; the image's 0.0.0.0:8080 otherwise.
      CORSGATE_HOST: '127.0.0.1',
      CORSGATE_PORT: '0',
      CORSGATE_ADMIN_HOST: '127.0.0.1',
      CORSGATE_ADMIN_PORT: String(await freePort()),
      CORSGATE_UPSTREAM: upstream.url,
    };
    const entry = [
      ...(JSON.parse(one('ENTRYPOINT').getArgumentsContent()!) as string[]),
      ...(JSON.parse(one('CMD').getArgumentsContent()!) as string[]),
    ].map(inImage);
    const healthcheck = (JSON.parse(one('HEALTHCHECK').getArgumentsContent()!.slice(4)) as string[]).map(
      inImage,
    );
    // docker run --read-only: the whole root file system read-only, in a mount namespace of its own.
    const readOnly = ['unshare', '--mount', '--propagation', 'private', 'sh', '-c'];
    const gw = await spawnListening(
      [...readOnly, 'mount -o remount,bind,ro / && exec "$@"', 'sh', ...entry],
      env,
      app,
    );
    try {
      const probe = await run(
        'unshare',
        [...readOnly.slice(1), 'mount -o remount,bind,ro / && touch /app-write-test', 'sh'],
        { env },
      ).catch((e: { stderr: string }) => e.stderr);
      expect(probe).toContain('Read-only file system');
      const ok = await preflight(gw.url, 'https://app.example.com');
      expect(ok.status).toBe(204);
      const get = await fetch(`${gw.url}/echo`, { headers: { Origin: 'https://app.example.com' } });
      expect(get.status).toBe(200);
      const check = await run(healthcheck[0]!, healthcheck.slice(1), { env });
      expect(check.stderr).toBe('');
    } finally {
      expect(await gw.stop()).toBe(0);
    }
    const after = await run(healthcheck[0]!, healthcheck.slice(1), { env }).then(
      () => 0,
      (e: { code: number; stderr: string }) => {
        expect(e.stderr).toContain('ECONNREFUSED');
        return e.code;
      },
    );
    expect(after).toBe(1);
  }, 40_000);
});

/** A parsed manifest, walked by its Kubernetes field names; the schema validation checks its shape. */
// biome-ignore lint/suspicious/noExplicitAny: see above; kubernetes-models validates the same objects.
type Manifest = any;

describe('Kubernetes manifests', () => {
  const docs = parseAllDocuments(read('deploy/kubernetes/corsgate.yaml')).map(
    (d) => d.toJS() as Record<string, unknown>,
  );
  const byKind = (kind: string): Manifest => docs.find((d) => d['kind'] === kind) as Manifest;

  it('validate against the Kubernetes schema (kubernetes-models), which refuses a broken copy', () => {
    expect(docs.map((d) => d['kind'])).toEqual(['ConfigMap', 'Deployment', 'Service']);
    new ConfigMap(byKind('ConfigMap')).validate();
    new Deployment(byKind('Deployment')).validate();
    new Service(byKind('Service')).validate();
    const broken = structuredClone(byKind('Deployment'));
    broken.spec.template.spec.containers[0].ports[0].containerPort = 'eighty';
    broken.spec.template.spec.containers[0].resources.requests.cpu = 'lots';
    expect(() => new Deployment(broken).validate()).toThrow(/containerPort must be integer/);
  });

  it('the Deployment: allowlist from the mounted ConfigMap, probes on the admin port, requests, locked down', () => {
    const deployment = byKind('Deployment');
    const pod = deployment.spec.template.spec;
    const container = pod.containers[0];
    const env = Object.fromEntries(
      container.env.map((e: { name: string; value: string }) => [e.name, e.value]),
    );
    // Off loopback every admin read but the probes needs a token: it comes from a Secret.
    expect(env.CORSGATE_ADMIN_HOST).toBe('0.0.0.0');
    const tokens = container.env.find((e: { name: string }) => e.name === 'CORSGATE_ADMIN_TOKENS');
    expect(tokens.valueFrom.secretKeyRef).toEqual({ name: 'corsgate-admin-tokens', key: 'tokens' });
    const adminPort = container.ports.find((p: { name: string }) => p.name === 'admin').containerPort;
    expect(String(adminPort)).toBe(env.CORSGATE_ADMIN_PORT);
    expect(container.readinessProbe.httpGet).toEqual({ path: '/ready', port: 'admin' });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/health', port: 'admin' });
    expect(container.resources.requests).toEqual({ cpu: '100m', memory: '96Mi' });
    expect(container.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    const mount = container.volumeMounts.find((m: { mountPath: string }) =>
      env.CORSGATE_ALLOWLIST.startsWith(`${m.mountPath}/`),
    );
    const volume = pod.volumes.find((v: { name: string }) => v.name === mount.name);
    expect(volume.configMap.name).toBe(byKind('ConfigMap').metadata.name);
    const key = env.CORSGATE_ALLOWLIST.slice(mount.mountPath.length + 1);
    expect(Object.keys(byKind('ConfigMap').data)).toContain(key);
  });

  it('runs the container with its environment; probes answer; a ConfigMap update is applied without a restart', async () => {
    const container = byKind('Deployment').spec.template.spec.containers[0];
    const env: Record<string, string> = Object.fromEntries(
      container.env
        .filter((e: { value?: string }) => e.value !== undefined)
        .map((e: { name: string; value: string }) => [e.name, e.value]),
    );
    // The kubelet's ConfigMap volume: files are symlinks through `..data`, swapped atomically.
    const volume = join(tmp.dir, 'k8s-config');
    const publish = (generation: number, data: Record<string, string>): void => {
      const dir = join(volume, `..2026_11_29_00_00_0${generation}.000000000`);
      mkdirSync(dir, { recursive: true });
      for (const [name, text] of Object.entries(data)) writeFileSync(join(dir, name), text);
      symlinkSync(dir.slice(volume.length + 1), join(volume, '..data_tmp'));
      renameSync(join(volume, '..data_tmp'), join(volume, '..data'));
    };
    const data = byKind('ConfigMap').data as Record<string, string>;
    publish(1, data);
    for (const name of Object.keys(data)) symlinkSync(`..data/${name}`, join(volume, name));
    const gw = await spawnListening(
      [process.execPath, join(ROOT, 'packages/gateway/dist/cli/bin.js'), ...container.args],
      {
        ...env,
        PATH: process.env['PATH'] ?? '',
        CORSGATE_ALLOWLIST: join(volume, env['CORSGATE_ALLOWLIST']!.split('/').pop()!),
        CORSGATE_UPSTREAM: upstream.url,
        CORSGATE_HOST: '127.0.0.1',
        CORSGATE_PORT: '0',
        CORSGATE_ADMIN_HOST: '127.0.0.1',
        CORSGATE_ADMIN_PORT: String(await freePort()),
        // What `kubectl create secret generic corsgate-admin-tokens` holds (docs/deploy.md).
        CORSGATE_ADMIN_TOKENS: 'ops:0123456789abcdef0123456789abcdef',
      },
      tmp.dir,
    );
    try {
      expect((await fetch(`${gw.admin}${container.readinessProbe.httpGet.path}`)).status).toBe(200);
      expect((await fetch(`${gw.admin}${container.livenessProbe.httpGet.path}`)).status).toBe(200);
      expect((await preflight(gw.url, 'https://app.example.com')).status).toBe(204);
      expect((await preflight(gw.url, 'https://new.example.com')).status).toBe(403);
      publish(2, { 'allowed_origins.list': 'https://app.example.com\nhttps://new.example.com\n' });
      await waitFor(
        async () => (await preflight(gw.url, 'https://new.example.com')).status === 204,
        5_000,
        'the updated ConfigMap to apply',
      );
    } finally {
      expect(await gw.stop()).toBe(0);
    }
  }, 30_000);
});

describe('systemd unit', () => {
  const unit = read('deploy/systemd/corsgate.service');
  // Installed at /opt/corsgate; here the built repository stands in for it.
  const local = unit.replaceAll('/opt/corsgate', ROOT).replace('/usr/bin/node', process.execPath);

  it('passes systemd-analyze verify with no message', async () => {
    const file = tmp.file('corsgate.service', local);
    const r = await run('systemd-analyze', ['verify', file]);
    expect(r.stdout + r.stderr).toBe('');
  });

  it('rates OK (exposure at most 2.0) under systemd-analyze security', async () => {
    const file = tmp.file('corsgate.service', local);
    const r = await run('systemd-analyze', ['security', '--offline=true', '--no-pager', file]);
    const score = Number(/Overall exposure level for corsgate\.service: ([\d.]+)/.exec(r.stdout)?.[1]);
    expect(score).toBeLessThanOrEqual(2.0);
    for (const setting of ['NoNewPrivileges=', 'ProtectSystem=', 'CapabilityBoundingSet=', 'PrivateTmp='])
      expect(r.stdout).toMatch(new RegExp(`✓ ${setting.replace('=', '=?')}`));
  });

  it('its ExecStart serves with its Environment= lines; ExecReload (SIGHUP) re-reads the list', async () => {
    const execStart = /^ExecStart=(.+)$/m.exec(local)![1]!.split(' ');
    const env: Record<string, string> = Object.fromEntries(
      [...local.matchAll(/^Environment=(\w+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!]),
    );
    expect(env['CORSGATE_ALLOWLIST']).toBe('/etc/corsgate/allowed_origins.list');
    const list = tmp.file('systemd.list', 'https://app.example.com\n');
    const gw = await spawnListening(
      execStart,
      {
        ...env,
        PATH: process.env['PATH'] ?? '',
        CORSGATE_ALLOWLIST: list,
        CORSGATE_UPSTREAM: upstream.url,
        CORSGATE_PORT: '0',
        CORSGATE_ADMIN_PORT: String(await freePort()),
      },
      tmp.dir,
    );
    try {
      expect((await preflight(gw.url, 'https://app.example.com')).status).toBe(204);
      gw.proc.kill('SIGHUP');
      await waitFor(() => gw.logs.some((l) => l['event'] === 'sighup'), 5_000, 'the SIGHUP line');
    } finally {
      expect(await gw.stop()).toBe(0);
    }
  }, 30_000);
});
