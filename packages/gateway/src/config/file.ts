/**
 * The YAML config file (`corsgate serve --config`): read, parsed and checked against the schema,
 * every problem located at its line and column with the `yaml` package's node ranges.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, relative } from 'node:path';
import { formatPath } from 'corsgate/internal';
import { isNode, LineCounter, parseDocument } from 'yaml';
import { type FileConfig, fileSchema } from './schema.js';
import type { ConfigProblem } from './types.js';

/** A path in the config file: `['routes', 2, 'policy', 'methods', 0]`. */
export type Path = readonly (string | number)[];

export interface Located {
  /** Where a config path is in the file, `file:line:col`. */
  at(path: Path): string;
}

/** The file's configuration when it is valid, and where each of its paths is. */
export function readConfigFile(
  file: string,
  cwd: string,
  problems: ConfigProblem[],
): { config?: FileConfig; located?: Located } {
  const shown = displayPath(file, cwd);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    problems.push({
      code: 'CG_GATEWAY_CONFIG_UNREADABLE',
      severity: 'error',
      where: shown,
      message: `cannot read the config file: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    });
    return {};
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const pos = (offset: number): string => {
    const { line, col } = lineCounter.linePos(offset);
    return `${shown}:${line}:${col}`;
  };
  if (doc.errors.length > 0) {
    for (const e of doc.errors)
      problems.push({
        code: 'CG_GATEWAY_YAML_SYNTAX',
        severity: 'error',
        where: pos(e.pos[0]),
        message: e.message.split('\n')[0] ?? e.message,
      });
    return {};
  }
  const located: Located = {
    at(path) {
      // The deepest node that exists: a missing key is reported at its parent.
      for (let n = path.length; n >= 0; n--) {
        const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
        if (isNode(node) && node.range) return pos(node.range[0]);
      }
      return shown;
    },
  };
  const raw: unknown = doc.toJS() ?? {};
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    for (const i of parsed.error.issues) {
      const path = i.path.filter((p): p is string | number => typeof p !== 'symbol');
      const extra = i.code === 'unrecognized_keys' ? ` (${i.keys.join(', ')})` : '';
      problems.push({
        code: 'CG_GATEWAY_CONFIG_SCHEMA',
        severity: 'error',
        where: located.at(path),
        message: `${path.length > 0 ? `${formatPath(path)}: ` : ''}${i.message}${extra}`,
      });
    }
    return { located };
  }
  return { config: parsed.data, located };
}

function displayPath(file: string, cwd: string): string {
  const rel = relative(cwd, file);
  return rel.startsWith('..') || isAbsolute(rel) ? file : rel;
}
