/**
 * `runScan`: sends a bounded set of probes to a live API and reports each CORS misconfiguration
 * it proves, judged by the same browser model `corsgate check` uses (`corsCheck`: would a browser
 * hand this origin the response, with or without credentials?).
 */
import { corsCheck, getHeader, type HeaderLines, varyCoversOrigin } from '../browser-model/index.js';
import type { ClassId } from '../catalogue/classes.js';
import { echoes, type Finding, finding, type OriginProbe, originFinding } from '../catalogue/finding.js';
import type { ConnectOptions } from '../probe/http.js';
import { Prober, type Reply } from '../probe/prober.js';
import type { ExchangeTrace } from '../probe/trace.js';
import { allows, type OriginAnswer, originOf, type ScanContext } from './context.js';
import { type FindingId, SEVERITIES } from './findings.js';
import { isInternalHost } from './internal-host.js';
import { judgeDeclaredWildcard } from './origin-variants.js';
import { preflightProbes } from './preflight-probes.js';
import { privateNetworkProbe } from './private-network.js';
import { IP_HOST, originProbes, parseTrustedOrigin, REFLECTION_PROBE, type TrustedOrigin } from './probes.js';
import { authErrorProbe, judgeDuplicateOrigin, judgeRefusalError } from './response-probes.js';
import { webSocketProbe } from './websocket-probe.js';

export { PROBE_HEADER, PROBE_METHOD } from './preflight-probes.js';

export interface ScanOptions {
  readonly url: string;
  /** The origins that should be trusted (`--origin`): exact, or `scheme://*.domain`. At most 4. */
  readonly trusted?: readonly string[];
  /** Milliseconds to wait between two requests. Default 0. */
  readonly delayMs?: number;
  /** A deadline for each whole exchange (status, headers and body), not an idle timer. Default 10000 ms. */
  readonly timeoutMs?: number;
  readonly connect?: ConnectOptions;
}

export type { Finding } from '../catalogue/finding.js';

export interface ScanReport {
  readonly url: string;
  readonly trusted: readonly string[];
  /** Requests sent. */
  readonly requests: number;
  /** Most severe first. */
  readonly findings: readonly Finding[];
  /** What the scan could not test, and why. */
  readonly notes: readonly string[];
  readonly error?: { readonly code: 'bad-input' | 'unreachable'; readonly message: string };
}

export const MAX_TRUSTED_ORIGINS = 4;
/**
 * Classes a looser check shows as a matter of course: a server that reflects every origin allows
 * every look-alike; `includes` lets in what `startsWith` and a subdomain would; `startsWith` lets
 * in the special-character look-alikes; `endsWith(domain)` every subdomain. Only the loosest is
 * reported, so each finding names one mistake to fix.
 */
const IMPLIES: ReadonlyMap<FindingId, readonly FindingId[]> = new Map<FindingId, FindingId[]>([
  [
    'origin-reflected',
    [
      'null-trusted',
      'prefix-match',
      'suffix-match',
      'substring-match',
      'unescaped-dot',
      'special-characters',
      'subdomain-trusted',
      'insecure-origin-trusted',
      'origin-not-normalised',
      'host-characters',
      'public-suffix-wildcard',
      'shared-hosting-trusted',
    ],
  ],
  [
    'substring-match',
    ['prefix-match', 'special-characters', 'subdomain-trusted', 'origin-not-normalised', 'host-characters'],
  ],
  ['prefix-match', ['special-characters', 'origin-not-normalised', 'host-characters']],
  ['public-suffix-wildcard', ['suffix-match', 'subdomain-trusted']],
  ['suffix-match', ['subdomain-trusted', 'origin-not-normalised']],
  // A host pattern that stops at $ + & stops at ` } ! too: one regular expression to fix.
  ['host-characters', ['special-characters']],
]);

/**
 * Scans one URL. Never throws for bad input or an unreachable server: the report says so.
 * @example
 * const report = await runScan({ url: 'https://api.example.com/me', trusted: ['https://app.example.com'] });
 * report.findings.map((f) => `${f.severity} ${f.id}`);
 */
