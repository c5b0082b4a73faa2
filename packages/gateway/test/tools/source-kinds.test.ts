/**
 * The registry of source kinds (docs/sources.md "Kinds of source"): the address's URL scheme picks
 * the kind, anything else is a file path; what is printed never holds a password.
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { shownSource, sourceFor } from '../../src/sources/index.js';

describe('source kinds by URL scheme', () => {
  it.each([
    ['redis://127.0.0.1:6379', 'redis'],
    ['REDISS://cache.internal:6380/2?key=k', 'redis'],
    ['redis+sentinel://s1:26379,s2:26379/mymaster', 'redis-sentinel'],
    ['rediss+sentinel://s1/mymaster/2', 'redis-sentinel'],
    ['redis+cluster://n1:6379,n2:6379', 'redis-cluster'],
    ['rediss+cluster://clustercfg.example:6379', 'redis-cluster'],
    ['allowed_origins.list', 'file'],
    ['/etc/corsgate/list', 'file'],
    ['C:\\lists\\allowed.list', 'file'],
    ['mystery://host/list', 'file'],
  ])('takes %s as a %s source', (address, kind) => {
    expect(sourceFor(address, '/srv').kind).toBe(kind);
  });

  it('resolves a path against the directory it was given in, and keeps a URL as given', () => {
    expect(sourceFor('lists/a.list', '/srv/app').address).toBe(resolve('/srv/app', 'lists/a.list'));
    expect(sourceFor('redis://h:6379', '/srv/app').address).toBe('redis://h:6379');
    expect(sourceFor('lists/a.list', '/srv/app').shown).toBe('lists/a.list');
  });

  it.each([
    ['redis://ops:s3cret@h:6379', 'redis://ops:***@h:6379'],
    ['redis://ops:pa/s3cret@h:6379', 'redis://***@h:6379'],
    ['redis://ops:12/s3cret@h:6379', 'redis://***@h:6379'],
    ['redis://ops:p@s3cret@h:6379', 'redis://ops:***@h:6379'],
    ['redis://ops:%zzs3cret@h:6379', 'redis://***@h:6379'],
    ['redis+sentinel://ops:s3cret@s1:26379,s2:26379/m', 'redis+sentinel://ops:***@s1:26379,s2:26379/m'],
    ['rediss+cluster://ops:s3cret@n1:6379,n2:6379', 'rediss+cluster://ops:***@n1:6379,n2:6379'],
  ])('shows %s without its password', (address, shown) => {
    expect(shownSource(address)).toBe(shown);
    expect(shownSource(address)).not.toContain('s3cret');
  });

  it('refuses a password that is not valid percent-encoding with CG_ALLOWLIST_SOURCE_INVALID, not a crash', async () => {
    const pulled = sourceFor('redis://ops:%zzs3cret@127.0.0.1:1').pull();
    await expect(pulled).rejects.toMatchObject({ code: 'CG_ALLOWLIST_SOURCE_INVALID' });
    await expect(pulled).rejects.not.toThrow(/s3cret/);
  });
});
