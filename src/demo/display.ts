// Puts the live view on the terminal: a redrawn full screen on a TTY, or plain lines (CI logs, pipes, --plain).
import type { Check } from './expectations';
import { timeline } from './scenario';
import type { SavedMessage } from './state-file';
import { ansi, clip, messageLines, outcomeLines, plain, statusTable, timelineLines, type PrefixRow } from './view';

export interface Frame {
  header: string[];
  rows: PrefixRow[];
  nowMs: number;
  t0Ms: number | null;
  messages: SavedMessage[];
  outcome: Check[] | null;
}

export interface Display {
  /** A Telegram message just arrived. */
  message(m: SavedMessage, t0Ms: number | null): void;
  frame(f: Frame): void;
  /** Leaves the full screen (if any) and prints these lines normally. */
  close(final: string[]): void;
}

const CSI = '\u001b[';

export function createDisplay(opts: { plain: boolean; out: NodeJS.WriteStream }): Display {
  return opts.plain ? plainDisplay(opts.out) : screenDisplay(opts.out);
}

function elapsedOf(f: Frame): number | null {
  return f.t0Ms === null ? null : Math.floor((f.nowMs - f.t0Ms) / 1000);
}

function screenDisplay(out: NodeJS.WriteStream): Display {
  // The alternate screen keeps the user's scrollback intact; the final report is printed after leaving it.
  out.write(`${CSI}?1049h${CSI}?25l`);
  let open = true;
  const leave = (): void => {
    if (!open) return;
    open = false;
    out.write(`${CSI}?25h${CSI}?1049l`);
  };
  process.once('exit', leave);
  return {
    message: () => undefined, // shown in the next frame
    frame(f) {
      const elapsed = elapsedOf(f);
      const top = [
        ...f.header.map((l, i) => (i === 0 ? ansi.bold(l) : l)),
        '',
        ...statusTable(f.rows, f.nowMs, f.t0Ms, ansi),
        '',
        ...(f.outcome ? outcomeLines(f.outcome, ansi) : timelineLines(timeline(), elapsed, ansi)),
        '',
        ansi.bold('Telegram (loopback chat):'),
      ];
      const rows = out.rows || 50;
      const room = Math.max(0, rows - top.length - 1);
      const msgLines = f.messages.flatMap((m) => messageLines(m, f.t0Ms));
      const cols = out.columns || 160;
      const screen = [...top, ...(room > 0 ? msgLines.slice(-room) : [])].map((l) => clip(l, cols));
      out.write(`${CSI}H${CSI}2J${screen.join('\n')}`);
    },
    close(final) {
      leave();
      out.write(`${final.join('\n')}\n`);
    },
  };
}

function plainDisplay(out: NodeJS.WriteStream): Display {
  let lastSignature = '';
  let lastPrintMs = 0;
  let headerShown = false;
  let passed = -1;
  const events = timeline();
  const print = (lines: string[]): void => void out.write(`${lines.join('\n')}\n`);
  return {
    message(m, t0Ms) {
      print(['', ...messageLines(m, t0Ms)]);
    },
    frame(f) {
      if (!headerShown) {
        headerShown = true;
        print([...f.header, '']);
      }
      const elapsed = elapsedOf(f);
      if (elapsed !== null) {
        for (let i = passed + 1; i < events.length && events[i]!.atS <= elapsed; i++) {
          print([`[+${events[i]!.atS}s] ${events[i]!.text}`]);
          passed = i;
        }
      }
      // A table when something that matters changed (at most every 2 s), and every 20 s anyway.
      const signature = JSON.stringify(
        f.rows.map((r) => [
          r.status?.phase,
          r.status?.underAttack,
          r.status?.telemetry,
          r.status?.withdrawDueAtMs === null,
          r.ended,
          r.cloudflare?.advertised,
        ]),
      );
      const changed = signature !== lastSignature && f.nowMs - lastPrintMs >= 2_000;
      if (changed || f.nowMs - lastPrintMs >= 20_000) {
        lastSignature = signature;
        lastPrintMs = f.nowMs;
        const at = elapsed === null ? 'waiting for the worker' : `scenario +${elapsed}s`;
        print(['', `── ${at} ──`, ...statusTable(f.rows, f.nowMs, f.t0Ms, plain)]);
      }
    },
    close(final) {
      print(['', ...final]);
    },
  };
}