export async function runScan(options: ScanOptions): Promise<ScanReport> {
  const trustedText = options.trusted ?? [];
  const bad = (message: string): ScanReport => ({
    url: options.url,
    trusted: trustedText,
    requests: 0,
    findings: [],
    notes: [],
    error: { code: 'bad-input', message },
  });
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    return bad(`"${options.url}" is not a URL`);
  }
  // A WebSocket URL is scanned over its http(s) twin: the handshake is a GET to the same place.
  if (url.protocol === 'ws:' || url.protocol === 'wss:') url = new URL(`http${url.href.slice(2)}`);
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return bad('only http:, https:, ws: and wss: URLs can be scanned');
  url.hash = '';
  if (trustedText.length > MAX_TRUSTED_ORIGINS)
    return bad(`at most ${MAX_TRUSTED_ORIGINS} --origin values (each adds a dozen probes)`);
  const trusted: TrustedOrigin[] = [];
  for (const t of trustedText) {
    const parsed = parseTrustedOrigin(t);
    if (typeof parsed === 'string') return bad(parsed);
    trusted.push(parsed);
  }
  const prober = new Prober(url, options.delayMs ?? 0, options.timeoutMs ?? 10_000, options.connect ?? {});
  const scan = new Scan(url, trusted, prober);
  const reachable = await scan.run();
  const findings = scan.sortedFindings();
  const report: ScanReport = {
    url: url.href,
    trusted: trustedText,
    requests: prober.sent,
    findings,
    notes: scan.notes,
  };
  return reachable === undefined ? report : { ...report, error: { code: 'unreachable', message: reachable } };
}

/** One scan's state: the answers so far and what they proved. */
class Scan implements ScanContext {
  readonly notes: string[] = [];
  private readonly findings = new Map<ClassId, Finding>();

  constructor(
    readonly url: URL,
    private readonly trusted: readonly TrustedOrigin[],
    readonly prober: Prober,
  ) {}

  note(text: string): void {
    this.notes.push(text);
  }

  /** @returns undefined, or why the server could not be reached. */
  async run(): Promise<string | undefined> {
    const plain = await this.prober.get([]);
    if ('error' in plain) return plain.error;
    const allowed = await this.trustedAnswers();
    const answers = await this.originAnswers();
    const all = [plain, ...allowed.map((x) => x.answer), ...answers.map((x) => x.answer)];
    for (const a of all) this.judgeWildcard(a);
    judgeDuplicateOrigin(this, all);
    await privateNetworkProbe(this);
    await webSocketProbe(this);
    this.judgePrivateNetwork([
      ...allowed,
      ...answers.map((x) => ({ origin: x.probe.origin, answer: x.answer })),
    ]);
    const reflected = answers.find(
      (x) => x.probe.origin === REFLECTION_PROBE && echoes(x.answer, REFLECTION_PROBE),
    );
    const first =
      allowed.find((x) => allows(x.answer, x.origin)) ??
      (reflected === undefined ? undefined : { origin: REFLECTION_PROBE, answer: reflected.answer });
    if (first === undefined) {
      this.notes.push(
        this.trusted.length === 0
          ? 'no origin was allowed, so the preflight, Vary and error-response checks were skipped (give the origins that should be trusted with --origin)'
          : 'none of the --origin values was allowed, so the Vary and error-response checks were skipped',
      );
      // The preflights still tell why: one not handled, or allowed where the GET is not.
      if (allowed[0] !== undefined) await preflightProbes(this, allowed[0].origin, allowed[0].answer);
      return undefined;
    }
    const refused = answers
      .filter((x) => !allows(x.answer, x.probe.origin))
      .map((x) => ({ origin: x.probe.origin, answer: x.answer }));
    this.judgeVary(first, [plain, ...refused.map((x) => x.answer)]);
    judgeRefusalError(this, refused, first);
    await preflightProbes(this, first.origin, first.answer);
    await this.errorResponse(first.origin);
    await authErrorProbe(this, first);
    return undefined;
  }

  /** Sends every origin probe and judges each answer on its own. */
  private async originAnswers(): Promise<{ probe: OriginProbe; answer: Reply }[]> {
    const bases = this.trusted.length > 0 ? this.trusted.map((t) => t.host) : [this.url.hostname];
    for (const host of bases.filter((h) => IP_HOST.test(h)))
      this.notes.push(
        `no look-alikes of ${host} were sent: an IP address has none a browser would send${this.trusted.length === 0 ? ' (give the origins that should be trusted with --origin)' : ''}`,
      );
    const answers: { probe: OriginProbe; answer: Reply }[] = [];
    for (const probe of originProbes(this.url, this.trusted)) {
      const answer = await this.prober.get([['Origin', probe.origin]]);
      if ('error' in answer) {
        this.notes.push(`the probe with Origin ${probe.origin} got no answer (${answer.error})`);
        continue;
      }
      answers.push({ probe, answer });
      this.judgeOrigin(probe, answer);
    }
    return answers;
  }

  /**
   * Most severe first, without the classes that follow from a looser one (IMPLIES), which the
   * notes name instead.
   */
  sortedFindings(): Finding[] {
    const implied = new Set<ClassId>();
    for (const [loosest, consequences] of IMPLIES)
      if (this.findings.has(loosest) && !implied.has(loosest))
        for (const c of consequences)
          if (this.findings.has(c) && !implied.has(c)) {
            implied.add(c);
            this.notes.push(
              `${c} follows from ${loosest} and is not reported apart: fixing ${loosest} fixes it`,
            );
          }
    return [...this.findings.values()]
      .filter((f) => !implied.has(f.id))
      .sort((a, b) => SEVERITIES.indexOf(b.severity) - SEVERITIES.indexOf(a.severity));
  }

