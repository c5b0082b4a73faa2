/**
 * `corsgate demo`: the engine deciding a handful of real example requests, printed as a table.
 * It needs nothing but the engine, so it works on a fresh clone.
 */
import { createPolicy, type RequestFacts } from 'corsgate';
import { EXIT } from '../cli/exit-codes.js';
import type { Command } from '../cli/io.js';

const config = {
  origins: ['https://app.example.com', 'https://*.example.org', 'http://localhost:*'],
  credentials: true,
  methods: ['PUT', 'DELETE'],
  requestHeaders: ['Content-Type', 'Authorization'],
  exposeHeaders: ['X-Request-Id'],
  maxAge: 600,
} as const;

const requests: { label: string; facts: RequestFacts }[] = [
  { label: 'GET from an allowed origin', facts: { method: 'GET', origin: 'https://app.example.com' } },
  {
    label: 'preflight PUT with JSON from an allowed origin',
    facts: {
      method: 'OPTIONS',
      origin: 'https://app.example.com',
      accessControlRequestMethod: 'PUT',
      accessControlRequestHeaders: 'authorization,content-type',
    },
  },
  {
    label: 'GET from a subdomain under a wildcard',
    facts: { method: 'GET', origin: 'https://shop.eu.example.org' },
  },
  { label: 'GET from the wildcard apex', facts: { method: 'GET', origin: 'https://example.org' } },
  {
    label: 'GET from a look-alike suffix',
    facts: { method: 'GET', origin: 'https://app.example.com.evil.net' },
  },
  {
    label: 'preflight PATCH (not allowed)',
    facts: { method: 'OPTIONS', origin: 'https://app.example.com', accessControlRequestMethod: 'PATCH' },
  },
  { label: 'POST from an unknown origin', facts: { method: 'POST', origin: 'https://evil.example' } },
  { label: 'GET with Origin: null', facts: { method: 'GET', origin: 'null' } },
  { label: 'GET without Origin (curl)', facts: { method: 'GET' } },
];

export const demo: Command = async (_argv, io) => {
  const policy = createPolicy(config);
  io.stdout.write(`corsgate demo: policy ${JSON.stringify(policy.config().origins)}, credentials on\n\n`);
  for (const { label, facts } of requests) {
    const d = policy.evaluate(facts);
    const verdict = d.allowed ? 'allowed' : 'refused';
    const status = d.status === undefined ? '' : ` ${d.status}`;
    io.stdout.write(`${label}\n  ${d.kind}${status} ${verdict} (${d.reason})\n`);
    for (const [name, value] of Object.entries(d.headers)) io.stdout.write(`  ${name}: ${value}\n`);
    if (d.vary.length > 0) io.stdout.write(`  Vary: ${d.vary.join(', ')}\n`);
  }
  return EXIT.OK;
};
