// The newcomer's ./.env: loaded when present, unless MT_AUTOWITHDRAW_NO_DOTENV=1 (tests, systemd units) says not to.
import { existsSync } from 'node:fs';

export const NO_DOTENV = 'MT_AUTOWITHDRAW_NO_DOTENV';

/** Loads ./.env into process.env (variables already set win); returns the file it loaded, or null. */
export function loadDotenv(env: NodeJS.ProcessEnv = process.env, file = '.env'): string | null {
  if (['1', 'true', 'yes'].includes((env[NO_DOTENV] ?? '').trim().toLowerCase())) return null;
  if (!existsSync(file)) return null;
  process.loadEnvFile(file);
  return file;
}
