/**
 * What every adapter shares: turning `options` into a policy source.
 * Runtime-neutral (no `node:*` imports) so the fetch and hono adapters can load in workers.
 * @internal
 */
import type { AllowlistWatcher, WatchAllowlistOptions } from '../allowlist/types.js';
import { CorsConfigError, issue } from '../engine/errors.js';
import { type CorsConfig, type CorsConfigWithoutOrigins, createPolicy, Policy } from '../engine/policy.js';
import { type DeniedEvent, type DeniedReporter, deniedReporter } from '../request/denied.js';

/** A compiled policy, built once and shared between middleware instances or with the gateway. */
export interface CompiledPolicyOptions {
  readonly policy: Policy;
}

/**
 * An allowlist source (docs/sources.md): the origins come from it (hot reload), the rest of the
 * policy from the other fields. A path is a watched file; a `redis://` or `rediss://` URL is the
 * list a fleet shares (needs the `@corsgate/redis` package). A source you started yourself (a
 * watcher, `openRedisAllowlist`, `createAllowlistStore`) may be given instead; it is then yours to
 * close.
 */
export interface AllowlistOptions extends CorsConfigWithoutOrigins {
  readonly allowlist: string | AllowlistWatcher;
  /** Passed to `watchAllowlist` (poll interval, debounce…); only with a path. */
  readonly watchOptions?: Omit<WatchAllowlistOptions, 'config'>;
  /** Passed to `openRedisAllowlist` (cache file, poll interval, timeouts); only with a Redis URL. */
  readonly redisOptions?: RedisSourceOptions;
}

/** The options of `openRedisAllowlist` (`@corsgate/redis`) an adapter passes through. */
export interface RedisSourceOptions {
  /** A local file holding the last good version, used when the process starts while Redis is down. */
  readonly cache?: string;
  readonly pollIntervalMs?: number;
  readonly commandTimeoutMs?: number;
  readonly startTimeoutMs?: number;
}

/** What the middleware does beyond adding headers. */
export interface MiddlewareOptions {
  /**
   * Answer `403` to a state-changing request (any method but GET and HEAD) whose `Origin` is
   * present but neither allowed nor the server's own, without calling the application, as the
   * gateway does. CORS alone only hides the response from the page, after the application has
   * acted on the request. Same-origin requests and requests without `Origin` are not affected.
   * Default false: the application decides (its CSRF protection, SameSite cookies).
   */
  readonly blockDisallowedUnsafeRequests?: boolean;
  /**
   * Called for every refused CORS request (a 403 preflight, an actual request from an origin that
   * is not allowed) with its origin, method, path, reason and what to change. Without it, in
   * development (`NODE_ENV` unset or `development`) a one-line warning goes to console.warn, at most
   * once a minute for each origin, method and reason. Runs on the request path: keep it quick.
   */
  readonly onDenied?: (event: DeniedEvent) => void;
}

/** The fields of the other forms of options, which one form cannot have. */
type Without<K extends PropertyKey> = { readonly [P in K]?: never };

/**
 * The middleware options: the engine's configuration, `{ policy }` with a compiled `Policy`, or
 * `{ allowlist }` with the rest of the configuration, each with the middleware's own options beside
 * it. The forms do not mix: `{ policy, credentials: true }` is a type error, as it is an error at
 * run time (the compiled policy already holds the whole configuration).
 * @example
 * cors({ origins: ['https://app.example.com'], credentials: true, methods: ['PUT'] })
 * cors({ policy: createPolicy(config), blockDisallowedUnsafeRequests: true })
 * cors({ allowlist: '/etc/corsgate/allowed_origins.list', credentials: true })
 * cors({ allowlist: 'redis://10.0.0.5:6379', redisOptions: { cache: '/var/cache/corsgate.json' } })
 */
export type CorsOptions = (
  | (CorsConfig & Without<'policy' | 'allowlist' | 'watchOptions' | 'redisOptions'>)
  | (CompiledPolicyOptions & Without<keyof CorsConfig | 'allowlist' | 'watchOptions' | 'redisOptions'>)
  | (AllowlistOptions & Without<'origins' | 'policy'>)
) &
  MiddlewareOptions;

