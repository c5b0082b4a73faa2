/**
 * The legacy Private Network Access preflight (docs/cli.md "What it finds",
 * `private-network-any-origin`): does the server let an origin it has never heard of reach it?
 * Chromium shipped the `Access-Control-Request-Private-Network` preflight before Local Network
 * Access; servers that grant it to anyone are still deployed.
 */
import { getHeader } from '../browser-model/index.js';
import { allows, allowsWithCredentials, type ScanContext } from './context.js';
import { REFLECTION_PROBE } from './probes.js';

export async function privateNetworkProbe(ctx: ScanContext): Promise<void> {
  const answer = await ctx.prober.preflight(REFLECTION_PROBE, 'GET', null, [
    ['Access-Control-Request-Private-Network', 'true'],
  ]);
  if ('error' in answer) return;
  const granted = getHeader(answer.lines, 'access-control-allow-private-network');
  if (granted?.toLowerCase() !== 'true' || !allows(answer, REFLECTION_PROBE)) return;
  const credentials = allowsWithCredentials(answer, REFLECTION_PROBE);
  ctx.add(
    'private-network-any-origin',
    credentials,
    `a Private Network Access preflight from ${REFLECTION_PROBE} got Access-Control-Allow-Private-Network: ${granted} with Access-Control-Allow-Origin: ${getHeader(answer.lines, 'access-control-allow-origin')}${credentials ? ' and credentials' : ''}`,
    answer.trace,
  );
}
