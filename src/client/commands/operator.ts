// Operator controls: status, withdraw, advertise, hold, resume, check, test.
import type { Command } from 'commander';
import type { CliContext } from '../context';

export function registerOperatorCommands(_program: Command, _ctx: CliContext): void {
  // Filled in by the operator-control work.
}
