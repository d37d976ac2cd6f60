// Temporal schedules the worker keeps in place (created or updated at start-up).
import type { StartupContext } from './startup';

export async function ensureSchedules(_ctx: StartupContext): Promise<void> {
  // No schedules yet.
}
