/**
 * The seventh way in: the real built `corsgate serve` process, in front of the conformance
 * application on plain node:http (no middleware), configured from the same options as the
 * adapters. Origins go to the allowlist file, the rest of the CORS configuration to `policy:`;
 * `blockDisallowedUnsafeRequests` has no field because the gateway always blocks (docs/gateway.md).
 *
 * The gateway reports its decisions in its metrics (docs/gateway.md "Metrics"): a refusal by reason
 * (`corsgate_denials_total`), an allowed request by kind (`corsgate_requests_total`). The kind names
 * the reason of an allowed decision (`not-cors`, `same-origin`), except for a CORS request, which is
 * `any-origin` when answered with `*` and `origin-allowed` otherwise (docs/engine.md "Reason codes").
 */
import { createServer } from 'node:http';
import type { CorsOptions, MiddlewareOptions } from '../../packages/corsgate/src/adapters/_shared.js';
import type { CorsConfig } from '../../packages/corsgate/src/engine/policy.js';
import { startGateway, tempDir } from '../../packages/gateway/test/helpers.js';
import { headerValues, type RawResponse, rawRequest } from './_raw-http.js';
import { listen, nodeApp, type WayIn } from './_ways-in.js';

type Counts = Map<string, number>;

/** `name{labels} value` lines of the two decision counters, keyed by `name{labels}`. */
async function decisionCounts(adminUrl: string): Promise<Counts> {
  const text = await (await fetch(`${adminUrl}/metrics`)).text();
  const counts: Counts = new Map();
  for (const line of text.split('\n')) {
    const match = /^(corsgate_(?:denials|requests)_total\{[^}]*\}) (\d+)$/.exec(line);
    if (match !== null) counts.set(match[1]!, Number(match[2]));
  }
  return counts;
}

/** The reasons of the decisions counted between two scrapes, one per request. */
function reasonsBetween(before: Counts, after: Counts, response: RawResponse): string[] {
  const grown: [string, number][] = [];
  for (const [key, n] of after) if (n > (before.get(key) ?? 0)) grown.push([key, n - (before.get(key) ?? 0)]);
  const reasons: string[] = [];
  for (const [key, n] of grown) {
    const denial = /^corsgate_denials_total\{reason="([^"]+)"\}$/.exec(key);
    if (denial !== null) for (let i = 0; i < n; i++) reasons.push(denial[1]!);
  }
  if (reasons.length > 0) return reasons;
  for (const [key, n] of grown) {
    const allowed = /^corsgate_requests_total\{kind="([^"]+)",decision="allowed"\}$/.exec(key);
    if (allowed === null) continue;
    const kind = allowed[1]!;
    const cors =
      headerValues(response, 'access-control-allow-origin')[0] === '*' ? 'any-origin' : 'origin-allowed';
    for (let i = 0; i < n; i++) reasons.push(kind === 'not-cors' || kind === 'same-origin' ? kind : cors);
  }
  return reasons;
}

export const gateway: WayIn = {
  name: 'gateway',
  async start(options: CorsOptions) {
    const {
      origins,
      blockDisallowedUnsafeRequests: _alwaysBlocks,
      ...policy
    } = options as CorsConfig & MiddlewareOptions;
    const upstream = await listen(
      createServer((req, res) => {
        try {
          nodeApp(req, res);
        } catch {
          res.statusCode = 500;
          res.end('Internal Server Error');
        }
      }),
    );
    const tmp = tempDir();
    tmp.file('allowed_origins.list', `${(origins ?? []).join('\n')}\n`);
    // JSON is YAML: the configuration file the gateway reads, written from the adapters' options.
    const config = tmp.file(
      'corsgate.yaml',
      // The rows' own origin (Host localhost:5173): the gateway takes same-origin from its
      // configuration, never from Host (docs/gateway.md "Security model").
      JSON.stringify({
        upstream: upstream.baseUrl,
        allowlist: 'allowed_origins.list',
        publicOrigins: ['http://localhost:5173'],
        policy,
      }),
    );
    const gw = await startGateway(['--config', config]);
    return {
      baseUrl: gw.url,
      async send(request) {
        const before = await decisionCounts(gw.adminUrl);
        const response = await rawRequest(gw.url, request);
        return { response, reasons: reasonsBetween(before, await decisionCounts(gw.adminUrl), response) };
      },
      async close() {
        await gw.stop();
        await upstream.close();
        tmp.remove();
      },
    };
  },
};
