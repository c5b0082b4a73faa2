/**
 * Reading a HAR 1.2 file (http://www.softwareishard.com/blog/har-12-spec/) as Chromium, Firefox and
 * Safari export it from their network panels, into the exchanges `explain --har` replays
 * (docs/cli.md "explain --har"). Only what the replay needs is kept; anything a browser adds with
 * a leading underscore is optional, and a file without it is read the same way.
 */
import { type HeaderLines, trimOws } from '../browser-model/index.js';

/** The stable codes of a HAR that cannot be read (docs/errors.md). */
export const HAR_CODES = {
  CG_HAR_UNREADABLE: { severity: 'error', summary: 'the file cannot be read' },
  CG_HAR_NOT_JSON: { severity: 'error', summary: 'the file is not JSON' },
  CG_HAR_NOT_HAR: { severity: 'error', summary: 'the JSON has no log.entries array' },
  CG_HAR_ENTRY_INVALID: { severity: 'error', summary: 'an entry has no request method or URL' },
} as const;

export type HarCode = keyof typeof HAR_CODES;

export interface HarProblem {
  readonly code: HarCode;
  readonly message: string;
}

export type HarEngine = 'chromium' | 'firefox' | 'safari' | 'unknown';

/** One request of the file and its response, as the replay needs them. */
export interface HarExchange {
  /** The entry's position in `log.entries` (0-based), for SARIF locations and messages. */
  readonly index: number;
  readonly method: string;
  readonly url: string;
  readonly requestHeaders: HeaderLines;
  /** 0 when the browser recorded no response (blocked, or never answered). */
  readonly status: number;
  readonly responseHeaders: HeaderLines;
  /** The browser's error text (Chromium's `_error`: `net::ERR_FAILED`, `net::ERR_…`). */
  readonly error: string | undefined;
  /** Chromium's DevTools protocol `corsErrorStatus.corsError`, when the file carries it. */
  readonly corsError: string | undefined;
  /** Chromium's `_resourceType` (`fetch`, `xhr`, `preflight`, …), when present. */
  readonly resourceType: string | undefined;
  /** Milliseconds since the epoch, from `startedDateTime`; NaN when absent. */
  readonly started: number;
  readonly serverIp: string | undefined;
  /** The page the request was made from, when the file says: its `pageref`'s page, else the last document loaded before it. */
  readonly pageUrl: string | undefined;
}

