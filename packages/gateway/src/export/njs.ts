/**
 * The part of the decision plain nginx directives cannot make exactly, in njs (Debian's
 * `libnginx-mod-http-js`; docs/nginx.md "njs"): nginx's `$http_…` variables hold only the first
 * line of a repeated header, while the engine refuses two `Origin` lines and reads
 * `Access-Control-Request-Headers` split over lines as one list, in any order, case and spacing
 * (docs/rules.md §4). The module reads the raw header lines (`r.rawHeadersIn`) and checks the list
 * as the engine's `parseAcrh` does, with the same bounds; the export test runs it in real nginx
 * against the engine. Written in the ES5 subset njs 0.7 runs.
 */
import { MAX_ACRH_EMPTY_ELEMENTS, MAX_ACRH_LENGTH, MAX_ACRH_NAMES } from 'corsgate';

const TCHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

const MODULE = `var TCHARS = ${JSON.stringify(TCHARS)};
function lines(r, name) {
  var out = [], raw = r.rawHeadersIn;
  for (var i = 0; i < raw.length; i++) if (raw[i][0].toLowerCase() === name) out.push(raw[i][1]);
  return out;
}
function isOws(c) { return c === ' ' || c === '\\t'; }
function isTchar(c) { return TCHARS.indexOf(c) >= 0; }
/* The engine's parseAcrh (packages/corsgate/src/engine/acrh.ts), line for line. */
function parse(list) {
  var total = 0, k, names = [], empty = 0, canonical = list.length === 1, previous = '';
  for (k = 0; k < list.length; k++) total += list[k].length;
  if (total > ${MAX_ACRH_LENGTH}) return null;
  for (k = 0; k < list.length; k++) {
    var line = list[k], i = 0, n = line.length;
    for (;;) {
      var start = i;
      while (i < n && isOws(line[i])) i++;
      var nameStart = i;
      while (i < n && isTchar(line[i])) i++;
      var nameEnd = i;
      while (i < n && isOws(line[i])) i++;
      if (i < n && line[i] !== ',') return null;
      if (nameEnd === nameStart) {
        if (++empty > ${MAX_ACRH_EMPTY_ELEMENTS}) return null;
        canonical = false;
      } else {
        var name = line.slice(nameStart, nameEnd), lower = name.toLowerCase();
        if (lower !== name) canonical = false;
        if (nameStart !== start || i !== nameEnd) canonical = false;
        if (lower <= previous) canonical = false;
        previous = lower;
        names.push(lower);
        if (names.length > ${MAX_ACRH_NAMES}) return null;
      }
      if (i >= n) break;
      i++;
      if (i >= n) {
        if (++empty > ${MAX_ACRH_EMPTY_ELEMENTS}) return null;
        canonical = false;
        break;
      }
    }
  }
  return { names: names, canonical: canonical };
}
/* "none", "echo:<Access-Control-Allow-Headers>" or "no", for one scope's allowed names. */
function verdict(r, allowed) {
  var list = lines(r, 'access-control-request-headers');
  if (list.length === 0 || (list.length === 1 && list[0] === '')) return 'none';
  var parsed = parse(list);
  if (parsed === null) return 'no';
  for (var i = 0; i < parsed.names.length; i++) if (allowed[parsed.names[i]] !== 1) return 'no';
  if (parsed.names.length === 0) return 'none';
  return 'echo:' + (parsed.canonical ? list[0] : parsed.names.join(','));
}
/* "0" without Origin, "1" with one line, "2" with two or more (the engine refuses them). */
function originLines(r) {
  var n = lines(r, 'origin').length;
  return n > 1 ? '2' : String(n);
}
`;

/** The module text: the shared functions and one `acrh_<scope>` per policy scope. */
export function njsModule(
  scopes: readonly { readonly id: string; readonly names: readonly string[] }[],
): string {
  const functions = scopes.map((scope) => {
    const allowed = Object.fromEntries(scope.names.map((n) => [n.toLowerCase(), 1]));
    return `var ALLOWED_${scope.id} = ${JSON.stringify(allowed)};\nfunction acrh_${scope.id}(r) { return verdict(r, ALLOWED_${scope.id}); }\n`;
  });
  const exported = ['originLines', ...scopes.map((s) => `acrh_${s.id}`)];
  return `${MODULE}${functions.join('')}export default { ${exported.join(', ')} };\n`;
}
