// mtctl history / events: withdrawal_history and attack_events, newest first.
import type { Command } from 'commander';
import { createQueries } from '../../db';
import type { CliContext } from '../context';
import { positiveInt, printJson, reading, recordsDatabase } from './open';
import { renderTable, seconds } from './table';

export function registerHistoryCommands(program: Command, ctx: CliContext): void {
  program
    .command('history')
    .description('Withdrawal history (withdrawal_history), newest first; times are UTC')
    .option('-n, --limit <n>', 'rows to show (default 20)', positiveInt('--limit'))
    .option('--prefix <cidr>', 'only this prefix')
    .option('--json', 'print JSON')
    .action((opts: { limit?: number; prefix?: string; json?: boolean }) => {
      const rows = reading(() =>
        createQueries(recordsDatabase(ctx)).withdrawalHistory({ limit: opts.limit ?? 20, prefix: opts.prefix }),
      );
      if (opts.json) return printJson(ctx, rows);
      if (rows.length === 0) return void ctx.io.out.write('No withdrawals recorded.\n');
      ctx.io.out.write(
        `${renderTable(
          [
            { header: 'Withdrawn at (UTC)', value: (r) => r.withdrawnAt },
            { header: 'Prefix', value: (r) => r.prefix },
            { header: 'Method', value: (r) => r.withdrawMethod },
            { header: 'Protected for', value: (r) => seconds(r.protectionDurationSeconds), align: 'right' },
            { header: 'Status', value: (r) => r.status },
            { header: 'Notes', value: (r) => r.notes, max: 50 },
          ],
          rows,
        )}\n`,
      );
    });

  program
    .command('events')
    .description('Attack events (attack_events: START, END, ADVERTISE, WITHDRAW), newest first; times are UTC')
    .option('-n, --limit <n>', 'rows to show (default 20)', positiveInt('--limit'))
    .option('--prefix <cidr>', 'only this prefix')
    .option('--type <type>', 'only START, END, ADVERTISE or WITHDRAW')
    .option('--json', 'print JSON')
    .action((opts: { limit?: number; prefix?: string; type?: string; json?: boolean }) => {
      const eventType = opts.type?.toUpperCase();
      const rows = reading(() =>
        createQueries(recordsDatabase(ctx)).recentAttackEvents({
          limit: opts.limit ?? 20,
          prefix: opts.prefix,
          eventType,
        }),
      );
      if (opts.json) return printJson(ctx, rows);
      if (rows.length === 0) return void ctx.io.out.write('No attack events recorded.\n');
      ctx.io.out.write(
        `${renderTable(
          [
            { header: 'At (UTC)', value: (r) => r.createdAt },
            { header: 'Event', value: (r) => r.eventType },
            { header: 'Prefix', value: (r) => r.prefix },
            {
              header: 'Target',
              value: (r) => (r.targetIp ? `${r.targetIp}${r.targetPort ? `:${r.targetPort}` : ''}` : null),
            },
            { header: 'Vector', value: (r) => r.attackVector, max: 24 },
            { header: 'Action', value: (r) => r.actionTaken },
            { header: 'Attack ID', value: (r) => r.attackId, max: 34 },
          ],
          rows,
        )}\n`,
      );
    });
}
