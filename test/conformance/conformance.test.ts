/**
 * Runs the behaviour table (cases.ts) against every way in on Node, each a real server on
 * loopback, over raw HTTP/1.1: the adapters (_ways-in.ts) and the gateway (_gateway.ts). Bun,
 * Deno and workerd are in runtimes.test.ts.
 */
import { gateway } from './_gateway.js';
import { defineWayIn } from './_table.js';
import { ADAPTERS } from './_ways-in.js';

for (const way of [...ADAPTERS, gateway]) defineWayIn(way);
