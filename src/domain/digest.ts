// A short stable fingerprint of a JSON value (FNV-1a): change detection only, never security.

export function digestOf(value: unknown): string {
  const text = JSON.stringify(value) ?? 'undefined';
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}
