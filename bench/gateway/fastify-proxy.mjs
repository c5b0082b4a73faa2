// The peer: @fastify/http-proxy in front of the upstream with @fastify/cors doing the CORS job.
import cors from '@fastify/cors';
import proxy from '@fastify/http-proxy';
import Fastify from 'fastify';

const [upstream, port] = process.argv.slice(2);
const app = Fastify({ logger: false });
await app.register(cors, {
  origin: ['https://app.example.com'],
  credentials: true,
  methods: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE'],
  maxAge: 600,
});
// OPTIONS is left to @fastify/cors, which answers preflights.
await app.register(proxy, {
  upstream,
  httpMethods: ['DELETE', 'GET', 'HEAD', 'PATCH', 'POST', 'PUT'],
  undici: { connections: 256, pipelining: 1 },
});
await app.listen({ host: '127.0.0.1', port: Number(port) });
console.log(JSON.stringify({ port: app.server.address().port }));
process.on('SIGTERM', () => process.exit(0));