export interface HarFile {
  readonly engine: HarEngine;
  /** `log.creator.name` and version, as the file says. */
  readonly creator: string;
  readonly exchanges: readonly HarExchange[];
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** HAR `headers` (`[{name, value}]`) → lower-case name → every value, in order. */
function headerLines(list: unknown): Map<string, string[]> {
  const lines = new Map<string, string[]>();
  if (!Array.isArray(list)) return lines;
  for (const item of list) {
    if (!isObject(item) || typeof item['name'] !== 'string' || typeof item['value'] !== 'string') continue;
    // HTTP/2 pseudo-headers (`:authority`) are framing, not headers.
    if (item['name'].startsWith(':')) continue;
    const name = item['name'].toLowerCase();
    const value = trimOws(item['value']);
    const known = lines.get(name);
    if (known === undefined) lines.set(name, [value]);
    else known.push(value);
  }
  return lines;
}

/** Which engine wrote the file: its creator, else the User-Agent of its first request. */
function engineOf(log: Json, entries: readonly Json[]): HarEngine {
  const creator = isObject(log['creator']) ? String(log['creator']['name'] ?? '') : '';
  const browser = isObject(log['browser']) ? String(log['browser']['name'] ?? '') : '';
  const said = `${creator} ${browser}`.toLowerCase();
  if (said.includes('firefox')) return 'firefox';
  if (said.includes('webkit') || said.includes('safari')) return 'safari';
  if (said.includes('webinspector') || said.includes('chrom')) return 'chromium';
  for (const entry of entries) {
    const request = entry['request'];
    const ua = isObject(request) ? (headerLines(request['headers']).get('user-agent')?.[0] ?? '') : '';
    if (/Firefox\//.test(ua)) return 'firefox';
    if (/Chrom(e|ium)\//.test(ua)) return 'chromium';
    if (/Version\/[\d.]+ Safari\//.test(ua)) return 'safari';
  }
  return 'unknown';
}

function exchangeOf(entry: unknown, index: number, pageUrl: string | undefined): HarExchange | HarProblem {
  const request = isObject(entry) ? entry['request'] : undefined;
  if (
    !isObject(entry) ||
    !isObject(request) ||
    typeof request['method'] !== 'string' ||
    typeof request['url'] !== 'string'
  )
    return {
      code: 'CG_HAR_ENTRY_INVALID',
      message: `log.entries[${index}] has no request.method and request.url strings`,
    };
  const response = isObject(entry['response']) ? entry['response'] : {};
  const status = typeof response['status'] === 'number' && response['status'] > 0 ? response['status'] : 0;
  const error =
    typeof response['_error'] === 'string' && response['_error'] !== '' ? response['_error'] : undefined;
  const cors = isObject(response['_corsErrorStatus']) ? response['_corsErrorStatus']['corsError'] : undefined;
  return {
    index,
    method: request['method'].toUpperCase(),
    url: request['url'],
    requestHeaders: headerLines(request['headers']),
    status,
    responseHeaders: headerLines(response['headers']),
    error,
    corsError: typeof cors === 'string' ? cors : undefined,
    resourceType: typeof entry['_resourceType'] === 'string' ? entry['_resourceType'] : undefined,
    started: typeof entry['startedDateTime'] === 'string' ? Date.parse(entry['startedDateTime']) : Number.NaN,
    serverIp: typeof entry['serverIPAddress'] === 'string' ? entry['serverIPAddress'] : undefined,
    pageUrl,
  };
}

/** `log.pages`: id → title, when the title is a URL (Chromium and Firefox title a page by its URL). */
function pageTitles(log: Json): Map<string, string> {
  const pages = new Map<string, string>();
  if (!Array.isArray(log['pages'])) return pages;
  for (const page of log['pages']) {
    if (!isObject(page) || typeof page['id'] !== 'string' || typeof page['title'] !== 'string') continue;
    if (/^https?:\/\//.test(page['title'])) pages.set(page['id'], page['title']);
  }
  return pages;
}

/** Parses a HAR's text; a problem with a stable code when it is not JSON or not a HAR. */
export function readHar(text: string): HarFile | HarProblem {
  let json: unknown;
  try {
    json = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    return {
      code: 'CG_HAR_NOT_JSON',
      message: `the file is not JSON (${error instanceof Error ? error.message : String(error)}); export the HAR again from the browser's network panel`,
    };
  }
  const log = isObject(json) ? json['log'] : undefined;
  if (!isObject(log) || !Array.isArray(log['entries']))
    return {
      code: 'CG_HAR_NOT_HAR',
      message:
        'the JSON has no log.entries array, so it is not a HAR (in the network panel: right-click a request, "Save all as HAR" / "Export HAR")',
    };
  const entries = log['entries'] as unknown[];
  const pages = pageTitles(log);
  const exchanges: HarExchange[] = [];
  let lastDocument: string | undefined;
  for (const [index, entry] of entries.entries()) {
    const ref =
      isObject(entry) && typeof entry['pageref'] === 'string' ? pages.get(entry['pageref']) : undefined;
    const exchange = exchangeOf(entry, index, ref ?? lastDocument);
    if ('code' in exchange) return exchange;
    if (exchange.resourceType === 'document' && exchange.status > 0) lastDocument = exchange.url;
    exchanges.push(exchange);
  }
  const creator = isObject(log['creator'])
    ? `${String(log['creator']['name'] ?? '')} ${String(log['creator']['version'] ?? '')}`.trim()
    : '';
  return { engine: engineOf(log, entries.filter(isObject)), creator, exchanges };
}
