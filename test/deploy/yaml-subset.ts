// A strict reader for the small YAML subset our deployment files use (block maps and lists, `|` scripts, flow lists
// of quoted strings, `{}`), so tests can check their structure without a YAML library. Anything else is an error.

export type Yaml = string | Yaml[] | { [key: string]: Yaml };

interface Line {
  no: number;
  indent: number;
  text: string;
}

export function parseYamlSubset(source: string): Yaml {
  const raw = source.split('\n');
  const lines: Line[] = [];
  raw.forEach((l, i) => {
    if (l.includes('\t')) throw new Error(`line ${i + 1}: tab character`);
    if (l.trim() === '' || l.trim().startsWith('#')) return;
    lines.push({ no: i + 1, indent: l.length - l.trimStart().length, text: l.trim() });
  });
  let pos = 0;

  function scalar(text: string, no: number): Yaml {
    if (text === '{}') return {};
    if (text.startsWith('[')) {
      if (!text.endsWith(']')) throw new Error(`line ${no}: unterminated flow list`);
      const inner = text.slice(1, -1).trim();
      if (inner === '') return [];
      const items: string[] = [];
      const re = /\s*(?:'((?:[^']|'')*)'|"((?:[^"\\]|\\.)*)")\s*(?:,|$)/y;
      let m: RegExpExecArray | null;
      re.lastIndex = 0;
      while (re.lastIndex < inner.length && (m = re.exec(inner))) items.push(m[1]?.replace(/''/g, "'") ?? m[2] ?? '');
      if (re.lastIndex < inner.length) throw new Error(`line ${no}: flow lists must hold quoted strings only`);
      return items;
    }
    if (text.startsWith("'")) {
      if (!/^'(?:[^']|'')*'$/.test(text)) throw new Error(`line ${no}: bad single-quoted string`);
      return text.slice(1, -1).replace(/''/g, "'");
    }
    if (text.startsWith('"')) {
      if (!/^"(?:[^"\\]|\\.)*"$/.test(text)) throw new Error(`line ${no}: bad double-quoted string`);
      return JSON.parse(text) as string;
    }
    if (/[{}[\]&*!|>%@`]/.test(text[0] ?? '') || text.includes(' #')) {
      throw new Error(`line ${no}: unsupported YAML: ${text}`);
    }
    return text;
  }

  /** A `|` block: every following line indented deeper than `parentIndent`. */
  function block(parentIndent: number): string {
    const startNo = lines[pos - 1]?.no ?? 0;
    const first = lines[pos];
    if (!first || first.indent <= parentIndent) throw new Error(`line ${startNo}: empty block scalar`);
    const out: string[] = [];
    // Re-read the raw text so blank lines and inner indentation survive.
    const rawLines = source.split('\n');
    let no = first.no;
    for (; no <= rawLines.length; no++) {
      const l = rawLines[no - 1] ?? '';
      if (l.trim() !== '' && l.length - l.trimStart().length <= parentIndent) break;
      out.push(l.slice(first.indent));
    }
    while (pos < lines.length && lines[pos]!.no < no) pos++;
    while (out.length && out[out.length - 1]!.trim() === '') out.pop();
    return `${out.join('\n')}\n`;
  }

  function node(indent: number): Yaml {
    const first = lines[pos];
    if (!first || first.indent < indent) throw new Error('unexpected end of a block');
    return first.text.startsWith('- ') || first.text === '-' ? list(first.indent) : map(first.indent);
  }

  function list(indent: number): Yaml[] {
    const out: Yaml[] = [];
    while (pos < lines.length && lines[pos]!.indent === indent && lines[pos]!.text.startsWith('-')) {
      const l = lines[pos++]!;
      const rest = l.text.slice(1).trim();
      if (rest === '|') out.push(block(indent));
      else if (rest === '' || /^[A-Za-z0-9_.-]+:(\s|$)/.test(rest))
        throw new Error(`line ${l.no}: only scalar list items`);
      else out.push(scalar(rest, l.no));
    }
    return out;
  }

  function map(indent: number): { [key: string]: Yaml } {
    const out: { [key: string]: Yaml } = {};
    while (pos < lines.length && lines[pos]!.indent === indent) {
      const l = lines[pos++]!;
      const m = /^([A-Za-z0-9_.-]+):(?:\s+(.*))?$/.exec(l.text);
      if (!m) throw new Error(`line ${l.no}: expected "key: value": ${l.text}`);
      const key = m[1]!;
      if (key in out) throw new Error(`line ${l.no}: duplicate key ${key}`);
      const value = m[2]?.trim();
      if (value === undefined || value === '') {
        const next = lines[pos];
        // Lists may sit at the key's own indentation.
        if (next && (next.indent > indent || (next.indent === indent && next.text.startsWith('- '))))
          out[key] = node(next.indent);
        else throw new Error(`line ${l.no}: ${key} has no value`);
      } else if (value === '|') out[key] = block(indent);
      else out[key] = scalar(value, l.no);
    }
    if (pos < lines.length && lines[pos]!.indent > indent) throw new Error(`line ${lines[pos]!.no}: bad indentation`);
    return out;
  }

  const doc = node(0);
  if (pos < lines.length) throw new Error(`line ${lines[pos]!.no}: unexpected content`);
  return doc;
}
