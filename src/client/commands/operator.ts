// Operator controls: status, withdraw, advertise, hold, resume, check, test.
import type { Command } from 'commander';
import { formatUtc } from '../../domain/clock-format';
import { CliError, type CliContext } from '../context';
import { advertiseOne, holdOne, resumeOne, withdrawAll, withdrawOne } from '../operator/actions';
import { runCheck } from '../operator/check';
import { EXIT_BAD_INPUT, resolvePrefix } from '../operator/prefixes';
import { renderSelfTest, runSelfTest } from '../operator/selftest';
import { gatherStatus } from '../operator/status';
import { renderStatusText, statusJson } from '../operator/status-render';

const EXIT_CODES =
  '\nExit codes: 0 done, 1 failed (or a dependency is down), 2 bad input (nothing sent), 3 refused by a safety rule (nothing changed).';
const STATUS_EXIT_CODES =
  '\nExit codes: 0 every prefix shown (from its workflow, or from Cloudflare + the database when the worker is down), 1 the state of at least one prefix could not be read (shown as unknown), 2 bad input.';

export function registerOperatorCommands(program: Command, ctx: CliContext): void {
  program
    .command('status')
    .description(
      'Show each prefix: advertised, locked, under attack or calm, calm since/for, time to auto-withdraw, peak, cooldown, hold. Reads the prefix workflows; when they cannot answer (worker down) it shows Cloudflare and the database instead and says so.',
    )
    .argument('[prefix]', 'one prefix (CIDR from the mapping file); all when omitted')
    .option('--json', 'machine-readable output (epoch-ms and ISO times)')
    .addHelpText('after', STATUS_EXIT_CODES)
    .action(async (prefix: string | undefined, opts: { json?: boolean }) => {
      const config = ctx.config();
      const entries = prefix ? [resolvePrefix(config, prefix)] : config.prefixes;
      const report = await gatherStatus(ctx, entries);
      ctx.io.out.write(opts.json ? `${JSON.stringify(statusJson(report), null, 2)}\n` : renderStatusText(report));
      const unknown = report.rows.filter((r) => r.state === 'unknown');
      if (unknown.length > 0) {
        ctx.io.err.write(
          `mtctl: could not read the state of ${unknown.length} of ${report.rows.length} prefix(es) (${unknown[0]?.error ?? 'unknown'})\n`,
        );
        ctx.exitCode = 1;
      }
    });

  program
    .command('withdraw')
    .description(
      'Withdraw a prefix now, through its workflow (recorded as withdrawn_manual, notified, then the re-advertise cooldown runs). Refused when locked, not advertised, under attack or with unknown traffic: there is no override (hold the prefix and wait, or withdraw at Cloudflare yourself).',
    )
    .argument('[prefix]', 'the prefix to withdraw (or --all)')
    .option('--all', 'every advertised, unlocked prefix (asks for confirmation)')
    .option('-y, --yes', 'do not ask for confirmation (with --all)')
    .option('--reason <text>', 'why (kept in the records and the notification)')
    .addHelpText('after', EXIT_CODES)
    .action(async (prefix: string | undefined, opts: { all?: boolean; yes?: boolean; reason?: string }) => {
      const config = ctx.config();
      if (opts.all && prefix) throw new CliError('give a prefix or --all, not both', EXIT_BAD_INPUT);
      if (opts.all) return withdrawAll(ctx, config.prefixes, opts);
      if (!prefix)
        throw new CliError('which prefix? give one (e.g. mtctl withdraw 185.54.81.0/24) or --all', EXIT_BAD_INPUT);
      return withdrawOne(ctx, resolvePrefix(config, prefix), opts);
    });

  program
    .command('advertise')
    .description(
      "Advertise a prefix now, through its workflow; afterwards it is protected like any advertised prefix. Inside Cloudflare's re-advertise cooldown it is refused with the time it becomes possible, unless --when-allowed queues it.",
    )
    .argument('<prefix>', 'the prefix to advertise')
    .option('--when-allowed', 'inside the cooldown, queue it durably and advertise the moment the cooldown ends')
    .option('--reason <text>', 'why (kept in the records and the notification)')
    .addHelpText('after', EXIT_CODES)
    .action(async (prefix: string, opts: { whenAllowed?: boolean; reason?: string }) =>
      advertiseOne(ctx, resolvePrefix(ctx.config(), prefix), opts),
    );

  program
    .command('hold')
    .description('Pause auto-withdraw of a prefix (it is still measured), until `resume` or for a duration.')
    .argument('<prefix>', 'the prefix to hold')
    .option('--for <duration>', 'resume by itself after this long, e.g. 30m, 2h')
    .option('--reason <text>', 'why (shown in status)')
    .addHelpText('after', EXIT_CODES)
    .action(async (prefix: string, opts: { for?: string; reason?: string }) =>
      holdOne(ctx, resolvePrefix(ctx.config(), prefix), opts),
    );

  program
    .command('resume')
    .description('Lift a hold: auto-withdraw decides again from the next cycle.')
    .argument('<prefix>', 'the held prefix')
    .option('--reason <text>', 'why')
    .addHelpText('after', EXIT_CODES)
    .action(async (prefix: string, opts: { reason?: string }) =>
      resumeOne(ctx, resolvePrefix(ctx.config(), prefix), opts),
    );

  program
    .command('check')
    .description(
      "Dry run of one cycle for every advertised prefix: reads Cloudflare and the dropped traffic, steps the same engine from each workflow's state and prints what would happen. Changes nothing.",
    )
    .argument('[prefix]', 'one prefix; all when omitted')
    .option('--json', 'machine-readable output')
    .addHelpText(
      'after',
      '\nExit codes: 0 every prefix checked, 1 incomplete (Cloudflare could not be read for a prefix, or the dropped-traffic query failed), 2 bad input.',
    )
    .action(async (prefix: string | undefined, opts: { json?: boolean }) => {
      const config = ctx.config();
      const entries = prefix ? [resolvePrefix(config, prefix)] : config.prefixes;
      const report = await runCheck(ctx, entries);
      if (opts.json) ctx.io.out.write(`${JSON.stringify(report, null, 2)}\n`);
      else {
        const now = Date.now();
        const width = Math.max(...report.lines.map((l) => `${l.cidr} (${l.description})`.length));
        ctx.io.out.write(
          `dry run of one cycle, window ${formatUtc(report.windowStartMs, now)} – ${formatUtc(report.windowEndMs, now)}; nothing is changed\n` +
            report.lines.map((l) => `${`${l.cidr} (${l.description})`.padEnd(width)}  ${l.text}`).join('\n') +
            '\n',
        );
      }
      if (report.problem !== null) {
        ctx.io.err.write(`mtctl: check incomplete: ${report.problem}\n`);
        ctx.exitCode = 1;
      }
    });

  program
    .command('test')
    .description(
      'Check every dependency, one line each: Cloudflare token and account, the analytics dataset (with a sample), Telegram, Temporal (connection, namespace, worker, search attributes), the database (writable, migrated).',
    )
    .addHelpText('after', '\nExit codes: 0 every check passed (WARN and SKIP included), 1 at least one FAIL.')
    .action(async () => {
      const results = await runSelfTest(ctx);
      ctx.io.out.write(renderSelfTest(results));
      if (results.some((r) => r.verdict === 'FAIL')) ctx.exitCode = 1;
    });
}
