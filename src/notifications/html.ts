// Small helpers for Telegram's HTML parse mode: escaping dynamic text, a few inline tags, and the reverse (plain text).

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };

/** Escapes `&`, `<`, `>` and `"` so any string can sit in Telegram HTML text or a quoted attribute value. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ESCAPES[c] ?? c);
}

/** Bold; the argument is plain text and is escaped. */
export function b(text: string): string {
  return `<b>${escapeHtml(text)}</b>`;
}

/** Italic; the argument is plain text and is escaped. */
export function i(text: string): string {
  return `<i>${escapeHtml(text)}</i>`;
}

/** Monospace; the argument is plain text and is escaped. */
export function code(text: string): string {
  return `<code>${escapeHtml(text)}</code>`;
}

const NAMED_ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** Decodes the named entities Telegram supports (plus &apos;) and numeric ones; anything else is left as is. */
export function unescapeHtml(s: string): string {
  return s.replace(
    /&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|([a-zA-Z]+));/g,
    (whole, dec?: string, hex?: string, name?: string) => {
      if (name !== undefined) return NAMED_ENTITIES[name] ?? whole;
      const cp = dec !== undefined ? Number.parseInt(dec, 10) : Number.parseInt(hex ?? '', 16);
      const valid = cp > 0 && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff);
      return valid ? String.fromCodePoint(cp) : whole;
    },
  );
}

const TAG = /<\/?[a-zA-Z][a-zA-Z0-9-]*(?:\s+[^\s=>/]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]+))?)*\s*\/?>/g;

/** Plain text of a Telegram HTML message (tags removed, entities decoded), for logs and terminals. */
export function htmlToPlainText(html: string): string {
  return unescapeHtml(html.replace(TAG, ''));
}
