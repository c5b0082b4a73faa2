/**
 * Interim atomic replace for `lint --fix` until `corsgate/allowlist` exports its writer: write a
 * sibling temp file, fsync it, rename it over the target (atomic on one filesystem, so a watcher
 * sees the old file or the new one, never half), keeping the file's mode.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export async function writeFileAtomic(path: string, data: string): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const mode = (await stat(path)).mode & 0o7777;
  const handle = await open(temp, 'wx', mode);
  try {
    await handle.writeFile(data, 'utf8');
    await handle.sync();
  } catch (e) {
    await handle.close();
    await unlink(temp).catch(() => {});
    throw e;
  }
  await handle.close();
  try {
    await rename(temp, path);
  } catch (e) {
    await unlink(temp).catch(() => {});
    throw e;
  }
}
