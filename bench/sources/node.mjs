// One "node" of the push-to-enforced benchmark: follows a source (a Redis URL or a file) and tells
// its parent, over IPC, the wall-clock time (performance.timeOrigin + now, comparable between
// processes on one machine) at which each version came into force.
import { openRedisAllowlist } from '@corsgate/redis';
import { watchAllowlist } from 'corsgate/allowlist';

const source = process.argv[2];
const s = source.startsWith('redis')
  ? await openRedisAllowlist(source)
  : await watchAllowlist(source, { debounceMs: 0, maxWaitMs: 0 });
s.on((e) => {
  if (e.type === 'reloaded')
    process.send({ hash: e.snapshot.hash, at: performance.timeOrigin + performance.now() });
});
process.send({ ready: true });
process.on('message', async (m) => {
  if (m === 'stop') {
    await s.close();
    process.exit(0);
  }
});
