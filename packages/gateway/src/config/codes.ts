/**
 * The gateway's own configuration codes: problems in the YAML file and the flags that are not
 * CORS policy (the engine's registry, `ISSUE_CODES` in the corsgate package, covers those).
 * Documented in docs/errors.md beside the engine's codes; a test checks both directions.
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
    summary: 'a Host that is not the admin listener’s own address or a configured name (421)',
  },
  CG_GATEWAY_ADMIN_UNAUTHORIZED: {
    severity: 'error',
    summary: 'an admin request without a valid token where one is needed (401)',
  },
  CG_GATEWAY_ADMIN_CROSS_SITE: {
    severity: 'error',
    summary: 'an admin state change whose Origin or Sec-Fetch-Site says another site (403)',
  },
  CG_GATEWAY_ADMIN_CONFLICT: {
    severity: 'error',
    summary: 'an admin write whose If-Match version is not the version in force (409)',
  },
  CG_GATEWAY_ADMIN_SOURCE_LOST: {
    severity: 'error',
    summary: 'an admin write while the source has lost its text and a version is in force (503)',
  },
  CG_GATEWAY_ADMIN_NOT_LISTED: { severity: 'error', summary: 'a removal of an origin no line lists (404)' },
  CG_GATEWAY_ADMIN_BAD_REQUEST: {
    severity: 'error',
    summary: 'an admin request without a required field, or with a malformed body or If-Match (400, 413)',
  },
  CG_GATEWAY_ADMIN_UNAVAILABLE: {
    severity: 'error',
    summary: 'an admin write or view this process cannot serve (501)',
  },
  CG_GATEWAY_ADMIN_NOT_FOUND: { severity: 'error', summary: 'no admin endpoint at this path (404)' },
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
} as const satisfies Record<string, { severity: 'error' | 'warning'; summary: string }>;

export type GatewayCode = keyof typeof GATEWAY_CODES;
