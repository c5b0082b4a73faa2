/**
 * The one nginx writer: an `http`-level include (the maps that decide) and a `server`-level
 * include (the locations that answer and proxy), from the export plan (docs/nginx.md).
 * Every decision is a chain of `map`s, evaluated lazily per request; a location only returns or
 * proxies, and adds each CORS header from a variable that is empty when the header must be absent
 * (nginx then adds nothing). Every header is added `always`, so nginx's own errors carry them too.
 * Each policy scope (the base policy, each route's) has its own chain, its variables suffixed
 * `_rN` for route N; what does not depend on the policy is computed once.
 */
import { njsModule } from './njs.js';
import { canonicalHeadersRegex, escapeRegex } from './origin-regex.js';
import type { ExportPlan, RoutePlan, ScopePlan } from './plan.js';

/** The CORS response headers an upstream's answer never keeps: corsgate alone sets them. */
const CORS_RESPONSE_HEADERS = [
  'Access-Control-Allow-Origin',
  'Access-Control-Allow-Credentials',
  'Access-Control-Allow-Methods',
  'Access-Control-Allow-Headers',
  'Access-Control-Max-Age',
  'Access-Control-Expose-Headers',
  'Access-Control-Allow-Private-Network',
];

/** A double-quoted nginx string: backslashes and quotes escaped (nginx's own parser rules). */
function q(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/**
 * The request targets the gateway refuses with 400 (docs/gateway.md "Paths"), read on the raw
 * `$request_uri` before nginx decodes it: a path whose meaning depends on who decodes it never
 * reaches a location. Only the path (before the first `?`) is checked for escapes, as the gateway.
 */
const TARGET_PROBLEMS: readonly (readonly [string, string])[] = [
  ['#', 'target-fragment'],
  ['[\\x00-\\x20\\x7f]', 'target-character'],
  ['^[^?]*[\\x80-\\xff\\\\]', 'target-character'],
  ['^[^?]*%(?:(?![0-9A-Fa-f]{2})|[01][0-9A-Fa-f]|7[Ff])', 'target-escape'],
  ['^[^?]*%(?:2[Ff]|5[Cc])', 'target-escaped-separator'],
  // A "." or ".." segment spelled with %2E, or followed by ";".
  ['^[^?]*/(?:\\.|%2[Ee]){1,2};', 'target-escaped-dot-segment'],
  ['^[^?]*/(?:%2[Ee](?:\\.|%2[Ee])?|\\.%2[Ee])(?:[/?]|$)', 'target-escaped-dot-segment'],
];

/** What does not depend on the policy: the target check, the Origin's case, own origins. */
function sharedMaps(plan: ExportPlan): string[] {
  const lines = ['map $request_uri $corsgate_target {', '    default "";'];
  for (const [regex, problem] of TARGET_PROBLEMS) lines.push(`    ${q(`~${regex}`)} ${problem};`);
  lines.push(
    '}',
    // The key starts with `l` only for an Origin without upper case, so that the case-insensitive
    // string match of `map` still compares exactly (docs/rules.md: origins are compared as bytes).
    'map $http_origin $corsgate_origin_case {',
    '    "~[A-Z]" "U";',
    '    default "l";',
    '}',
    // Origin lines are counted in njs (export/njs.ts), only when there is an Origin.
    ...(plan.njs ? ['js_set $corsgate_origin_lines corsgate.originLines;'] : []),
    'map $http_origin $corsgate_present {',
    '    "" 0;',
    `    default ${plan.njs ? '$corsgate_origin_lines' : '1'};`,
    '}',
  );
  // The application's own origins (same-origin: passed through without CORS headers), by the
  // Origin itself or by Sec-Fetch-Site: same-origin about an own host (docs/gateway.md).
  lines.push('map "$corsgate_origin_case$http_origin" $corsgate_own_origin {', '    default 0;');
  for (const o of plan.ownOrigins) lines.push(`    ${q(`l${o}`)} 1;`);
  lines.push('}', 'map "$http_sec_fetch_site|$http_host" $corsgate_own_fetch {', '    default 0;');
  for (const h of plan.ownHosts) lines.push(`    ${q(`~^same-origin\\|(?i:${escapeRegex(h)})$`)} 1;`);
  lines.push(
    '}',
    // Vary: Origin on every answer, unless the upstream's own Vary already names Origin.
    'map $upstream_http_vary $corsgate_vary {',
    '    default "Origin";',
    '    "~*(?:^|,)\\s*origin\\s*(?:,|$)" "";',
    '}',
  );
  return lines;
}

/** Origin → listed, for one scope. */
function originMap(scope: ScopePlan, s: string): string[] {
  const lines = ['map "$corsgate_origin_case$http_origin" $corsgate' + s + '_listed {', '    default 0;'];
  for (const o of scope.exactOrigins) lines.push(`    ${q(`l${o}`)} 1;`);
  if (scope.allowNull) lines.push(`    ${q('lnull')} 1;`);
  for (const r of scope.originRegexes) lines.push(`    ${q(`~^l${r.slice(1)}`)} 1;`);
  lines.push('}');
  return lines;
}

/**
 * Preflight checks: the method (case-sensitive) by a map; the request headers in njs, which reads
 * every line of the header (export/njs.ts), and only for OPTIONS.
 */
function preflightMaps(scope: ScopePlan, s: string, njs: boolean): string[] {
  const listed = scope.methods.filter((m) => !['GET', 'HEAD', 'POST'].includes(m));
  const lines = [
    `map $http_access_control_request_method $corsgate${s}_acrm {`,
    '    default "no";',
    '    "~^(?:GET|HEAD|POST)$" "safe";',
  ];
  if (listed.length > 0) lines.push(`    ${q(`~^(?:${listed.map(escapeRegex).join('|')})$`)} "listed";`);
  lines.push('}');
  return [...lines, ...(njs ? acrhNjsMaps(s) : acrhPlainMaps(scope, s))];
}

/** Without njs: the first line only, allowed when it is the canonical list browsers send. */
function acrhPlainMaps(scope: ScopePlan, s: string): string[] {
  const lines = [
    `map $http_access_control_request_headers $corsgate${s}_acrh {`,
    '    default "no";',
    '    "" "none";',
  ];
  if (scope.requestHeaders.length > 0)
    lines.push(`    ${q(`~${canonicalHeadersRegex(scope.requestHeaders)}`)} "echo";`);
  lines.push(
    '}',
    `map $corsgate${s}_acrh $corsgate${s}_acrh_echo {`,
    '    default "";',
    '    echo $http_access_control_request_headers;',
    '}',
  );
  return lines;
}

/** With njs: every line, checked as the engine's parser does (export/njs.ts). */
function acrhNjsMaps(s: string): string[] {
  return [
    `js_set $corsgate${s}_acrh_js corsgate.acrh_${scopeId(s)};`,
    `map $request_method $corsgate${s}_acrh_raw {`,
    '    default "none";',
    `    OPTIONS $corsgate${s}_acrh_js;`,
    '}',
    `map $corsgate${s}_acrh_raw $corsgate${s}_acrh {`,
    '    default "no";',
    '    "none" "none";',
    '    "~^echo:" "echo";',
    '}',
    `map $corsgate${s}_acrh_raw $corsgate${s}_acrh_echo {`,
    '    default "";',
    '    "~^echo:(?<corsgate_acrh_value>.*)$" $corsgate_acrh_value;',
    '}',
  ];
}

/** The njs function id of a scope: `base`, `r1`, `r2`… */
const scopeId = (s: string): string => (s === '' ? 'base' : s.slice(1));

/** The class of the request, then the action: pf_ok, pf_no, block, allowed or other. */
function actionMaps(block: boolean, s: string): string[] {
  return [
    // Fixed-width fields only: nothing the client sends can shift them.
    `map "$corsgate_present$corsgate_own_origin$corsgate_own_fetch$corsgate${s}_listed" $corsgate${s}_class {`,
    '    "~^0" "notcors";',
    '    "~^2" "refused";',
    '    "~^1(?:1.|01)" "own";',
    '    "1001" "allowed";',
    '    default "refused";',
    '}',
    `map "$request_method|$corsgate${s}_class|$http_access_control_request_method|$corsgate${s}_acrm$corsgate${s}_acrh" $corsgate${s}_action {`,
    '    default "other";',
    '    "~^OPTIONS\\|allowed\\|[^|]+\\|(?:safe|listed)(?:none|echo)$" "pf_ok";',
    '    "~^OPTIONS\\|(?:allowed|refused)\\|[^|]+\\|" "pf_no";',
    '    "~^(?:GET|HEAD)\\|refused\\|" "other";',
    `    "~^[^|]*\\|refused\\|" "${block ? 'block' : 'other'}";`,
    '    "~^[^|]*\\|allowed\\|" "allowed";',
    '}',
  ];
}

/** One map per response header: its value for each action, empty (not sent) otherwise. */
function headerMaps(scope: ScopePlan, s: string): string[] {
  const byAction = (name: string, entries: Record<string, string>): string[] => [
    `map $corsgate${s}_action $corsgate${s}_${name} {`,
    '    default "";',
    ...Object.entries(entries).map(([action, value]) => `    ${action} ${q(value)};`),
    '}',
  ];
  return [
    ...byAction('acao', { pf_ok: '$http_origin', allowed: '$http_origin' }),
    ...byAction('acac', scope.credentials ? { pf_ok: 'true', allowed: 'true' } : {}),
    ...byAction('aceh', scope.exposeHeaders === undefined ? {} : { allowed: scope.exposeHeaders }),
    ...byAction('acma', scope.maxAge === undefined ? {} : { pf_ok: scope.maxAge }),
    `map "$corsgate${s}_action|$corsgate${s}_acrm" $corsgate${s}_acam {`,
    '    default "";',
    '    "pf_ok|listed" "$http_access_control_request_method";',
    '}',
    `map "$corsgate${s}_action|$corsgate${s}_acrh" $corsgate${s}_acah {`,
    '    default "";',
    `    "pf_ok|echo" $corsgate${s}_acrh_echo;`,
    '}',
    `map "$corsgate${s}_action|$http_access_control_request_private_network" $corsgate${s}_acapn {`,
    '    default "";',
    ...(scope.privateNetwork ? ['    "~^pf_ok\\|true$" "true";'] : []),
    '}',
  ];
}

/**
 * The engine's reason code for the scope's decision (docs/engine.md "Reason codes"), for access
 * logs through `$corsgate_reason`. A refused Origin that is not lower-case `scheme://host[:port]`
 * is reported `origin-malformed`; one line holding two origins `origin-multiple`.
 */
function reasonMap(s: string): string[] {
  const refused = '~^.refused\\|[^|]*\\|[^|]*\\|';
  return [
    `map "$corsgate_present$corsgate${s}_class|$corsgate${s}_action|$corsgate${s}_acrm|$corsgate_origin_case|$http_origin" $corsgate${s || '_base'}_reason {`,
    '    default "origin-malformed";',
    ...[
      ['~^2', 'origin-multiple'],
      ['~^.notcors\\|', 'not-cors'],
      ['~^.own\\|', 'same-origin'],
      ['~^.allowed\\|pf_no\\|no\\|', 'method-not-allowed'],
      ['~^.allowed\\|pf_no\\|', 'headers-not-allowed'],
      ['~^.allowed\\|', 'origin-allowed'],
      [`${refused}[^|]*\\|null$`, 'origin-null'],
      [`${refused}[^|]*\\|.*,`, 'origin-multiple'],
      [`${refused}l\\|[a-z][a-z0-9+.-]*://[^/?#@\\s]+$`, 'origin-not-allowed'],
    ].map(([regex, reason]) => `    ${q(regex!)} ${reason};`),
    '}',
  ];
}

function scopeMaps(scope: ScopePlan, plan: ExportPlan, s: string): string[] {
  return [
    ...originMap(scope, s),
    ...preflightMaps(scope, s, plan.njs),
    ...actionMaps(plan.block, s),
    ...headerMaps(scope, s),
    ...reasonMap(s),
  ];
}

/** `$corsgate_reason`: the reason of the scope whose location answered (`$corsgate_scope`). */
function scopeReasonMap(plan: ExportPlan): string[] {
  return [
    'map $corsgate_scope $corsgate_reason {',
    '    default $corsgate_base_reason;',
    ...plan.routes.map((_, i) => `    r${i + 1} $corsgate${routeSuffix(i)}_reason;`),
    '}',
  ];
}

/** The variable suffix of route `i` (0-based): `_r1`, `_r2`… */
const routeSuffix = (i: number): string => `_r${i + 1}`;

/** The `http`-level include: every map. */
export function nginxHttpInclude(plan: ExportPlan, version: string, njsPath: string): string {
  return [
    `# Written by corsgate export nginx (${version}); do not edit: it is replaced on every export.`,
    '# Include it in the http block; include corsgate-server.conf in the server block (docs/nginx.md).',
    ...(plan.njs
      ? [
          '# Needs the njs module: load_module modules/ngx_http_js_module.so; (Debian: libnginx-mod-http-js).',
          `js_import corsgate from ${q(njsPath)};`,
        ]
      : ['# Without njs (--dangerously-without-njs): the first line of a repeated header decides.']),
    ...upstreamBlock(plan),
    ...sharedMaps(plan),
    ...scopeReasonMap(plan),
    '# The base policy (requests no route matches).',
    ...scopeMaps(plan.base, plan, ''),
    ...plan.routes.flatMap((r, i) => [`# route ${r.path}`, ...scopeMaps(r.scope, plan, routeSuffix(i))]),
    '',
  ].join('\n');
}

/** The upstream with idle connections kept open, as the gateway's undici pool keeps them. */
function upstreamBlock(plan: ExportPlan): string[] {
  const url = new URL(plan.upstream);
  const port = url.port === '' ? (url.protocol === 'https:' ? '443' : '80') : url.port;
  return ['upstream corsgate_upstream {', `    server ${url.hostname}:${port};`, '    keepalive 64;', '}'];
}

/** `proxy_pass` to the upstream block; for https, the upstream's name for SNI and verification. */
function proxyPass(plan: ExportPlan): string[] {
  const url = new URL(plan.upstream);
  if (url.protocol !== 'https:') return ['proxy_pass http://corsgate_upstream;'];
  return [
    'proxy_ssl_server_name on;',
    `proxy_ssl_name ${url.hostname};`,
    'proxy_pass https://corsgate_upstream;',
  ];
}

/** The `add_header … always` lines of one scope. */
function addHeaders(s: string): string[] {
  const headers = [
    ['Access-Control-Allow-Origin', 'acao'],
    ['Access-Control-Allow-Credentials', 'acac'],
    ['Access-Control-Allow-Methods', 'acam'],
    ['Access-Control-Allow-Headers', 'acah'],
    ['Access-Control-Max-Age', 'acma'],
    ['Access-Control-Expose-Headers', 'aceh'],
    ['Access-Control-Allow-Private-Network', 'acapn'],
  ];
  return [
    ...headers.map(([name, v]) => `add_header ${name} $corsgate${s}_${v} always;`),
    'add_header Vary $corsgate_vary always;',
  ];
}

/** The body of a location for one scope: answer, block, or forward the normalised path. */
function locationBody(plan: ExportPlan, scope: ScopePlan, s: string, stripCookies: boolean): string[] {
  return [
    `set $corsgate_scope ${s === '' ? 'base' : s.slice(1)};`,
    ...addHeaders(s),
    ...CORS_RESPONSE_HEADERS.map((name) => `proxy_hide_header ${name};`),
    `if ($corsgate${s}_action = pf_ok) { return ${scope.preflightStatus}; }`,
    `if ($corsgate${s}_action = pf_no) { return 403; }`,
    `if ($corsgate${s}_action = block) { return 403; }`,
    // What is decided is what is forwarded (docs/gateway.md "Paths"): nginx's normalised path,
    // escaped again, with the query as sent; never the raw target.
    `rewrite ^ ${plan.upstreamPath}$uri break;`,
    ...(stripCookies ? ['proxy_set_header Cookie "";'] : []),
    'proxy_http_version 1.1;',
    'proxy_set_header Host $http_host;',
    'proxy_set_header Connection "";',
    'proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;',
    'proxy_set_header X-Forwarded-Proto $scheme;',
    'proxy_set_header X-Forwarded-Host $http_host;',
    ...proxyPass(plan),
  ].map((line) => `    ${line}`);
}

function routeLocation(plan: ExportPlan, route: RoutePlan, i: number): string[] {
  return [
    `# route ${route.path}`,
    `location ${route.caseSensitive ? '~' : '~*'} ${q(route.pathRegex)} {`,
    ...locationBody(plan, route.scope, routeSuffix(i), route.stripCookies),
    '}',
  ];
}

/**
 * The `server`-level include: targets the gateway refuses answered 400 before any location; one
 * regular-expression location per route, which nginx tries in the order written (the gateway's
 * first match); `location /` for the base policy.
 */
export function nginxServerInclude(plan: ExportPlan, version: string): string {
  return [
    `# Written by corsgate export nginx (${version}); do not edit: it is replaced on every export.`,
    ...addHeaders(''),
    'set $corsgate_scope base;',
    'if ($corsgate_target) { return 400 \'{"error":"request target refused","reason":"$corsgate_target"}\'; }',
    ...plan.routes.flatMap((r, i) => routeLocation(plan, r, i)),
    'location / {',
    ...locationBody(plan, plan.base, '', false),
    '}',
    '',
  ].join('\n');
}

/** The njs module the http include imports: one request-header check per policy scope. */
export function nginxNjsModule(plan: ExportPlan): string {
  return njsModule([
    { id: 'base', names: plan.base.requestHeaders },
    ...plan.routes.map((r, i) => ({ id: `r${i + 1}`, names: r.scope.requestHeaders })),
  ]);
}
