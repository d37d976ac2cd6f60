// A reader for systemd unit files (sections, repeated keys, continuation lines) and Environment= assignments, so
// tests can check the deployment units' settings on machines without systemd-analyze too.

export type UnitFile = Record<string, Record<string, string[]>>;

export function parseUnitFile(source: string): UnitFile {
  const out: UnitFile = {};
  let section: string | null = null;
  const lines = source.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    while (line.endsWith('\\') && i + 1 < lines.length) line = `${line.slice(0, -1)} ${lines[++i]!.trim()}`;
    const header = /^\[([A-Za-z]+)\]$/.exec(line);
    if (header) {
      section = header[1]!;
      out[section] ??= {};
      continue;
    }
    const kv = /^([A-Za-z][A-Za-z0-9]*)\s*=\s*(.*)$/.exec(line);
    if (!kv) throw new Error(`line ${i + 1}: expected Key=value: ${line}`);
    if (section === null) throw new Error(`line ${i + 1}: ${kv[1]} outside a section`);
    // An empty assignment resets a list-valued key, as systemd does.
    const values = (out[section]![kv[1]!] ??= []);
    if (kv[2] === '') values.length = 0;
    else values.push(kv[2]!);
  }
  return out;
}

/** Environment= values: whitespace-separated NAME=value words, double or single quotes keep spaces. */
export function parseEnvironmentAssignments(values: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const value of values) {
    for (const m of value.matchAll(/"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g)) {
      const word = m[1] ?? m[2] ?? m[3]!;
      const eq = word.indexOf('=');
      if (eq <= 0) throw new Error(`Environment=${value}: ${word} is not NAME=value`);
      env[word.slice(0, eq)] = word.slice(eq + 1);
    }
  }
  return env;
}
