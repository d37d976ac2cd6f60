// mtctl entry point: builds the command tree, runs it, and maps failures to one clear line and an exit code.
import { Command, CommanderError } from 'commander';
import { registerCommands } from './commands';
import { CliError, createCliContext, type CliIo } from './context';

export async function runMtctl(
  argv: readonly string[],
  io: CliIo = { out: process.stdout, err: process.stderr },
): Promise<number> {
  const ctx = createCliContext(io);
  const program = new Command('mtctl')
    .description('Operate mt-autowithdraw: inspect and steer the protection of Magic Transit prefixes')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out.write(s), writeErr: (s) => io.err.write(s) });
  registerCommands(program, ctx);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return ctx.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (err instanceof CliError) {
      io.err.write(`mtctl: ${err.message}\n`);
      return err.exitCode;
    }
    io.err.write(`mtctl: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  } finally {
    await ctx.close();
  }
}

/** Runs mtctl on process.argv and exits once stdout has drained (piped output is written asynchronously). */
export function main(): void {
  const exit = (code: number): void => void process.stdout.write('', () => process.exit(code));
  runMtctl(process.argv.slice(2)).then(exit, () => exit(1));
}

if (require.main === module) main();
