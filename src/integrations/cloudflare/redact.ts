// Scrubs credentials from any text that may reach an error message or a log line.

export type Redactor = (text: string) => string;

/** Replaces every occurrence of each secret; secrets shorter than 4 characters are ignored (too noisy). */
export function createRedactor(secrets: readonly string[]): Redactor {
  const live = secrets.filter((s) => typeof s === 'string' && s.length >= 4);
  return (text: string) => live.reduce((acc, secret) => acc.split(secret).join('[redacted]'), text);
}
