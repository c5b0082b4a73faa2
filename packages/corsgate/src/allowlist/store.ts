/**
 * The programmatic source (docs/allowlist.md "The programmatic store"): the application fills and
 * updates the list itself, from its own database or admin UI (tenants registering their domains).
 * Each change is one whole version, validated like a file version: a change with an error throws
 * and the version in force stays. Give the store to any adapter's `allowlist` option or read
 * `store.current.policy` beside `createPolicy`.
 */

import { AllowlistError, invalidAllowlistError } from './errors.js';
import { AllowlistSourceBase, type AllowlistSourceOptions } from './source.js';
import type { AllowlistEvent, AllowlistSnapshot, AllowlistWatcher } from './types.js';
import { editAllowlistText } from './write.js';

export interface AllowlistStoreOptions extends AllowlistSourceOptions {
  /** The first version: the file format's text, or the entries. Default: an empty list. */
  readonly initial?: string | readonly string[];
}

/**
 * A list the application sets; every method resolves once the new version is in force. It is an
 * allowlist source like the file watcher (`current`, `status`, `on`, `close`).
 */
export interface AllowlistStore extends AllowlistWatcher {
  /** The text of the version in force. */
  text(): string;
  /**
   * Replaces the whole list: the file format's text (comments kept) or the entries.
   * @throws AllowlistError with every issue when the list has an error; nothing changes.
   */
  set(list: string | readonly string[]): Promise<AllowlistSnapshot>;
  /** Adds entries (normalised; one already listed is skipped), as one version. */
  add(origins: string | readonly string[]): Promise<AllowlistSnapshot>;
  /** Removes every line whose entry normalises to one of these, as one version. */
  remove(origins: string | readonly string[]): Promise<AllowlistSnapshot>;
  /**
   * The application found no list where it keeps it (the rows are gone): the version in force
   * stays; `status()` and a `missing` event say so, as for a deleted file (docs/sources.md).
   */
  reportMissing(message: string): void;
  /**
   * The application could not read its list (its database refused): the version in force stays;
   * `status()` and an `unreadable` event (with `code`) say so, as for an unreadable file.
   */
  reportUnreadable(message: string, code?: string): void;
}

class ProgrammaticAllowlist extends AllowlistSourceBase implements AllowlistStore {
  private listText = '';
  /** Changes are applied one at a time, each on the text of the one before. */
  private writes: Promise<unknown> = Promise.resolve();

  constructor(options: AllowlistStoreOptions) {
    super('store', 'store', 'push', options);
  }

  text(): string {
    return this.listText;
  }

  set(list: string | readonly string[]): Promise<AllowlistSnapshot> {
    return this.write(() => toText(list));
  }

  add(origins: string | readonly string[]): Promise<AllowlistSnapshot> {
    return this.write((before) => editAllowlistText(before, { add: origins }).text);
  }

  remove(origins: string | readonly string[]): Promise<AllowlistSnapshot> {
    return this.write((before) => editAllowlistText(before, { remove: origins }).text);
  }

  reportMissing(message: string): void {
    this.markMissing(message);
  }

  reportUnreadable(message: string, code = 'CG_ALLOWLIST_UNREADABLE'): void {
    this.markUnreadable(code, message);
  }

  protected refresh(force: boolean): Promise<AllowlistEvent> {
    return this.apply({ text: this.listText, version: this.current.version }, force);
  }

  protected async stop(): Promise<void> {
    await this.writes.catch(() => undefined);
  }

  private write(next: (before: string) => string): Promise<AllowlistSnapshot> {
    const run = this.writes.then(async () => {
      if (this.closed)
        throw new AllowlistError('CG_ALLOWLIST_CLOSED', 'corsgate: the allowlist store is closed');
      const text = next(this.listText);
      const event = await this.apply({ text });
      if (event.type === 'rejected') {
        throw invalidAllowlistError(
          `allowlist store: the version in force (${this.current.version}) stays`,
          'allowlist store',
          event.errors,
        );
      }
      this.listText = text;
      return this.current;
    });
    this.writes = run.catch(() => undefined);
    return run;
  }
}

function toText(list: string | readonly string[]): string {
  if (typeof list === 'string') return list;
  return list.length === 0 ? '' : `${list.map((e) => e.trim()).join('\n')}\n`;
}

/**
 * A programmatic allowlist source: the application sets, adds and removes entries at run time.
 * @throws AllowlistError when `initial` has an error (nothing to fall back on at start).
 * @example
 * const store = await createAllowlistStore({ initial: await db.tenantOrigins(), config: { credentials: true } });
 * app.use(cors({ allowlist: store }));
 * await store.add('https://new-tenant.example'); // allowed on the next request
 */
export async function createAllowlistStore(options: AllowlistStoreOptions = {}): Promise<AllowlistStore> {
  const store = new ProgrammaticAllowlist(options);
  await store.set(options.initial ?? '');
  return store;
}
