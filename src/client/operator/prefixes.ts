// Resolves a prefix typed by an operator against the mapping file: one clear line and exit 2 when it is not ours.
import type { AppConfig, PrefixEntry } from '../../config';
import { canonicalCidr } from '../../domain/cidr';
import { CliError } from '../context';

/** Exit code for a request refused by a safety rule (locked, cooldown, not advertised, under attack…). */
export const EXIT_REFUSED = 3;
/** Exit code for bad input: nothing was sent anywhere. */
export const EXIT_BAD_INPUT = 2;

/** "185.54.81.0/24" (or any spelling of it, e.g. "2A02:4460:1:0::/48") → the configured entry. */
export function resolvePrefix(config: AppConfig, text: string): PrefixEntry {
  let cidr: string;
  try {
    cidr = canonicalCidr(text.trim());
  } catch (err) {
    throw new CliError(`"${text}" is not a valid prefix: ${(err as Error).message}`, EXIT_BAD_INPUT);
  }
  const entry = config.prefixes.find((p) => p.cidr === cidr);
  if (!entry)
    throw new CliError(
      `${cidr} is not in the prefix mapping (${config.prefixMappingFile}); configured: ${config.prefixes.map((p) => p.cidr).join(', ')}`,
      EXIT_BAD_INPUT,
    );
  return entry;
}

/** The operator's name for records and notifications: $USER@host (MTCTL_ACTOR overrides it, e.g. in runbooks). */
export function operatorName(env: NodeJS.ProcessEnv, host: string): string {
  const explicit = env.MTCTL_ACTOR?.trim();
  if (explicit) return explicit;
  const user = env.SUDO_USER?.trim() || env.USER?.trim() || env.LOGNAME?.trim() || 'unknown';
  return `${user}@${host}`;
}
