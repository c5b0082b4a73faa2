/**
 * The response family of `corsgate scan` (docs/cli.md "What it finds"): what the answers already
 * received show about how the server builds its CORS headers (two Access-Control-Allow-Origin
 * lines, a refusal that is a server error), and one GET with a token no server accepts, to see
 * whether the authentication error keeps the CORS headers.
 */
import { getHeader } from '../browser-model/index.js';
import type { Reply } from '../probe/prober.js';
import { allows, type OriginAnswer, originOf, type ScanContext } from './context.js';

/** A bearer token no server issues: the answer is the API's authentication error. */
export const INVALID_TOKEN = 'Bearer corsgate-scan-invalid-token';

/** Any answer with more than one Access-Control-Allow-Origin line (R10.1: it matches nothing). */
export function judgeDuplicateOrigin(ctx: ScanContext, answers: readonly Reply[]): void {
  for (const a of answers) {
    const lines = a.lines.get('access-control-allow-origin') ?? [];
    if (lines.length < 2) continue;
    ctx.add(
      'acao-duplicate',
      false,
      `the answer to ${originOf(a)} has ${lines.length} Access-Control-Allow-Origin lines (${lines.map((v) => `"${v}"`).join(', ')}); browsers join them into "${lines.join(', ')}", which is no origin`,
      a.trace,
    );
    return;
  }
}

/** An origin the server refuses gets a 5xx, where the same GET from an allowed origin does not. */
export function judgeRefusalError(
  ctx: ScanContext,
  refused: readonly OriginAnswer[],
  allowed: OriginAnswer,
): void {
  if (allowed.answer.status >= 500) return;
  for (const { origin, answer } of refused) {
    if (answer.status < 500 || allows(answer, origin)) continue;
    ctx.add(
      'refusal-5xx',
      false,
      `the GET from ${origin} was answered ${answer.status}, the same GET from ${allowed.origin} ${allowed.answer.status}: the refusal is a server error`,
      answer.trace,
    );
    return;
  }
}

/** The GET from an allowed origin with a token no server accepts: does the 401 keep the headers? */
export async function authErrorProbe(ctx: ScanContext, allowed: OriginAnswer): Promise<void> {
  const answer = await ctx.prober.get([
    ['Authorization', INVALID_TOKEN],
    ['Origin', allowed.origin],
  ]);
  if ('error' in answer || answer.status < 400 || allows(answer, allowed.origin)) return;
  ctx.add(
    'errors-without-cors',
    false,
    `the GET from ${allowed.origin} is allowed, but with an invalid bearer token it was answered ${answer.status} with Access-Control-Allow-Origin: ${getHeader(answer.lines, 'access-control-allow-origin') ?? '(absent)'}`,
    answer.trace,
  );
}
