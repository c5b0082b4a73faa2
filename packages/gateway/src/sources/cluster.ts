/**
 * The Redis Cluster kind (docs/sources.md "Cluster"): `redis+cluster://NODES` and
 * `rediss+cluster://` (managed Redis in cluster mode). The Redis source itself, its keys under one
 * hash tag so the write stays one script on one slot; MOVED, ASK and a failover of the slot's
 * master are followed.
 */
import { RedisSource } from './redis.js';
import type { SourceKind } from './types.js';

export const clusterKind: SourceKind = {
  schemes: ['redis+cluster', 'rediss+cluster'],
  create: (address) => new RedisSource(address, 'redis-cluster'),
};
