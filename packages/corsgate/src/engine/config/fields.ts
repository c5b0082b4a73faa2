/**
 * Reading the configuration object's fields: which fields exist, and each field's type. A field of
 * the wrong type is reported (`CG_CONFIG_TYPE`) and read as its closed default, so the rest of the
 * configuration is still checked and every problem is reported at once.
 */
import { type ConfigIssue, issue } from '../errors.js';
import { foreignOptionHint } from '../foreign-options.js';

export const BOOLEAN_FIELDS = [
  'credentials',
  'privateNetwork',
  'debug',
  'dangerouslyAllowNullOrigin',
  'dangerouslyAllowInsecureOrigins',
  'dangerouslyAllowPublicSuffixWildcards',
] as const;
export const LIST_FIELDS = [
  'origins',
  'methods',
  'requestHeaders',
  'exposeHeaders',
  'publicOrigins',
] as const;
const KNOWN_FIELDS: ReadonlySet<string> = new Set<string>([
  ...BOOLEAN_FIELDS,
  ...LIST_FIELDS,
  'maxAge',
  'preflightStatus',
]);

export type BooleanField = (typeof BOOLEAN_FIELDS)[number];
export type ListField = (typeof LIST_FIELDS)[number];

/** One string of a list field, with its index (the issue path). */
export interface ListItem {
  readonly value: string;
  readonly index: number;
}

/** The configuration object, read field by field; type problems go to `issues`. */
export class ConfigReader {
  constructor(
    private readonly config: Record<string, unknown>,
    private readonly issues: ConfigIssue[],
  ) {}

  /** Reports every field corsgate does not know; another CORS package's name gets a hint. */
  reportUnknownFields(): void {
    const config = this.config;
    for (const key of Object.keys(config)) {
      if (!KNOWN_FIELDS.has(key) && config[key] !== undefined) {
        this.issues.push(
          issue(
            'CG_CONFIG_UNKNOWN_FIELD',
            [key],
            config[key],
            `"${key}" is not a configuration field`,
            foreignOptionHint(key),
          ),
        );
      }
    }
  }

  /** A boolean field; absent or of the wrong type reads as false. */
  bool(key: BooleanField): boolean {
    const value = this.config[key];
    if (value === undefined) return false;
    if (typeof value !== 'boolean') {
      this.issues.push(issue('CG_CONFIG_TYPE', [key], value, `"${key}" must be true or false`));
      return false;
    }
    return value;
  }

  /**
   * A list field as the array given (no copies: a large allowlist is all strings and a copy costs
   * an object per entry); every entry that is not a string is reported first, as `list` does.
   */
  rawList(key: ListField): readonly unknown[] {
    const value = this.config[key];
    if (value === undefined) return [];
    if (!Array.isArray(value)) {
      this.issues.push(issue('CG_CONFIG_TYPE', [key], value, `"${key}" must be an array of strings`));
      return [];
    }
    for (let index = 0; index < value.length; index++) {
      const item: unknown = value[index];
      // `index in value`: a hole in a sparse array is skipped, as `forEach` in `list()` skips it.
      if (typeof item !== 'string' && index in value)
        this.issues.push(
          issue('CG_CONFIG_TYPE', [key, index], item, `every entry of "${key}" must be a string`),
        );
    }
    return value;
  }

  /** The strings of a list field with their indexes; every entry that is not a string is reported. */
  list(key: ListField): ListItem[] {
    const value = this.config[key];
    if (value === undefined) return [];
    if (!Array.isArray(value)) {
      this.issues.push(issue('CG_CONFIG_TYPE', [key], value, `"${key}" must be an array of strings`));
      return [];
    }
    const out: ListItem[] = [];
    value.forEach((item, index) => {
      if (typeof item === 'string') out.push({ value: item, index });
      else
        this.issues.push(
          issue('CG_CONFIG_TYPE', [key, index], item, `every entry of "${key}" must be a string`),
        );
    });
    return out;
  }

  /** A field as given (numbers: checked by their own compile; `publicOrigins`: whether it is set). */
  value(key: 'maxAge' | 'preflightStatus' | 'publicOrigins'): unknown {
    return this.config[key];
  }
}