  /** The answer each trusted origin gets (a wildcard is represented by one of its subdomains). */
  private async trustedAnswers(): Promise<{ origin: string; answer: Reply }[]> {
    const out: { origin: string; answer: Reply }[] = [];
    for (const t of this.trusted) {
      const origin = t.wildcard ? `${t.scheme}://corsgate-scan.${t.host}${t.port}` : t.text;
      const answer = await this.prober.get([['Origin', origin]]);
      if ('error' in answer) {
        this.notes.push(`the probe with the trusted Origin ${origin} got no answer (${answer.error})`);
        continue;
      }
      if (!allows(answer, origin)) this.notes.push(`the trusted origin ${origin} is not allowed by this URL`);
      else if (t.wildcard) judgeDeclaredWildcard(this, t, origin, answer);
      out.push({ origin, answer });
    }
    return out;
  }

  add(id: FindingId, credentials: boolean, message: string, probe: ExchangeTrace): void {
    if (!this.findings.has(id)) this.findings.set(id, finding(id, credentials, message, probe));
  }

  private judgeOrigin(probe: OriginProbe, answer: Reply): void {
    const found = originFinding(probe, answer);
    if (found !== undefined && !this.findings.has(found.id)) this.findings.set(found.id, found);
  }

  private judgeWildcard(answer: Reply): void {
    const acac = getHeader(answer.lines, 'access-control-allow-credentials');
    if (getHeader(answer.lines, 'access-control-allow-origin') !== '*' || acac === null) return;
    this.add(
      'wildcard-with-credentials',
      false,
      `the server answered Access-Control-Allow-Origin: * with Access-Control-Allow-Credentials: ${acac}`,
      answer.trace,
    );
  }

  /** An internal API that lets a public origin read with credentials. */
  private judgePrivateNetwork(answers: readonly { origin: string; answer: Reply }[]): void {
    if (!isInternalHost(this.url.hostname)) return;
    for (const { origin, answer } of answers) {
      if (origin === 'null' || !corsCheck(answer.lines, origin, true).ok) continue;
      if (!URL.canParse(origin) || isInternalHost(new URL(origin).hostname)) continue;
      this.add(
        'private-network-credentials',
        true,
        `${this.url.hostname} is an internal host and allowed the public Origin ${origin} with credentials`,
        answer.trace,
      );
      return;
    }
  }

  /** R24: an allowed origin's answer differs from another's (or none), and Vary lacks Origin. */
  private judgeVary(allowed: OriginAnswer, others: readonly Reply[]): void {
    const signature = (l: HeaderLines) =>
      ['access-control-allow-origin', 'access-control-allow-credentials']
        .map((n) => getHeader(l, n))
        .join('\n');
    const mine = signature(allowed.answer.lines);
    for (const other of others) {
      // A 5xx is not stored by a cache without explicit freshness (RFC 9111 §4.2.2): no mix-up.
      if (signature(other.lines) === mine || other.status >= 500) continue;
      const missing = [allowed.answer, other].find((a) => !varyCoversOrigin(a.lines));
      if (missing === undefined) continue;
      this.add(
        'vary-missing',
        false,
        `Access-Control-Allow-Origin is "${getHeader(allowed.answer.lines, 'access-control-allow-origin')}" for ${allowed.origin} and "${getHeader(other.lines, 'access-control-allow-origin') ?? '(absent)'}" for ${originOf(other)}, and the response to ${originOf(missing)} has Vary: ${getHeader(missing.lines, 'vary') ?? '(absent)'}`,
        missing.trace,
      );
      return;
    }
  }

  /** A missing resource next to the URL, from an allowed origin: does the error keep the CORS headers? */
  private async errorResponse(origin: string): Promise<void> {
    const missing = new URL('corsgate-scan-missing', this.url);
    const answer = await this.prober.get([['Origin', origin]], missing);
    if ('error' in answer) return;
    if (answer.status < 400) {
      this.notes.push(
        `${missing.pathname} answered ${answer.status}, so error responses could not be checked`,
      );
      return;
    }
    if (corsCheck(answer.lines, origin, false).ok) return;
    this.add(
      'errors-without-cors',
      false,
      `${this.url.pathname} allows ${origin}, but the ${answer.status} for ${missing.pathname} has Access-Control-Allow-Origin: ${getHeader(answer.lines, 'access-control-allow-origin') ?? '(absent)'}`,
      answer.trace,
    );
  }
}
