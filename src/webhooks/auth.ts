// The cf-webhook-auth check: Cloudflare sends the configured secret verbatim; compared in constant time.
import { createHash, timingSafeEqual } from 'node:crypto';

export const AUTH_HEADER = 'cf-webhook-auth';

/**
 * True when the header carries exactly the secret. Both sides are hashed first, so the comparison is over equal
 * lengths and its time tells nothing about the secret's length or content. A missing or repeated header fails.
 */
export function secretMatches(given: string | string[] | undefined, secret: string): boolean {
  if (typeof given !== 'string' || secret === '') return false;
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(secret, 'utf8').digest();
  return timingSafeEqual(a, b);
}
