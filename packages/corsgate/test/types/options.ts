/**
 * Type-level checks of the middleware options, compiled by tsc (option-types.test.ts), never run.
 * Each `@ts-expect-error` line must be a type error: tsc fails on one that is not.
 */
import Fastify from 'fastify';
import type { CompiledPolicyOptions, CorsOptions } from '../../src/adapters/express/index.js';
import { cors as expressCors } from '../../src/adapters/express/index.js';
import { cors as fastifyCors } from '../../src/adapters/fastify/index.js';
import { withCors } from '../../src/adapters/fetch/index.js';
import { cors as nodeCors } from '../../src/adapters/node/index.js';
import type { CorsConfigWithoutOrigins } from '../../src/index.js';
import { createPolicy } from '../../src/index.js';

const APP = 'https://app.example.com';
const policy = createPolicy({ origins: [APP] });
const handler = (): Response => new Response(null);

// The three forms, each with the middleware's own options beside it.
expressCors();
expressCors({ origins: [APP], credentials: true, blockDisallowedUnsafeRequests: true });
expressCors({ policy, blockDisallowedUnsafeRequests: true });
expressCors({ allowlist: '/etc/corsgate/allowed_origins.list', credentials: true, watchOptions: {} });
withCors(handler, { policy });
nodeCors({ origins: [APP] });
expressCors({ origins: [APP], publicOrigins: [APP], blockDisallowedUnsafeRequests: true });
expressCors({ allowlist: '/etc/corsgate/allowed_origins.list', publicOrigins: [APP] });

// A compiled policy already holds the whole configuration: nothing of it may come beside it.
// @ts-expect-error credentials beside a compiled policy
expressCors({ policy, credentials: true });
// @ts-expect-error origins beside a compiled policy
nodeCors({ policy, origins: [APP] });
// @ts-expect-error maxAge beside a compiled policy
withCors(handler, { policy, maxAge: 600 });
// @ts-expect-error publicOrigins beside a compiled policy (it goes into createPolicy)
expressCors({ policy, publicOrigins: [APP] });
// @ts-expect-error an allowlist file beside a compiled policy
expressCors({ policy, allowlist: '/etc/corsgate/allowed_origins.list' });

// With an allowlist file the origins come from the file.
// @ts-expect-error origins beside an allowlist file
expressCors({ allowlist: '/etc/corsgate/allowed_origins.list', origins: [APP] });
// @ts-expect-error watchOptions without an allowlist file
expressCors({ origins: [APP], watchOptions: {} });

// Fastify's register checks the plugin's options the same way.
const app = Fastify();
void app.register(fastifyCors, { policy });
// @ts-expect-error credentials beside a compiled policy, through Fastify's register
void app.register(fastifyCors, { policy, credentials: true });

// One name for each idea: `{ policy }`, and the configuration without its origins.
const compiled: CompiledPolicyOptions = { policy };
const rest: CorsConfigWithoutOrigins = { credentials: true, methods: ['PUT'] };
const options: CorsOptions = { allowlist: '/etc/corsgate/allowed_origins.list', ...rest };
// @ts-expect-error the configuration without origins has no origins
const withOrigins: CorsConfigWithoutOrigins = { origins: [APP] };
void [compiled, options, withOrigins];
