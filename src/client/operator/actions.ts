// The operator's changes (withdraw, advertise, hold, resume), each sent to the prefix's own workflow, each answered
// in one sentence: what happened, or why nothing did.
import { createInterface } from 'node:readline/promises';
import type { PrefixEntry } from '../../config';
import { formatAtAndIn, formatUtc } from '../../domain/clock-format';
import { formatDuration, parseDuration } from '../../domain/durations';
import { advertiseUpdate, holdUpdate, resumeUpdate, withdrawUpdate } from '../../workflows/messages';
import { CliError, type CliContext } from '../context';
import { EXIT_BAD_INPUT, EXIT_REFUSED } from './prefixes';
import { gatherStatus } from './status';
import { operatorRequest, sendUpdate } from './workflows';

const say = (ctx: CliContext, text: string): void => void ctx.io.out.write(`${text}\n`);

export async function withdrawOne(ctx: CliContext, entry: PrefixEntry, opts: { reason?: string }): Promise<void> {
  const { result } = await sendUpdate(
    ctx,
    entry,
    'withdraw',
    withdrawUpdate,
    operatorRequest(opts.reason, 'manual withdraw (mtctl)'),
  );
  const now = Date.now();
  if (result.shadow)
    say(
      ctx,
      `SHADOW MODE: ${entry.cidr} (${entry.description}) would have been withdrawn now (${result.eventId}); nothing changed at Cloudflare`,
    );
  else
    say(
      ctx,
      `${entry.cidr} (${entry.description}) withdrawn${result.changed ? '' : ' (Cloudflare already showed it withdrawn)'}: event ${result.eventId}; ${
        result.cooldownUntilMs !== null ? `advertise available at ${formatAtAndIn(result.cooldownUntilMs, now)}` : ''
      }`,
    );
}

/**
 * Every advertised, unlocked prefix, after a confirmation (or --yes): one line per prefix, then a summary. A prefix
 * whose state could not be read is named and makes the command fail; with nothing to send, nothing is asked.
 */
export async function withdrawAll(
  ctx: CliContext,
  entries: readonly PrefixEntry[],
  opts: { reason?: string; yes?: boolean },
): Promise<void> {
  const report = await gatherStatus(ctx, entries);
  const unknown = report.rows.filter((r) => r.advertised === null);
  const locked = report.rows.filter((r) => r.advertised === true && r.locked === true);
  const unreachable = report.rows.filter(
    (r) => r.advertised === true && r.locked === false && r.workflow === 'unavailable',
  );
  const targets = report.rows.filter(
    (r) => r.advertised === true && r.locked === false && r.workflow !== 'unavailable',
  );
  for (const r of locked) say(ctx, `skipping ${r.cidr} (${r.description}): locked`);
  for (const r of unknown)
    ctx.io.err.write(`mtctl: ${r.cidr}: cannot tell whether it is advertised: ${r.error ?? 'unknown'}\n`);
  for (const r of unreachable)
    ctx.io.err.write(`mtctl: ${r.cidr}: advertised, but its workflow cannot be reached: ${r.error ?? 'unknown'}\n`);
  const unsure = unknown.length + unreachable.length;
  if (targets.length === 0) {
    if (unsure > 0)
      throw new CliError(
        `nothing was withdrawn: ${unsure} of ${report.rows.length} prefix(es) could not be read or reached (see above)`,
      );
    say(ctx, 'no advertised, unlocked prefix: nothing to withdraw');
    return;
  }
  const list = targets.map((r) => `${r.cidr} (${r.description}${r.underAttack ? ', UNDER ATTACK' : ''})`).join(', ');
  if (!opts.yes) {
    const answer = await confirm(ctx, `Withdraw ${targets.length} prefix(es): ${list}? Type "yes" to confirm: `);
    if (answer !== 'yes')
      throw new CliError(
        answer === null
          ? `refusing to withdraw ${targets.length} prefix(es) without confirmation (stdin is not a terminal): add --yes`
          : 'not confirmed: nothing was withdrawn',
        EXIT_BAD_INPUT,
      );
  }
  let failed = 0;
  let refused = 0;
  for (const r of targets) {
    const entry = entries.find((e) => e.cidr === r.cidr) as PrefixEntry;
    try {
      await withdrawOne(ctx, entry, opts);
    } catch (err) {
      if (!(err instanceof CliError)) throw err;
      if (err.exitCode === EXIT_REFUSED) refused++;
      else failed++;
      ctx.io.err.write(`mtctl: ${r.cidr}: ${err.message}\n`);
    }
  }
  const done = targets.length - failed - refused;
  const extra = [
    refused ? `${refused} refused` : '',
    failed ? `${failed} failed` : '',
    locked.length ? `${locked.length} skipped (locked)` : '',
    unsure ? `${unsure} unknown` : '',
  ].filter((x) => x !== '');
  say(ctx, `${done} of ${targets.length} withdrawn${extra.length ? `, ${extra.join(', ')}` : ''}`);
  if (failed > 0 || unsure > 0) ctx.exitCode = 1;
  else if (refused > 0) ctx.exitCode = EXIT_REFUSED;
}

