/**
 * The environment layer of `corsgate serve`: every flag has a variable, `CORSGATE_` + the flag's
 * name in upper snake case (`--admin-port` → `CORSGATE_ADMIN_PORT`). A flag given on the command
 * line wins over its variable; a variable wins over the config file (the config loader already puts
 * flags over the file, so the variable simply stands in for a missing flag). Each value remembers
 * where it came from, so a problem names the flag or the variable the operator actually set
 * (docs/deploy.md "Configuration from the environment").
 */
import type { ConfigProblem } from './types.js';

/** The shape of one `serve` option, as node:util parseArgs takes it. */
export interface OptionShape {
  readonly type: 'string' | 'boolean';
  readonly multiple?: boolean;
}

export type OptionValue = string | boolean | string[] | undefined;

/** Variables that are not a flag's: the admin tokens, kept out of argv (docs/console.md). */
const OWN_VARIABLES = new Set(['CORSGATE_ADMIN_TOKENS']);

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off']);

/** `admin-port` → `CORSGATE_ADMIN_PORT`. */
export function envName(flag: string): string {
  return `CORSGATE_${flag.toUpperCase().replace(/-/g, '_')}`;
}

export interface Layered {
  /** The flags' values, with every flag not given filled from its variable when that is set. */
  readonly values: Record<string, OptionValue>;
  /** Option name → where its value came from: `--admin-port` or `CORSGATE_ADMIN_PORT`. */
  readonly sources: ReadonlyMap<string, string>;
  readonly problems: ConfigProblem[];
}

function fromVariable(
  name: string,
  text: string,
  shape: OptionShape,
  problems: ConfigProblem[],
): OptionValue | undefined {
  if (shape.type === 'string')
    return shape.multiple === true
      ? text
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s.length > 0)
      : text;
  const lower = text.trim().toLowerCase();
  if (TRUE.has(lower)) return true;
  if (FALSE.has(lower)) return false;
  problems.push({
    code: 'CG_GATEWAY_ENV',
    severity: 'error',
    where: name,
    message: `"${text}" is not a boolean (write true or false, 1 or 0)`,
  });
  return undefined;
}

/**
 * Fills every option the command line did not give from its `CORSGATE_*` variable. An empty
 * variable counts as unset (what `FOO=` in a compose file or unit means). A `CORSGATE_*` variable
 * that names no option is reported as a warning: a misspelt variable would otherwise do nothing.
 */
export function layerEnvironment(
  options: Readonly<Record<string, OptionShape>>,
  given: Readonly<Record<string, OptionValue>>,
  env: Readonly<Record<string, string | undefined>>,
): Layered {
  const values: Record<string, OptionValue> = { ...given };
  const sources = new Map<string, string>();
  const problems: ConfigProblem[] = [];
  const known = new Set<string>(OWN_VARIABLES);
  for (const [flag, shape] of Object.entries(options)) {
    const name = envName(flag);
    known.add(name);
    if (given[flag] !== undefined) {
      sources.set(flag, `--${flag}`);
      continue;
    }
    const text = env[name];
    if (text === undefined || text === '') continue;
    const value = fromVariable(name, text, shape, problems);
    if (value === undefined) continue;
    values[flag] = value;
    sources.set(flag, name);
  }
  for (const name of Object.keys(env))
    if (name.startsWith('CORSGATE_') && !known.has(name))
      problems.push({
        code: 'CG_GATEWAY_ENV_UNKNOWN',
        severity: 'warning',
        where: name,
        message: 'no serve option has this variable; it is ignored',
      });
  return { values, sources, problems };
}

/**
 * The config loader names a flag's problem by the flag (`--port`); when that value came from a
 * variable, the problem names the variable instead (`CORSGATE_PORT`). Problems located in the
 * config file (`corsgate.yaml:4:9`) are left as they are.
 */
export function relocate(
  problems: readonly ConfigProblem[],
  sources: ReadonlyMap<string, string>,
): ConfigProblem[] {
  return problems.map((p) => {
    if (!p.where.startsWith('--')) return p;
    const source = sources.get(p.where.slice(2));
    return source === undefined || source === p.where ? p : { ...p, where: source };
  });
}
