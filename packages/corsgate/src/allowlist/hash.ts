/**
 * The one content hash of the repository (docs/sources.md "In Redis"): every source records it
 * for the version it applies, the writers store it beside the text, and the gateway compares
 * with it. One helper, so that no two places can ever disagree on what "the same version" is.
 */
import { createHash } from 'node:crypto';

/** sha256 of the text's UTF-8 bytes (or of the bytes as given), hex. */
export function allowlistHash(text: string | Uint8Array): string {
  return createHash('sha256').update(text).digest('hex');
}
