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
  CG_GATEWAY_FLAG: {
    severity: 'error',
    summary: 'a flag value out of range (port, workers, timeout, log level, TLS pair)',
  },
} as const satisfies Record<string, { severity: 'error' | 'warning'; summary: string }>;

export type GatewayCode = keyof typeof GATEWAY_CODES;