/** The operator's typed answer ("yes" confirms), or null when stdin is not a terminal (nobody can answer). */
async function confirm(ctx: CliContext, question: string): Promise<string | null> {
  const input = ctx.io.in ?? process.stdin;
  if (!input.isTTY) return null;
  const rl = createInterface({ input, output: ctx.io.err });
  try {
    return (await rl.question(question)).trim().toLowerCase();
  } finally {
    rl.close();
  }
}

export async function advertiseOne(
  ctx: CliContext,
  entry: PrefixEntry,
  opts: { reason?: string; whenAllowed?: boolean },
): Promise<void> {
  const { result } = await sendUpdate(ctx, entry, 'advertise', advertiseUpdate, {
    ...operatorRequest(opts.reason, 'manual advertise (mtctl)'),
    whenAllowed: opts.whenAllowed === true,
  });
  const now = Date.now();
  if (result.outcome === 'queued')
    say(
      ctx,
      `advertise of ${entry.cidr} (${entry.description}) queued: it will be advertised at ${formatAtAndIn(result.atMs, now)}, when Cloudflare's re-advertise cooldown ends (see \`mtctl status ${entry.cidr}\`)`,
    );
  else if (result.shadow)
    say(
      ctx,
      `SHADOW MODE: ${entry.cidr} (${entry.description}) would have been advertised now (${result.eventId}); nothing changed at Cloudflare`,
    );
  else
    say(
      ctx,
      `${entry.cidr} (${entry.description}) advertised${result.eventId ? `: event ${result.eventId}` : ' (Cloudflare already showed it advertised)'}; it is protected from now on`,
    );
}

export async function holdOne(
  ctx: CliContext,
  entry: PrefixEntry,
  opts: { for?: string; reason?: string },
): Promise<void> {
  let forMs: number | null = null;
  if (opts.for !== undefined) {
    try {
      forMs = parseDuration(opts.for);
    } catch (err) {
      throw new CliError(`--for ${opts.for}: ${(err as Error).message}`, EXIT_BAD_INPUT);
    }
    if (forMs <= 0) throw new CliError(`--for ${opts.for}: must be longer than 0`, EXIT_BAD_INPUT);
  }
  const { result } = await sendUpdate(ctx, entry, 'hold', holdUpdate, {
    ...operatorRequest(opts.reason, 'held by operator (mtctl)'),
    forMs,
  });
  const now = Date.now();
  say(
    ctx,
    `auto-withdraw of ${entry.cidr} (${entry.description}) held ${
      result.hold.untilMs === null
        ? 'until `mtctl resume`'
        : `for ${formatDuration(result.hold.untilMs - result.hold.sinceMs)}, until ${formatUtc(result.hold.untilMs, now)}; it resumes by itself`
    }; traffic is still measured`,
  );
}

export async function resumeOne(ctx: CliContext, entry: PrefixEntry, opts: { reason?: string }): Promise<void> {
  const { result } = await sendUpdate(
    ctx,
    entry,
    'resume',
    resumeUpdate,
    operatorRequest(opts.reason, 'resumed by operator (mtctl)'),
  );
  say(
    ctx,
    `auto-withdraw of ${entry.cidr} (${entry.description}) resumed (it was held by ${result.hold.actor} since ${formatUtc(result.hold.sinceMs, result.resumedAtMs)})`,
  );
}
