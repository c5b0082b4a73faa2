/**
 * The compile of a configuration, one concern a module (the way jub0bs/cors splits its
 * configuration): fields and types (`fields.ts`), origins, methods, request headers, exposed
 * headers, numbers and flags, and the application's own origins (`public-origins.ts`). This module
 * only runs them in order, so the issues come out in the order of the configuration, and assembles
 * what `Policy` evaluates with.
 */
import type { AllowedRequestHeaders } from '../acrh.js';
import { type ConfigIssue, issue } from '../errors.js';
import type { OriginMatcher } from '../matcher.js';
import { compileExposeHeaders } from './expose-headers.js';
import { ConfigReader } from './fields.js';
import { compileMaxAge, compilePreflightStatus, readFlags } from './flags.js';
import { compileMethods } from './methods.js';
import { compileOrigins } from './origins.js';
import { type CompiledPublicOrigins, compilePublicOrigins } from './public-origins.js';
import { compileRequestHeaders } from './request-headers.js';
import type { NormalisedCorsConfig } from './types.js';

/** What a `Policy` is built from. */
export interface Compiled {
  readonly normalised: NormalisedCorsConfig;
  /** Built in the same slices as the compile, so that `Policy` gets it ready-made. */
  readonly matcher: OriginMatcher;
  readonly methods: Set<string>;
  readonly anyMethod: boolean;
  readonly requestHeaders: AllowedRequestHeaders;
  /** The application's own origins and hosts; unset: same-origin is taken from `Host`. */
  readonly publicOrigins: CompiledPublicOrigins;
}

export type CompileResult = { compiled?: Compiled; issues: ConfigIssue[] };

/** Runs every step of the compile at once: `createPolicy` and `validateConfig`. */
export function compile(input: unknown): CompileResult {
  const steps = compileSteps(input);
  let step = steps.next();
  while (step.done !== true) step = steps.next();
  return step.value;
}

/**
 * The compile, as steps: the origins yield every `SLICE_ENTRIES` entries so that
 * `createPolicyAsync` can give the event loop back between slices. Run to the end, it is the same
 * code path and result as the synchronous compile (`compile` above just does that).
 */
export function* compileSteps(input: unknown): Generator<void, CompileResult, void> {
  const issues: ConfigIssue[] = [];
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    issues.push(issue('CG_CONFIG_TYPE', [], input, 'the configuration must be an object'));
    return { issues };
  }
  const reader = new ConfigReader(input as Record<string, unknown>, issues);
  reader.reportUnknownFields();
  const flags = readFlags(reader);
  const origins = yield* compileOrigins(reader.rawList('origins'), flags, issues);
  if (flags.privateNetwork && origins.matcher.any) {
    issues.push(
      issue(
        'CG_PRIVATE_NETWORK_WITH_ANY_ORIGIN',
        ['privateNetwork'],
        true,
        'Private Network Access lets public pages reach private servers; granting it to every origin (*) defeats it',
      ),
    );
  }
  const methods = compileMethods(reader.list('methods'), issues);
  const requestHeaders = compileRequestHeaders(reader.list('requestHeaders'), issues);
  const exposeHeaders = compileExposeHeaders(reader.list('exposeHeaders'), flags.credentials, issues);
  const maxAge = compileMaxAge(reader.value('maxAge'), issues);
  const preflightStatus = compilePreflightStatus(reader.value('preflightStatus'), issues);
  const publicOrigins = compilePublicOrigins(
    reader.value('publicOrigins') !== undefined,
    reader.list('publicOrigins'),
    issues,
  );

  const normalised: NormalisedCorsConfig = {
    origins: origins.texts,
    credentials: flags.credentials,
    methods: methods.texts,
    requestHeaders: requestHeaders.texts,
    exposeHeaders,
    preflightStatus,
    privateNetwork: flags.privateNetwork,
    debug: flags.debug,
    dangerouslyAllowNullOrigin: flags.allowNull,
    dangerouslyAllowInsecureOrigins: flags.allowInsecure,
    dangerouslyAllowPublicSuffixWildcards: flags.allowPublicSuffix,
  };
  if (maxAge !== undefined) normalised.maxAge = maxAge;
  if (publicOrigins.texts !== undefined) normalised.publicOrigins = publicOrigins.texts;
  return {
    compiled: {
      normalised,
      matcher: origins.matcher,
      methods: methods.methods,
      anyMethod: methods.any,
      requestHeaders: requestHeaders.allowed,
      publicOrigins,
    },
    issues,
  };
}
