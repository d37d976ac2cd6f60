// The mtctl command tree: operator controls and the records toolkit, each registered by its own module.
import type { Command } from 'commander';
import type { CliContext } from '../context';
import { registerOperatorCommands } from './operator';
import { registerRecordsCommands } from './records';

export function registerCommands(program: Command, ctx: CliContext): void {
  registerOperatorCommands(program, ctx);
  registerRecordsCommands(program, ctx);
}
