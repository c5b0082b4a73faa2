/**
 * The one nginx writer: an `http`-level include (the maps that decide) and a `server`-level
 * include (the location that answers and proxies), from the export plan (docs/nginx.md).
 * Every decision is a chain of `map`s, evaluated lazily per request; the location only returns or
 * proxies, and adds each CORS header from a variable that is empty when the header must be absent
 * (nginx then adds nothing). Every header is added `always`, so nginx's own errors carry them too.
 */
import { escapeRegex } from './origin-regex.js';
import type { ExportPlan } from './plan.js';

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

/** Origin → listed. The key starts with `l` only for an Origin without upper case, so that the
 * case-insensitive string match of `map` still compares exactly (docs/rules.md: origins are
 * compared as bytes). */
function originMaps(plan: ExportPlan): string[] {
  const lines = [
    'map $http_origin $corsgate_origin_case {',
    '    "~[A-Z]" "U";',
    '    default "l";',
    '}',
    'map "$corsgate_origin_case$http_origin" $corsgate_listed {',
    '    default 0;',
  ];
  for (const o of plan.exactOrigins) lines.push(`    ${q(`l${o}`)} 1;`);
  if (plan.allowNull) lines.push(`    ${q('lnull')} 1;`);
  for (const r of plan.originRegexes) lines.push(`    ${q(`~^l${r.slice(1)}`)} 1;`);
  lines.push('}');
  // The application's own origins (same-origin: passed through without CORS headers), by the
  // Origin itself or by Sec-Fetch-Site: same-origin about an own host (docs/gateway.md).
  lines.push('map "$corsgate_origin_case$http_origin" $corsgate_own_origin {', '    default 0;');
  for (const o of plan.ownOrigins) lines.push(`    ${q(`l${o}`)} 1;`);
  lines.push('}', 'map "$http_sec_fetch_site|$http_host" $corsgate_own_fetch {', '    default 0;');
  for (const h of plan.ownHosts) lines.push(`    ${q(`~^same-origin\\|(?i:${escapeRegex(h)})$`)} 1;`);
  lines.push('}');
  return lines;
}

/** Preflight checks: the method (case-sensitive) and the canonical request headers. */
function preflightMaps(plan: ExportPlan): string[] {
  const listed = plan.methods.filter((m) => !['GET', 'HEAD', 'POST'].includes(m));
  const lines = [
    'map $http_access_control_request_method $corsgate_acrm {',
    '    default "no";',
    '    "~^(?:GET|HEAD|POST)$" "safe";',
  ];
  if (listed.length > 0) lines.push(`    ${q(`~^(?:${listed.map(escapeRegex).join('|')})$`)} "listed";`);
  lines.push(
    '}',
    'map $http_access_control_request_headers $corsgate_acrh {',
    '    default "no";',
    '    "" "none";',
  );
  if (plan.requestHeadersRegex !== undefined) lines.push(`    ${q(`~${plan.requestHeadersRegex}`)} "echo";`);
  lines.push('}');
  return lines;
}

/** The class of the request, then the action: pf_ok, pf_no, block, allowed or other. */
function actionMaps(plan: ExportPlan): string[] {
  return [
    'map $http_origin $corsgate_present {',
    '    "" 0;',
    '    default 1;',
    '}',
    // Fixed-width fields only: nothing the client sends can shift them.
    'map "$corsgate_present$corsgate_own_origin$corsgate_own_fetch$corsgate_listed" $corsgate_class {',
    '    "~^0" "notcors";',
    '    "~^1(?:1.|01)" "own";',
    '    "1001" "allowed";',
    '    default "refused";',
    '}',
    'map "$request_method|$corsgate_class|$http_access_control_request_method|$corsgate_acrm$corsgate_acrh" $corsgate_action {',
    '    default "other";',
    '    "~^OPTIONS\\|allowed\\|[^|]+\\|(?:safe|listed)(?:none|echo)$" "pf_ok";',
    '    "~^OPTIONS\\|(?:allowed|refused)\\|[^|]+\\|" "pf_no";',
    '    "~^(?:GET|HEAD)\\|refused\\|" "other";',
    `    "~^[^|]*\\|refused\\|" "${plan.block ? 'block' : 'other'}";`,
    '    "~^[^|]*\\|allowed\\|" "allowed";',
    '}',
  ];
}

