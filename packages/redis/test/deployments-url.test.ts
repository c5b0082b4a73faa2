import { describe, expect, it } from 'vitest';
import { parseRedisSource, shownRedisSource } from '../src/url.js';

describe('Sentinel and Cluster addresses (docs/sources.md "Deployments")', () => {
  it('a Sentinel URL names its sentinels, the master, the database and the key; the password is never shown', () => {
    const t = parseRedisSource('redis+sentinel://:pw@127.0.0.1:26379,127.0.0.1:26380/mymaster/3?key=app');
    expect(t).toMatchObject({
      mode: 'sentinel',
      nodes: [
        { host: '127.0.0.1', port: 26379 },
        { host: '127.0.0.1', port: 26380 },
      ],
      masterName: 'mymaster',
      database: 3,
      password: 'pw',
      key: 'app',
      replicas: 1,
      display: 'redis+sentinel://:***@127.0.0.1:26379,127.0.0.1:26380/mymaster/3?key=app',
    });
  });

  it('sentinels without a port are on 26379, cluster nodes without one on 6379, an IPv6 node in brackets', () => {
    expect(parseRedisSource('redis+sentinel://a,b/m').nodes).toEqual([
      { host: 'a', port: 26379 },
      { host: 'b', port: 26379 },
    ]);
    expect(parseRedisSource('redis+cluster://[::1],h:7001?replicas=0')).toMatchObject({
      nodes: [
        { host: '::1', port: 6379 },
        { host: 'h', port: 7001 },
      ],
      replicas: 0,
    });
  });

  it('a Cluster key gets a hash tag, so the list, its stream and its buckets share one slot; a key with a tag keeps it', () => {
    expect(parseRedisSource('redis+cluster://h:7000').key).toBe('{corsgate:allowlist}');
    expect(parseRedisSource('rediss+cluster://h:7000?key=app{eu}').key).toBe('app{eu}');
    expect(parseRedisSource('rediss+cluster://h:7000?key=app{}').key).toBe('{app{}}');
    expect(parseRedisSource('rediss+cluster://u:p%40@h:7000').tls).toBe(true);
  });

  it.each([
    ['redis+sentinel://h:26379', /names the master/],
    ['redis+sentinel://h:26379/', /names the master/],
    ['redis+cluster://h:7000/1', /one database only/],
    ['redis+cluster://h:99999', /not host or host:port/],
    ['redis+cluster://h:7000,,i:1', /not host or host:port/],
    ['redis+sentinel://h/m/x', /not a number/],
    ['redis+sentinel://h/m?replicas=a', /not a whole number/],
    ['redis+sentinel://h/m?db=1', /unknown parameter/],
  ])('%s is refused with CG_ALLOWLIST_SOURCE_INVALID', (url, why) => {
    expect(() => parseRedisSource(url)).toThrow(why);
    try {
      parseRedisSource(url);
    } catch (error) {
      expect((error as { code: string }).code).toBe('CG_ALLOWLIST_SOURCE_INVALID');
    }
  });

  it('a password holding a "/" or "@" never shows, even when the URL does not parse', () => {
    expect(shownRedisSource('redis+sentinel://:se/cr@et@h:1/m')).not.toContain('cr');
    expect(shownRedisSource('redis+cluster://:p@ss@h:1,i:2')).not.toContain('ss');
  });
});
