// Start-up tasks the worker runs against Temporal before it takes work: search attributes, schedules.
import type { Client } from '@temporalio/client';
import type { AppConfig } from '../config';
import type { Logger } from '../logger';
import { ensureSchedules } from './schedules';
import { ensureSearchAttributes } from './search-attributes';

export interface StartupContext {
  client: Client;
  namespace: string;
  config: AppConfig;
  logger: Logger;
}

export interface StartupResult {
  /** Whether the workflows may upsert the custom search attributes (they are registered on the server). */
  searchAttributes: boolean;
}

export async function runStartupTasks(ctx: StartupContext): Promise<StartupResult> {
  const searchAttributes = await ensureSearchAttributes(ctx);
  await ensureSchedules(ctx);
  return { searchAttributes };
}