/** One map per response header: its value for each action, empty (not sent) otherwise. */
function headerMaps(plan: ExportPlan): string[] {
  const byAction = (name: string, entries: Record<string, string>): string[] => [
    `map $corsgate_action $${name} {`,
    '    default "";',
    ...Object.entries(entries).map(([action, value]) => `    ${action} ${q(value)};`),
    '}',
  ];
  const lines = [
    ...byAction('corsgate_acao', { pf_ok: '$http_origin', allowed: '$http_origin' }),
    ...byAction('corsgate_acac', plan.credentials ? { pf_ok: 'true', allowed: 'true' } : {}),
    ...byAction('corsgate_aceh', plan.exposeHeaders === undefined ? {} : { allowed: plan.exposeHeaders }),
    ...byAction('corsgate_acma', plan.maxAge === undefined ? {} : { pf_ok: plan.maxAge }),
    'map "$corsgate_action|$corsgate_acrm" $corsgate_acam {',
    '    default "";',
    '    "pf_ok|listed" "$http_access_control_request_method";',
    '}',
    'map "$corsgate_action|$corsgate_acrh" $corsgate_acah {',
    '    default "";',
    '    "pf_ok|echo" "$http_access_control_request_headers";',
    '}',
    'map "$corsgate_action|$http_access_control_request_private_network" $corsgate_acapn {',
    '    default "";',
    ...(plan.privateNetwork ? ['    "~^pf_ok\\|true$" "true";'] : []),
    '}',
    // Vary: Origin on every answer, unless the upstream's own Vary already names Origin.
    'map $upstream_http_vary $corsgate_vary {',
    '    default "Origin";',
    '    "~*(?:^|,)\\s*origin\\s*(?:,|$)" "";',
    '}',
  ];
  return lines;
}

/** The `http`-level include: every map, and the upstream. */
export function nginxHttpInclude(plan: ExportPlan, version: string): string {
  return [
    `# Written by corsgate export nginx (${version}); do not edit: it is replaced on every export.`,
    '# Include it in the http block; include corsgate-server.conf in the server block (docs/nginx.md).',
    ...originMaps(plan),
    ...preflightMaps(plan),
    ...actionMaps(plan),
    ...headerMaps(plan),
    '',
  ].join('\n');
}

/** The `server`-level include: the location that answers preflights and blocks, then proxies. */
export function nginxServerInclude(plan: ExportPlan, version: string): string {
  const headers = [
    ['Access-Control-Allow-Origin', '$corsgate_acao'],
    ['Access-Control-Allow-Credentials', '$corsgate_acac'],
    ['Access-Control-Allow-Methods', '$corsgate_acam'],
    ['Access-Control-Allow-Headers', '$corsgate_acah'],
    ['Access-Control-Max-Age', '$corsgate_acma'],
    ['Access-Control-Expose-Headers', '$corsgate_aceh'],
    ['Access-Control-Allow-Private-Network', '$corsgate_acapn'],
    ['Vary', '$corsgate_vary'],
  ];
  return [
    `# Written by corsgate export nginx (${version}); do not edit: it is replaced on every export.`,
    'location / {',
    ...headers.map(([name, value]) => `    add_header ${name} ${value} always;`),
    ...CORS_RESPONSE_HEADERS.map((name) => `    proxy_hide_header ${name};`),
    `    if ($corsgate_action = pf_ok) { return ${plan.preflightStatus}; }`,
    '    if ($corsgate_action = pf_no) { return 403; }',
    '    if ($corsgate_action = block) { return 403; }',
    '    proxy_http_version 1.1;',
    '    proxy_set_header Host $http_host;',
    '    proxy_set_header Connection "";',
    `    proxy_pass ${plan.upstream};`,
    '}',
    '',
  ].join('\n');
}
