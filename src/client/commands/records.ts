// The records toolkit: history, events, stats, webhooks, correlate, db backup/check.
import type { Command } from 'commander';
import type { CliContext } from '../context';

export function registerRecordsCommands(_program: Command, _ctx: CliContext): void {
  // Filled in by the records-toolkit work.
}