/** Where an adapter reads the policy in force from, on every request. */
export interface PolicySource {
  /** The policy to apply now. */
  current(): Policy;
  /**
   * Resolves once the policy is loaded: at once for a config or a compiled policy, after the first
   * read for an allowlist file. Rejects (an `AllowlistError`) when the file cannot be loaded at
   * start; the middleware then keeps refusing every cross-origin request.
   */
  readonly ready: Promise<void>;
  /** Stops watching (no-op unless the policy comes from a watched file). */
  close(): Promise<void>;
  /** `blockDisallowedUnsafeRequests`. */
  readonly block: boolean;
  /** Reports a refused request (`onDenied`, or the development warning); undefined when neither. */
  readonly report: DeniedReporter | undefined;
}

const RESOLVED: Promise<void> = Promise.resolve();
const NOOP_CLOSE = (): Promise<void> => RESOLVED;

/**
 * Resolves options once, at factory time: validation errors throw here, at start-up, never on a
 * request (fail closed: a bad configuration never serves traffic).
 * @throws CorsConfigError when the configuration is invalid or `policy` is not a compiled Policy.
 */
export function policySource(options: CorsOptions | undefined): PolicySource {
  const { blockDisallowedUnsafeRequests: block, onDenied, ...rest } = options ?? {};
  if (onDenied !== undefined && typeof onDenied !== 'function')
    throw new CorsConfigError([
      issue('CG_CONFIG_TYPE', ['onDenied'], onDenied, '"onDenied" must be a function of the refused request'),
    ]);
  const report = deniedReporter(onDenied);
  if (block !== undefined && typeof block !== 'boolean')
    throw new CorsConfigError([
      issue(
        'CG_CONFIG_TYPE',
        ['blockDisallowedUnsafeRequests'],
        block,
        '"blockDisallowedUnsafeRequests" must be true or false',
      ),
    ]);
  if ('allowlist' in rest && rest.allowlist !== undefined) return watchedSource(rest, block === true, report);
  const policy = resolvePolicy(rest);
  return { current: () => policy, ready: RESOLVED, close: NOOP_CLOSE, block: block === true, report };
}

/**
 * A policy that follows an allowlist file. Until the first version is loaded, and for good if it
 * cannot be, the policy in force allows no origin (fail closed): the rest of the configuration
 * with an empty origin list. It is also how the rest is validated now, synchronously. The watcher
 * module (node:fs) is loaded only here, so the fetch and hono adapters stay loadable in workers.
 */
