// Every secret value the environment holds, read without validation, so even a start-up failure can be scrubbed.

type Env = Record<string, string | undefined>;

/** Variables whose whole value is a secret: ours, and the Temporal SDK's envconfig credentials. */
export const SECRET_SETTINGS = [
  'CLOUDFLARE_API_TOKEN',
  'CLOUDFLARE_API_KEY',
  'TELEGRAM_BOT_TOKEN',
  'WEBHOOK_SECRET',
  'TEMPORAL_API_KEY',
  'TEMPORAL_TLS_CLIENT_KEY_DATA',
  'TEMPORAL_CODEC_AUTH',
] as const;

/** gRPC metadata headers that carry credentials (TEMPORAL_GRPC_META_AUTHORIZATION and the like). */
const SECRET_META = /^TEMPORAL_GRPC_META_.*(AUTH|KEY|TOKEN|SECRET)/i;

/**
 * The secret values to redact: each whole value, plus the parts that can show up on their own — a bot token's
 * secret after the colon, and each line of a PEM key's body.
 */
export function secretValues(env: Env): string[] {
  const out = new Set<string>();
  const names = [...SECRET_SETTINGS, ...Object.keys(env).filter((k) => SECRET_META.test(k))];
  for (const name of names) {
    const value = env[name]?.trim();
    if (!value) continue;
    out.add(value);
    if (name === 'TELEGRAM_BOT_TOKEN' && value.includes(':')) out.add(value.slice(value.indexOf(':') + 1));
    for (const part of pemParts(value)) out.add(part);
  }
  return [...out].filter((s) => s.length >= 4);
}

/** The base64 lines of a PEM block (an error text may quote one line of it, or the key with other line breaks). */
export function pemParts(value: string): string[] {
  if (!value.includes('-----BEGIN')) return [];
  return value
    .replace(/\\n/g, '\n')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length >= 16 && !l.startsWith('-----'));
}
