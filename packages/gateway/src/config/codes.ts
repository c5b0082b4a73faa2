/**
 * The gateway's own configuration codes: problems in the YAML file and the flags that are not
 * CORS policy (the engine's registry, `ISSUE_CODES` in the corsgate package, covers those).
 * Documented in docs/errors.md beside the engine's codes; a test checks both directions. The admin
 * listener's answer codes carry their HTTP status (`status`); a test checks each is documented with it.
 */
export const GATEWAY_CODES = {
  CG_GATEWAY_YAML_SYNTAX: { severity: 'error', summary: 'the config file is not valid YAML' },
  CG_GATEWAY_CONFIG_SCHEMA: {
    severity: 'error',
    summary: 'a config key is unknown, missing, or of the wrong type',
  },
  CG_GATEWAY_CONFIG_UNREADABLE: { severity: 'error', summary: 'the config file cannot be read' },
  CG_GATEWAY_ROUTE_PATH: { severity: 'error', summary: 'a route path other than /exact or /prefix/*' },
  CG_GATEWAY_UPSTREAM: {
    severity: 'error',
    summary: '--upstream missing, not http(s), or with a query, fragment or user name',
  },
  CG_GATEWAY_PUBLIC_ORIGIN: {
    severity: 'error',
    summary: 'a --public-origin (or publicOrigins entry) that is not a serialized http(s) origin',
  },
  CG_GATEWAY_FLAG: {
    severity: 'error',
    summary: 'a flag value out of range (port, workers, timeout, log level, TLS pair, escaped paths)',
  },
  CG_GATEWAY_ADMIN_TOKENS: {
    severity: 'error',
    summary: 'the admin token file or CORSGATE_ADMIN_TOKENS cannot be read or has a malformed entry',
  },
  CG_GATEWAY_ADMIN_EXPOSED: {
    severity: 'error',
    summary: 'the admin listener is bound to a non-loopback address without any admin token',
  },
  CG_GATEWAY_ADMIN_HOST: {
    severity: 'error',
    status: 421,
    summary: 'a Host that is not the admin listener’s own address or a configured name',
  },
  CG_GATEWAY_ADMIN_UNAUTHORIZED: {
    severity: 'error',
    status: 401,
    summary: 'an admin request without a valid token where one is needed',
  },
  CG_GATEWAY_ADMIN_CROSS_SITE: {
    severity: 'error',
    status: 403,
    summary: 'an admin state change whose Origin or Sec-Fetch-Site says another site',
  },
  CG_GATEWAY_ADMIN_CONFLICT: {
    severity: 'error',
    status: 409,
    summary: 'an admin write whose If-Match version is not the version in force',
  },
  CG_GATEWAY_ADMIN_SOURCE_LOST: {
    severity: 'error',
    status: 503,
    summary: 'an admin write while the source has lost its text (deleted, wiped) and a version is in force',
  },
  CG_GATEWAY_ADMIN_NOT_LISTED: {
    severity: 'error',
    status: 404,
    summary: 'a removal of an origin no line lists',
  },
  CG_GATEWAY_ADMIN_BAD_REQUEST: {
    severity: 'error',
    status: 400,
    summary: 'an admin request without a required field, or with a malformed body or If-Match',
  },
  CG_GATEWAY_ADMIN_BODY_TOO_LARGE: {
    severity: 'error',
    status: 413,
    summary: 'an admin request body over its limit (small before the token, large after it)',
  },
  CG_GATEWAY_ADMIN_BUSY: {
    severity: 'error',
    status: 503,
    summary: 'too many admin request bodies are being read at once; retry',
  },
  CG_GATEWAY_ADMIN_METHOD: {
    severity: 'error',
    status: 405,
    summary: 'an admin endpoint asked with a method it does not take',
  },
  CG_GATEWAY_ADMIN_UNAVAILABLE: {
    severity: 'error',
    status: 501,
    summary: 'an admin write or view this process cannot serve',
  },
  CG_GATEWAY_ADMIN_NOT_FOUND: {
    severity: 'error',
    status: 404,
    summary: 'no admin endpoint at this path, or nothing there to act on',
  },
  CG_GATEWAY_ADMIN_INTERNAL: {
    severity: 'error',
    status: 500,
    summary: 'an admin request failed inside the gateway (a bug: the message says where)',
  },
  CG_GATEWAY_BUFFERS_FULL: {
    severity: 'error',
    summary: 'a request body refused 503: the bodies read whole already hold --request-buffer-memory bytes',
  },
  CG_GATEWAY_ENV: {
    severity: 'error',
    summary: 'a CORSGATE_* variable for a boolean flag that is not true/false, 1/0, yes/no or on/off',
  },
  CG_GATEWAY_ENV_UNKNOWN: {
    severity: 'warning',
    summary: 'a CORSGATE_* variable that names no serve option (a misspelling would do nothing)',
  },
} as const satisfies Record<string, { severity: 'error' | 'warning'; summary: string; status?: number }>;

export type GatewayCode = keyof typeof GATEWAY_CODES;

/**
 * The codes the admin listener answers with: each carries its HTTP status here, once, and every
 * answer takes it from here (as fastify's `createError` and undici's error classes carry theirs).
 */
export type AdminAnswerCode = {
  [K in GatewayCode]: (typeof GATEWAY_CODES)[K] extends { readonly status: number } ? K : never;
}[GatewayCode];

/** The HTTP status an admin answer with `code` has (docs/errors.md "Admin API codes"). */
export function httpStatusOf(code: AdminAnswerCode): number {
  return GATEWAY_CODES[code].status;
}
