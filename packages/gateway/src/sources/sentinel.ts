/**
 * The Redis Sentinel kind (docs/sources.md "Sentinel"): `redis+sentinel://SENTINELS/MASTER` and
 * `rediss+sentinel://`. The Redis source itself, over a master the sentinels name: it follows a
 * failover to the new master, and a write caught in one is applied once or refused with a code.
 */

import { RedisSource } from './redis.js';
import type { SourceKind } from './types.js';

export const sentinelKind: SourceKind = {
  schemes: ['redis+sentinel', 'rediss+sentinel'],
  create: (address) => new RedisSource(address, 'redis-sentinel'),
};
