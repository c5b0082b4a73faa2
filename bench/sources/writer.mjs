// The writer of the 100,000-line benchmark, in its own process as `corsgate allowlist push` would
// be: lints and pushes the text it is told to, and answers with the wall-clock times of the
// start of the push and of Redis acknowledging the write.
import { pushRedisAllowlist } from '@corsgate/redis';

const url = process.argv[2];
process.on('message', async (m) => {
  if (m === 'stop') process.exit(0);
  const start = performance.timeOrigin + performance.now();
  await pushRedisAllowlist(url, m.text);
  process.send({ start, written: performance.timeOrigin + performance.now() });
});
process.send({ ready: true });
