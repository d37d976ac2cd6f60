// The records toolkit: history, events, stats, webhooks (+ import), correlate, db backup/check.
import type { Command } from 'commander';
import type { CliContext } from '../context';
import { registerCorrelateCommand } from '../records/correlate';
import { registerDbCommands } from '../records/db';
import { registerHistoryCommands } from '../records/history';
import { registerStatsCommand } from '../records/stats';
import { registerWebhookCommands } from '../records/webhooks';

export function registerRecordsCommands(program: Command, ctx: CliContext): void {
  registerHistoryCommands(program, ctx);
  registerStatsCommand(program, ctx);
  registerWebhookCommands(program, ctx);
  registerCorrelateCommand(program, ctx);
  registerDbCommands(program, ctx);
}
