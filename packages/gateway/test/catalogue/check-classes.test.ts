/**
 * `check` names the catalogue class of the step that blocks a request (`TraceStep.classId`), the
 * same id `explain` gives the browser's console message and docs/failures.md describes.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClassId } from '../../src/catalogue/classes.js';
import { checkRequest } from '../../src/check/check-request.js';

const APP = 'https://app.example';
type Answer = (req: IncomingMessage, res: ServerResponse) => void;
const preflight =
  (headers: Record<string, string>, status = 204): Answer =>
  (req, res) => {
    if (req.method === 'OPTIONS') res.writeHead(status, headers).end();
    else res.writeHead(200, { 'Access-Control-Allow-Origin': APP }).end('ok');
  };

const CASES: readonly [
  ClassId,
  Answer,
  { method?: string; credentials?: boolean; headers?: [string, string][] },
][] = [
  ['acao-missing', (_q, res) => res.end('ok'), {}],
  [
    'acao-mismatch',
    (_q, res) => res.writeHead(200, { 'Access-Control-Allow-Origin': 'https://other.example' }).end(),
    {},
  ],
  [
    'acao-duplicate',
    (_q, res) => res.writeHead(200, { 'Access-Control-Allow-Origin': [APP, APP] }).end(),
    {},
  ],
  [
    'wildcard-with-credentials',
    (_q, res) => res.writeHead(200, { 'Access-Control-Allow-Origin': '*' }).end(),
    { credentials: true },
  ],
  [
    'credentials-not-allowed',
    (_q, res) => res.writeHead(200, { 'Access-Control-Allow-Origin': APP }).end(),
    { credentials: true },
  ],
  ['method-not-allowed', preflight({ 'Access-Control-Allow-Origin': APP }), { method: 'PUT' }],
  ['header-not-allowed', preflight({ 'Access-Control-Allow-Origin': APP }), { headers: [['X-Token', '1']] }],
  ['preflight-status', preflight({ 'Access-Control-Allow-Origin': APP }, 405), { method: 'PUT' }],
  [
    'preflight-redirect',
    preflight({ 'Access-Control-Allow-Origin': APP, Location: '/x' }, 307),
    { method: 'PUT' },
  ],
];

const servers: Server[] = [];
const urls = new Map<ClassId, string>();
beforeAll(async () => {
  for (const [id, answer] of CASES) {
    const server = createServer(answer);
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    urls.set(id, `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`);
  }
});
afterAll(() => {
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
});

describe.concurrent('check names the failure class of the step that blocks', () => {
  it.each(CASES)('%s', async (id, _answer, request) => {
    const trace = await checkRequest({ url: urls.get(id)!, origin: APP, ...request, probeVary: false });
    expect(trace.verdict).toBe('blocked');
    expect(trace.steps.filter((s) => s.status === 'fail').map((s) => s.classId)).toContain(id);
  });
});