function watchedSource(
  options: AllowlistOptions,
  block: boolean,
  report: DeniedReporter | undefined,
): PolicySource {
  const { allowlist, watchOptions, redisOptions, ...config } = options;
  if ('origins' in config && (config as CorsConfig).origins !== undefined)
    throw new CorsConfigError([
      issue(
        'CG_CONFIG_UNKNOWN_FIELD',
        ['origins'],
        (config as CorsConfig).origins,
        '"origins" cannot be combined with "allowlist": the origins come from the file',
      ),
    ]);
  const closed = createPolicy({ ...config, origins: [] });
  let watcher: AllowlistWatcher | undefined;
  let closing = false;
  /** Why the list is not in force yet (the first start failed), for the refusals' fix. */
  let unloaded: string | undefined;
  let retry: ReturnType<typeof setTimeout> | undefined;
  const open = (): Promise<AllowlistWatcher> =>
    typeof allowlist !== 'string'
      ? Promise.resolve(allowlist)
      : REDIS_URL.test(allowlist)
        ? openRedis(allowlist, { ...redisOptions, config })
        : import('../allowlist/watch.js').then((m) =>
            m.watchAllowlist(allowlist, { ...watchOptions, config }),
          );
  const use = (w: AllowlistWatcher): void => {
    watcher = w;
    unloaded = undefined;
    // One read of `current` per request: each request sees one whole snapshot (docs/allowlist.md, reload scenarios row 22).
    source.current = () => w.current.policy;
  };
  // `ready` exists before the source does, so the source is built whole and never written
  // through a cast; only `current` changes, when the first version is in.
  const ready = open().then(use);
  // A file that cannot be loaded at start is said at once, loudly, and looked for again until it
  // can be: creating (or fixing) it later puts it in force (docs/middleware.md "Hot reload").
  ready.catch((error: unknown) => {
    if (typeof allowlist !== 'string' || REDIS_URL.test(allowlist)) return;
    const { code, message } = describe(error);
    unloaded = `the allowlist ${allowlist} is not loaded (${code}): create or fix it; every origin is refused until it loads`;
    console.error(
      `corsgate: ${message}; every origin is refused until the file loads (it is picked up when it appears)`,
    );
    const again = (): void => {
      retry = setTimeout(() => {
        if (closing) return;
        open().then(
          (w) => {
            if (closing) void w.close();
            else use(w);
          },
          () => again(),
        );
      }, watchOptions?.pollIntervalMs ?? 1_000);
      (retry as { unref?: () => void }).unref?.();
    };
    again();
  });
  const source: PolicySource = {
    current: () => closed,
    ready,
    block,
    report:
      report === undefined ? undefined : (decision, facts, url) => report(decision, facts, url, unloaded),
    close: async () => {
      closing = true;
      if (retry !== undefined) clearTimeout(retry);
      // Waits for a start in progress, so a watcher is never left running behind a close.
      await ready.catch(() => undefined);
      // A watcher passed in is the caller's to close.
      if (watcher !== undefined && typeof allowlist === 'string') await watcher.close();
    },
  };
  return source;
}

/** The code and the message (without its `corsgate: `) of an AllowlistError, or of anything else. */
function describe(error: unknown): { code: string; message: string } {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return {
    code: typeof code === 'string' ? code : 'error',
    message: typeof message === 'string' ? message.replace(/^corsgate: /, '') : String(error),
  };
}

const REDIS_URL = /^rediss?(?:\+(?:sentinel|cluster))?:\/\//i;
/** A variable, so that neither TypeScript nor a bundler resolves the optional package at build time. */
const REDIS_PACKAGE = '@corsgate/redis';

/**
 * Opens a Redis source through `@corsgate/redis`, an optional peer: `corsgate` itself keeps zero
 * runtime dependencies (docs/sources.md "Which package").
 */
async function openRedis(
  url: string,
  options: RedisSourceOptions & { config: object },
): Promise<AllowlistWatcher> {
  let redis: { openRedisAllowlist(url: string, options: object): Promise<AllowlistWatcher> };
  try {
    redis = await import(REDIS_PACKAGE);
  } catch {
    const { AllowlistError } = await import('../allowlist/errors.js');
    throw new AllowlistError(
      'CG_ALLOWLIST_SOURCE_INVALID',
      'corsgate: a Redis allowlist source needs the @corsgate/redis package (npm install @corsgate/redis)',
    );
  }
  return redis.openRedisAllowlist(url, options);
}

function resolvePolicy(options: CorsConfig | CompiledPolicyOptions | AllowlistOptions): Policy {
  if ('policy' in options) {
    const { policy, ...rest } = options as CompiledPolicyOptions & Record<string, unknown>;
    const issues = [];
    if (!(policy instanceof Policy))
      issues.push(
        issue('CG_CONFIG_TYPE', ['policy'], policy, '"policy" must be a Policy from createPolicy()'),
      );
    for (const key of Object.keys(rest)) {
      if (rest[key] !== undefined)
        issues.push(
          issue(
            'CG_CONFIG_UNKNOWN_FIELD',
            [key],
            rest[key],
            `"${key}" cannot be combined with "policy": the compiled policy already holds the whole configuration`,
          ),
        );
    }
    if (issues.length > 0) throw new CorsConfigError(issues);
    return policy;
  }
  return createPolicy(options as CorsConfig);
}
