/**
 * `corsgate suggest --from http://ADMIN`: a proposed allowlist from the origins a running gateway
 * has seen (`GET /origins`, allowed and refused, with counts), printed in the file format with a
 * comment per entry: the way off `*` (docs/console.md "Report-only"). The proposal is linted
 * with the engine: an origin that cannot be listed (`null`, a malformed value, plain `http://`
 * with `--credentials`) is printed as a comment saying why, never as an entry.
 */
import { parseSerializedOrigin } from 'corsgate';
import { parseAllowlist } from 'corsgate/allowlist';
import { parseCommandArgs } from '../cli/args.js';
import { EXIT } from '../cli/exit-codes.js';
import type { Command } from '../cli/io.js';

export const SUGGEST_HELP = `Usage: corsgate suggest --from http://ADMIN [options]

Prints a proposed allowlist from the origins a running gateway has seen (allowed and refused),
most requests first, one entry a line with a comment giving its counts and when it was seen.

Options:
  --from URL        the gateway's admin listener, e.g. http://127.0.0.1:9901 (required)
  --token TOKEN     an admin token (or CORSGATE_ADMIN_TOKEN); needed off loopback
  --credentials     lint the proposal as for --credentials (plain http:// origins become comments)
  --min N           leave out origins seen fewer than N times (default 1)
  -h, --help

Exit codes: 0 printed, 2 bad arguments or the gateway cannot be read.
`;

interface Seen {
  readonly origin: string;
  readonly allowed: number;
  readonly refused: number;
  readonly firstSeen: string;
  readonly lastSeen: string;
}

/** One-line, comment-safe text of an arbitrary value a browser sent. */
function safe(value: string): string {
  return JSON.stringify(value.slice(0, 200));
}

export function proposeList(seen: readonly Seen[], from: string, credentials: boolean, min: number): string {
  const ranked = [...seen]
    .filter((s) => s.allowed + s.refused >= min)
    .sort((a, b) => b.allowed + b.refused - (a.allowed + a.refused) || a.origin.localeCompare(b.origin));
  const lines: string[] = [];
  const skipped: string[] = [];
  for (const s of ranked) {
    const total = s.allowed + s.refused;
    const note = `${total} requests (${s.allowed} allowed, ${s.refused} refused), first seen ${s.firstSeen}, last seen ${s.lastSeen}`;
    // Only an origin exactly as browsers serialize it, that lints clean on its own, becomes an entry.
    const serialized = parseSerializedOrigin(s.origin) !== null;
    const error = parseAllowlist(`${s.origin.replace(/[\r\n#]/g, ' ')}\n`, { credentials }).errors[0];
    // The file format has no trailing comments: the note goes on its own line, above the entry.
    if (serialized && error === undefined) lines.push(`# ${note}`, s.origin);
    else
      skipped.push(
        `# not listed: ${safe(s.origin)}: ${error?.code ?? 'not an Origin value a browser sends (origin-malformed)'}; ${note}`,
      );
  }
  const header = [
    `# proposed by corsgate suggest from ${from} at ${new Date().toISOString()}`,
    `# ${lines.length / 2} origins seen${min > 1 ? ` at least ${min} times` : ''}; review each before applying`,
  ];
  return `${[...header, ...lines, ...(skipped.length > 0 ? ['', ...skipped] : [])].join('\n')}\n`;
}

export const suggest: Command = async (argv, io) => {
  const parsed = parseCommandArgs(
    'suggest',
    argv,
    {
      from: { type: 'string' },
      token: { type: 'string' },
      credentials: { type: 'boolean' },
      min: { type: 'string' },
    },
    SUGGEST_HELP,
    io,
    false,
  );
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  const min = Number(values.min ?? '1');
  if (values.from === undefined || !/^https?:\/\//.test(values.from) || !Number.isInteger(min) || min < 1) {
    io.stderr.write(
      `corsgate suggest: --from http://ADMIN is required; --min is a whole number >= 1\n\n${SUGGEST_HELP}`,
    );
    return EXIT.INVALID;
  }
  const from = values.from.replace(/\/+$/, '');
  const token = values.token ?? io.env['CORSGATE_ADMIN_TOKEN'];
  let seen: Seen[];
  try {
    const res = await fetch(`${from}/origins?limit=10000`, {
      headers: token === undefined ? {} : { Authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(10_000),
    });
    if (res.status !== 200) {
      io.stderr.write(
        `corsgate suggest: ${from}/origins answered ${res.status}${res.status === 401 ? ' (give --token)' : ''}\n`,
      );
      return EXIT.INVALID;
    }
    seen = ((await res.json()) as { origins: Seen[] }).origins;
  } catch (error) {
    io.stderr.write(`corsgate suggest: cannot read ${from}/origins: ${(error as Error).message}\n`);
    return EXIT.INVALID;
  }
  io.stdout.write(proposeList(seen, from, values.credentials === true, min));
  return EXIT.OK;
};
