// Custom search attributes shown in the Temporal Web UI; checked (and registered where allowed) at start-up.
import type { StartupContext } from './startup';

/** Returns whether the workflows may upsert the custom search attributes. */
// eslint-disable-next-line @typescript-eslint/require-await
export async function ensureSearchAttributes(_ctx: StartupContext): Promise<boolean> {
  // Workflows do not upsert custom search attributes yet.
  return false;
}
