/** ANSI styling that is a no-op unless colour is on (a TTY and no NO_COLOR; see `useColour`). */
import { escapeControlCharacters } from 'corsgate/internal';

export interface Style {
  readonly red: (s: string) => string;
  readonly green: (s: string) => string;
  readonly yellow: (s: string) => string;
  readonly dim: (s: string) => string;
  readonly bold: (s: string) => string;
}

export function style(colour: boolean): Style {
  const wrap = (open: number, close: number) => (s: string) =>
    colour ? `\x1b[${open}m${s}\x1b[${close}m` : s;
  return {
    red: wrap(31, 39),
    green: wrap(32, 39),
    yellow: wrap(33, 39),
    dim: wrap(2, 22),
    bold: wrap(1, 22),
  };
}

/**
 * A copy of plain data (a trace, a report) with every string escaped for a terminal: C0 and C1
 * controls, DEL and bidirectional overrides become visible escapes (`\x1b`, `\x9b`, `\u202e`).
 * A server's header lines reach the output through these strings, and a C1 control such as U+009B
 * (CSI) drives a terminal as ESC [ does (docs/cli.md: piped output never carries escape codes).
 * Applied before styling, so the only escape codes printed are the colours `style` adds.
 */
export function printable<T>(value: T): T {
  if (typeof value === 'string') return escapeControlCharacters(value) as T;
  if (Array.isArray(value)) return value.map((v) => printable(v)) as T;
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) out[key] = printable(v);
  return out as T;
}
