/**
 * corsgate for Fastify 4 and 5: `await app.register(cors, options)`.
 * @module
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import type { Decision } from '../../engine/decision.js';
import { appendVary } from '../../engine/vary.js';
import { answerStatus, answersItself } from '../../request/answer.js';
import { keepVaryAtHead, nodeFacts } from '../../request/node.js';
import { type CorsOptions, policySource } from '../_shared.js';

/** Options Fastify's `register` itself reads and passes along; they are not CORS configuration. */
const REGISTER_OPTIONS = ['prefix', 'logLevel', 'logSerializers'] as const;

function setHeaders(reply: FastifyReply, decision: Decision): void {
  const headers = decision.headers;
  for (const name in headers) reply.header(name, headers[name]!);
  const vary = decision.vary;
  if (vary.length === 0) return;
  const existing = reply.getHeader('vary');
  reply.header('vary', appendVary(typeof existing === 'number' ? String(existing) : existing, vary)!);
}

/**
 * A Fastify plugin. It declares `skip-override` (as fastify-plugin does) so its `onRequest` hook
 * applies to the context it is registered in, its children and the 404 handler when that is the
 * root; registered under a prefix or in an encapsulated plugin it covers that context's routes,
 * and its `OPTIONS *` route brings their preflights to it. Preflights are answered in `onRequest`, the earliest hook, before body
 * parsing, validation and any `preHandler` authentication, and never reach a route. Other requests
 * get their CORS headers in `onRequest`; Fastify keeps them on error and validation responses.
 * @param options the engine's configuration, or `{ policy }` with a compiled policy.
 * @example
 * import Fastify from 'fastify';
 * import { cors } from 'corsgate/fastify';
 * const app = Fastify();
 * await app.register(cors, { origins: ['https://app.example.com'], credentials: true });
 * app.get('/api/items', async () => []);
 * await app.listen({ port: 3000 });
 */
function corsgatePlugin(fastify: FastifyInstance, options: CorsOptions, done: (err?: Error) => void): void {
  let source: ReturnType<typeof policySource>;
  try {
    const cleaned: Record<string, unknown> = { ...options };
    for (const key of REGISTER_OPTIONS) delete cleaned[key];
    source = policySource(cleaned as CorsOptions);
  } catch (err) {
    done(err as Error);
    return;
  }
  fastify.addHook(
    'onRequest',
    (request: FastifyRequest, reply: FastifyReply, next: HookHandlerDoneFunction): void => {
      const facts = nodeFacts(request.raw);
      const decision = source.current().evaluate(facts);
      if (source.report !== undefined && !decision.allowed) source.report(decision, facts, request.raw.url);
      setHeaders(reply, decision);
      if (answersItself(decision, request.method, source.block)) {
        reply.code(answerStatus(decision)).send();
        return;
      }
      // Fastify passes its headers to `writeHead` as one object; none is set on the raw response.
      keepVaryAtHead(reply.raw, decision.vary, undefined);
      next();
    },
  );
  // Under a prefix, a preflight reaches this context's onRequest hook only through a route of this
  // context: a path with no OPTIONS route would otherwise get the root's 404, without CORS headers
  // (@fastify/cors registers the same route). At the root the 404 handler runs this hook already,
  // and an application's catch-all route (`app.all('*')`) must stay possible, so none is added
  // there. An OPTIONS request that is not a preflight falls through to the 404 it would have had;
  // an application's own OPTIONS route for a path is more specific and still wins.
  if (fastify.prefix !== '' && !fastify.hasRoute({ method: 'OPTIONS', url: '*' })) {
    fastify.options('*', (_request: FastifyRequest, reply: FastifyReply) => {
      reply.callNotFound();
    });
  }
  fastify.addHook('onClose', (_instance, closed) => {
    source.close().then(() => closed(), closed);
  });
  source.ready.then(() => done(), done);
}

Object.defineProperty(corsgatePlugin, Symbol.for('skip-override'), { value: true });
Object.defineProperty(corsgatePlugin, Symbol.for('fastify.display-name'), { value: 'corsgate' });
Object.defineProperty(corsgatePlugin, Symbol.for('plugin-meta'), {
  value: { name: 'corsgate', fastify: '4.x || 5.x' },
});

export const cors = corsgatePlugin;
