// Pure parser for Telegram's HTML parse mode, as strict as the Bot API: documented tags only, balanced,
// only &lt; &gt; &amp; &quot; and numeric entities. Used by the simulator and by tests as an oracle.

export type TelegramEntityType =
  | 'bold'
  | 'italic'
  | 'underline'
  | 'strikethrough'
  | 'spoiler'
  | 'text_link'
  | 'code'
  | 'pre'
  | 'blockquote'
  | 'expandable_blockquote';

export interface TelegramEntity {
  type: TelegramEntityType;
  /** Offset and length in UTF-16 code units, like the Bot API. */
  offset: number;
  length: number;
  url?: string;
  language?: string;
}

export type ParseHtmlResult =
  | { ok: true; text: string; entities: TelegramEntity[] }
  | { ok: false; /** Without the "Bad Request: can't parse entities: " prefix. */ error: string };

const TAG_TYPES: Record<string, TelegramEntityType> = {
  b: 'bold',
  strong: 'bold',
  i: 'italic',
  em: 'italic',
  u: 'underline',
  ins: 'underline',
  s: 'strikethrough',
  strike: 'strikethrough',
  del: 'strikethrough',
  'tg-spoiler': 'spoiler',
  span: 'spoiler',
  a: 'text_link',
  code: 'code',
  pre: 'pre',
  blockquote: 'blockquote',
};

const NAMED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"' };

