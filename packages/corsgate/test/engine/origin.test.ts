import { describe, expect, it } from 'vitest';
import { serializeOrigin } from '../../src/engine/origin.js';
import { MAX_ORIGIN_LENGTH, parseSerializedOrigin } from '../../src/index.js';

// §3.1: a serialized origin exactly as the URL Standard writes it. Every row is also checked
// against the WHATWG URL parser, so the table cannot drift from what browsers send.

const accepted: [string, string][] = [
  ['§3.1 IPv6: the longest zero run is compressed', 'https://[1:0:0:2::3]'],
  ['§3.1 IPv6: of two equal zero runs, the first is compressed', 'https://[1::2:0:0:3:4]'],
  ['§3.1 IPv6: a single zero group is never compressed', 'https://[1:0:2:3:4:5:6:7]'],
  ['§3.1 IPv6: all zeros', 'https://[::]'],
  ['§3.1 IPv6: a run at the end', 'https://[1::]'],
  ['§3.1 IPv6: loopback with a port', 'http://[::1]:8080'],
  ['§3.1 IPv6: eight full groups', 'https://[2001:db8:85a3:1:2:8a2e:370:7334]'],
  ['§3.1 IPv4: dotted decimal', 'http://192.168.0.1'],
  ['§3.1 IPv4: zeros', 'http://0.0.0.0:1'],
  ['§3.1 port 65535', 'https://a.example:65535'],
  ['§3.1 punycode host', 'https://xn--bcher-kva.example'],
  ['§3.1 underscore and hyphen in labels', 'https://a_b-c.example'],
  ['§3.1 any scheme in serialized form', 'chrome-extension://abcdefghijklmnop'],
  ['§3.1 a last label "0x" + non-hex is a domain, not IPv4 (URL ends-in-a-number)', 'https://a.0xg'],
];

const refused: [string, string][] = [
  ['§3.1 IPv6: compressing a single zero group', 'https://[1::2:3:4:5:6:7]'],
  ['§3.1 IPv6: compressing the shorter run', 'https://[1::2:0:0:0:3]'],
  ['§3.1 IPv6: not compressing', 'https://[0:0:0:0:0:0:0:1]'],
  ['§3.1 IPv6: a leading zero', 'https://[::0001]'],
  ['§3.1 IPv6: upper-case hex', 'https://[::ABCD]'],
  ['§3.1 IPv6: two "::"', 'https://[1::2::3]'],
  ['§3.1 IPv6: nine groups', 'https://[1:2:3:4:5:6:7:8:9]'],
  ['§3.1 IPv6: seven groups without "::"', 'https://[1:2:3:4:5:6:7]'],
  ['§3.1 IPv6: embedded IPv4', 'https://[::ffff:1.2.3.4]'],
  ['§3.1 IPv6: a zone id', 'https://[fe80::1%25eth0]'],
  ['§3.1 IPv6: no closing bracket', 'https://[::1'],
  ['§3.1 IPv6: junk after the bracket', 'https://[::1]x'],
  ['§3.1 IPv4: octal-looking part', 'http://01.2.3.4'],
  ['§3.1 IPv4: a part above 255', 'http://1.2.3.256'],
  ['§3.1 IPv4: five parts', 'http://1.2.3.4.5'],
  ['§3.1 IPv4: a single number', 'http://16909060'],
  ['§3.1 IPv4: a hex last part', 'http://a.0x1f'],
  ['§3.1 port 0 with a leading zero', 'https://a.example:00'],
  ['§3.1 port above 65535', 'https://a.example:65536'],
  ['§3.1 an empty port', 'https://a.example:'],
  ['§3.1 the default port of ws', 'ws://a.example:80'],
  ['§3.1 the default port of ftp', 'ftp://a.example:21'],
  ['§3.1 a scheme with upper case', 'Https://a.example'],
  ['§3.1 a scheme starting with a digit', '1http://a.example'],
  ['§3.1 no "//"', 'https:a.example'],
  ['§3.1 the literal null (callers handle it first)', 'null'],
  [
    '§4 Origin length: one over MAX_ORIGIN_LENGTH',
    `a${'b'.repeat(63)}://${'c'.repeat(MAX_ORIGIN_LENGTH - 67)}`,
  ],
];

// Stricter than the URL parser on purpose (fail closed): a label over 63 characters never
// resolves in DNS (RFC 1035), and a trailing-dot host is an origin of its own that allowlists
// cannot name (entries refuse it too), so neither can ever be allowed.
const refusedThoughUrlAccepts: [string, string][] = [
  ['§3.1 a label of 64 characters (RFC 1035)', `https://${'a'.repeat(64)}.example`],
  ['§3.1 a trailing dot', 'https://a.example.'],
];

describe('parseSerializedOrigin', () => {
  it.each(refusedThoughUrlAccepts)('refuses %s, which the URL parser accepts', (_d, text) => {
    expect(new URL(text).origin).toBe(text);
    expect(parseSerializedOrigin(text)).toBeNull();
  });

  it.each(accepted)('accepts %s', (_d, text) => {
    const parsed = parseSerializedOrigin(text);
    expect(parsed).not.toBeNull();
    expect(serializeOrigin(parsed!)).toBe(text);
    if (/^(https?|wss?|ftp):/.test(text)) expect(new URL(text).origin).toBe(text);
  });

  it.each(refused)('refuses %s', (_d, text) => {
    expect(parseSerializedOrigin(text)).toBeNull();
    // Whatever the URL parser makes of it, it is not that parser's serialization of the input.
    let origin: string | undefined;
    try {
      origin = new URL(text).origin;
    } catch {}
    expect(origin).not.toBe(text);
  });

  it('classifies hosts and keeps explicit ports', () => {
    expect(parseSerializedOrigin('http://[::1]:8080')).toStrictEqual({
      scheme: 'http',
      host: '[::1]',
      hostKind: 'ipv6',
      port: 8080,
    });
    expect(parseSerializedOrigin('http://10.0.0.1')).toStrictEqual({
      scheme: 'http',
      host: '10.0.0.1',
      hostKind: 'ipv4',
      port: null,
    });
    expect(parseSerializedOrigin('https://a.example:8443')?.hostKind).toBe('domain');
  });
});
