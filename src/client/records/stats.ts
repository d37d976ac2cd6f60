// mtctl stats: the counters of the operators' get_stats(), plus webhook and network analytics counts, each counted
// as the operators' printed sqlite3 queries count it.
import type { Command } from 'commander';
import { createNetworkEventStore, createQueries, createWebhookStore } from '../../db';
import type { CliContext } from '../context';
import { printJson, reading, recordsDatabase } from './open';

export function registerStatsCommand(program: Command, ctx: CliContext): void {
  program
    .command('stats')
    .description('Record counters: withdrawals, attack events, webhooks, network analytics events (today = UTC)')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) => {
      const handle = recordsDatabase(ctx);
      const stats = reading(() => ({
        ...createQueries(handle).stats(),
        completedAttacks: createWebhookStore(handle).stats().completedAttacks,
        networkEvents: createNetworkEventStore(handle).counts(),
      }));
      if (opts.json) return printJson(ctx, stats);
      const lines = [
        ['Pending withdrawals (deprecated queue)', stats.pendingWithdrawals],
        ['Total withdrawals', stats.totalWithdrawals],
        ['Successful withdrawals', stats.successfulWithdrawals],
        ['Attack events', stats.totalEvents],
        ['Attack events today', stats.eventsToday],
        ['Webhooks', stats.totalWebhooks],
        ['Webhooks today', stats.webhooksToday],
        ['Completed attacks (START and END webhooks)', stats.completedAttacks],
        ['Network analytics events', stats.networkEvents.total],
        ['Network analytics events notified today', stats.networkEvents.today],
        ['Distinct attacks in network analytics', stats.networkEvents.attacks],
      ] as const;
      const width = Math.max(...lines.map(([label]) => label.length));
      ctx.io.out.write(lines.map(([label, n]) => `${label.padEnd(width)}  ${n}`).join('\n') + '\n');
    });
}