const TAG_RE =
  /<(\/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^\s=>/"'<]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))?)*)\s*(\/?)>/y;
const ATTR_RE = /\s+([^\s=>/"'<]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/y;
const ENTITY_RE = /&(?:#(\d+)|#[xX]([0-9a-fA-F]+)|([a-zA-Z][a-zA-Z0-9]*));/y;

class ParseError extends Error {}

interface OpenTag {
  name: string;
  type: TelegramEntityType;
  start: number;
  url?: string;
  language?: string;
}

/** Parses one message text in HTML parse mode. Never throws. */
export function parseTelegramHtml(html: string): ParseHtmlResult {
  try {
    return { ok: true, ...parse(html) };
  } catch (e) {
    if (e instanceof ParseError) return { ok: false, error: e.message };
    throw e;
  }
}

/** Length in UTF-16 code units, the unit the Bot API uses for entity offsets and the 4096 limit. */
export function telegramLength(text: string): number {
  return text.length;
}

function byteOffset(html: string, index: number): number {
  return new TextEncoder().encode(html.slice(0, index)).length;
}

function decodeEntity(html: string, at: number): { char: string; end: number } {
  ENTITY_RE.lastIndex = at;
  const m = ENTITY_RE.exec(html);
  if (!m) {
    throw new ParseError(`Character "&" must be escaped as "&amp;" (byte offset ${byteOffset(html, at)})`);
  }
  const [whole, dec, hex, name] = m;
  if (name !== undefined) {
    const ch = NAMED[name];
    if (ch === undefined) {
      throw new ParseError(`Unsupported HTML entity "&${name};" at byte offset ${byteOffset(html, at)}`);
    }
    return { char: ch, end: at + whole.length };
  }
  const cp = dec !== undefined ? Number.parseInt(dec, 10) : Number.parseInt(hex ?? '', 16);
  if (!(cp > 0 && cp <= 0x10ffff) || (cp >= 0xd800 && cp <= 0xdfff)) {
    throw new ParseError(`Invalid numeric HTML entity "${whole}" at byte offset ${byteOffset(html, at)}`);
  }
  return { char: String.fromCodePoint(cp), end: at + whole.length };
}

function decodeAttr(html: string, raw: string, at: number): string {
  let out = '';
  for (let k = 0; k < raw.length;) {
    if (raw[k] === '&') {
      // Re-run the entity matcher on the attribute text; offsets in errors point at the tag.
      try {
        const { char, end } = decodeEntity(raw, k);
        out += char;
        k = end;
      } catch {
        throw new ParseError(`Bad entity in attribute value of the tag at byte offset ${byteOffset(html, at)}`);
      }
    } else {
      out += raw[k];
      k += 1;
    }
  }
  return out;
}

function parseAttrs(html: string, raw: string, at: number): Map<string, string> {
  const attrs = new Map<string, string>();
  ATTR_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while (ATTR_RE.lastIndex < raw.length && (m = ATTR_RE.exec(raw)) !== null) {
    const value = m[2] ?? m[3] ?? m[4] ?? '';
    attrs.set((m[1] ?? '').toLowerCase(), decodeAttr(html, value, at));
  }
  return attrs;
}

function parse(html: string): { text: string; entities: TelegramEntity[] } {
  let text = '';
  const entities: TelegramEntity[] = [];
  const stack: OpenTag[] = [];
  let k = 0;
  while (k < html.length) {
    const ch = html[k];
    if (ch === '&') {
      const { char, end } = decodeEntity(html, k);
      text += char;
      k = end;
      continue;
    }
    if (ch !== '<') {
      text += ch;
      k += 1;
      continue;
    }
    TAG_RE.lastIndex = k;
    const m = TAG_RE.exec(html);
    if (!m) {
      throw new ParseError(
        `Unexpected "<" at byte offset ${byteOffset(html, k)}: not a tag; escape it as "&lt;" in text`,
      );
    }
    const [whole, slash, rawName, rawAttrs, selfClose] = m;
    const name = (rawName ?? '').toLowerCase();
    const at = byteOffset(html, k);
    if (slash === '/') {
      const top = stack.pop();
      if (!top) throw new ParseError(`Unexpected end tag "${name}" at byte offset ${at}`);
      if (top.name !== name) {
        throw new ParseError(`Unmatched end tag at byte offset ${at}, expected "</${top.name}>", found "</${name}>"`);
      }
      closeEntity(top, text, entities, stack);
    } else {
      const type = TAG_TYPES[name];
      if (type === undefined) throw new ParseError(`Unsupported start tag "${name}" at byte offset ${at}`);
      if (selfClose === '/') throw new ParseError(`Self-closing tag "${name}" at byte offset ${at} is not supported`);
      const attrs = parseAttrs(html, rawAttrs ?? '', k);
      const open: OpenTag = { name, type, start: text.length };
      checkNesting(name, stack, at);
      if (name === 'a') {
        const href = attrs.get('href');
        if (href === undefined || href.trim() === '') {
          throw new ParseError(`Tag "a" at byte offset ${at} must have a non-empty "href" attribute`);
        }
        open.url = href;
      } else if (name === 'span' && attrs.get('class') !== 'tg-spoiler') {
        throw new ParseError(`Tag "span" must have class "tg-spoiler" at byte offset ${at}`);
      } else if (name === 'code') {
        const cls = attrs.get('class');
        if (cls?.startsWith('language-')) open.language = cls.slice('language-'.length);
      } else if (name === 'blockquote' && attrs.has('expandable')) {
        open.type = 'expandable_blockquote';
      }
      stack.push(open);
    }
    k += whole.length;
  }
  const unclosed = stack.pop();
  if (unclosed) throw new ParseError(`Can't find end tag corresponding to start tag "${unclosed.name}"`);
  entities.sort((x, y) => x.offset - y.offset || y.length - x.length);
  return { text, entities };
}

function checkNesting(name: string, stack: OpenTag[], at: number): void {
  const top = stack[stack.length - 1];
  if (top && (top.name === 'code' || top.name === 'pre')) {
    const codeInPre = top.name === 'pre' && name === 'code';
    if (!codeInPre) throw new ParseError(`Entities can't be nested inside "${top.name}" (byte offset ${at})`);
  }
  if (stack.some((t) => t.name === 'code'))
    throw new ParseError(`Entities can't be nested inside "code" (byte offset ${at})`);
  if (name === 'a' && stack.some((t) => t.name === 'a')) {
    throw new ParseError(`Links can't be nested (byte offset ${at})`);
  }
  if (name === 'blockquote' && stack.some((t) => t.name === 'blockquote')) {
    throw new ParseError(`Blockquotes can't be nested (byte offset ${at})`);
  }
}

function closeEntity(open: OpenTag, text: string, entities: TelegramEntity[], stack: OpenTag[]): void {
  const parent = stack[stack.length - 1];
  if (open.name === 'code' && parent?.name === 'pre') {
    // <pre><code class="language-x"> is one pre entity with a language.
    if (open.language !== undefined) parent.language = open.language;
    return;
  }
  const length = text.length - open.start;
  if (length === 0) return;
  const entity: TelegramEntity = { type: open.type, offset: open.start, length };
  if (open.url !== undefined) entity.url = open.url;
  if (open.type === 'pre' && open.language !== undefined) entity.language = open.language;
  entities.push(entity);
}
