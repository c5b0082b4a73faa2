/**
 * The behaviour table (cases.ts) against real nginx running `corsgate export nginx` of the same
 * configuration as the gateway (docs/nginx.md "Proof"): the same statuses, headers, Vary and
 * reasons. Rows nginx cannot meet name the reason in their `gaps.nginx`.
 */
import { nginx } from './_nginx.js';
import { defineWayIn } from './_table.js';

defineWayIn(nginx);
