// `mtctl test`: checks every dependency once and gives each a one-line verdict (OK / WARN / FAIL / SKIP).
import { createTelegramClient } from '../../integrations/telegram';
import { checkDatabaseHealth } from '../../db/health';
import { formatDuration } from '../../domain/durations';
import { describeTarget, temporalConnectConfig } from '../../runtime/temporal';
import { checkSearchAttributes, registerCommand } from '../../runtime/search-attributes';
import type { CliContext } from '../context';
import { errorText, readLiveStates } from './cloudflare-state';

export type Verdict = 'OK' | 'WARN' | 'FAIL' | 'SKIP';

export interface CheckResult {
  name: string;
  verdict: Verdict;
  detail: string;
}

/** No check may hang the command: each gets this long. */
const CHECK_TIMEOUT_MS = 15_000;

type Check = { name: string; run: () => Promise<Omit<CheckResult, 'name'>> };

export async function runSelfTest(ctx: CliContext): Promise<CheckResult[]> {
  const config = ctx.config();
  const cf = ctx.cloudflare();
  const checks: Check[] = [
    {
      name: 'config',
      run: () =>
        Promise.resolve(
          ok(
            `${config.prefixes.length} prefixes from ${config.prefixMappingFile}${config.shadow ? ' (SHADOW MODE)' : ''}`,
          ),
        ),
    },
    {
      name: 'cloudflare token',
      run: async () => ok((await cf.verifyCredentials()).detail),
    },
    {
      name: 'cloudflare account',
      run: async () => {
        const live = await readLiveStates(cf, config.prefixes);
        const bad = [...live.entries()].filter(([, r]) => !r.ok);
        const parents = new Set(config.prefixes.map((p) => p.parentPrefixId)).size;
        const advertised = [...live.values()].filter((r) => r.ok && r.live.advertised === true).length;
        if (bad.length > 0) return fail(bad.map(([cidr, r]) => `${cidr}: ${r.ok ? '' : r.error}`).join('; '));
        return ok(
          `account ${config.cloudflare.accountId}: ${parents} parent prefix${parents === 1 ? '' : 'es'}, ${live.size}/${config.prefixes.length} BGP prefixes found, ${advertised} advertised`,
        );
      },
    },
    {
      name: 'cloudflare analytics',
      run: async () => {
        const end = Date.now();
        const lookback = config.policy.lookbackMs;
        const report = await cf.droppedTraffic(
          { startMs: end - lookback, endMs: end },
          config.prefixes.map((p) => p.cidr),
        );
        const top = Object.entries(report.perPrefix).sort((a, b) => b[1].packets - a[1].packets)[0];
        const sample =
          top && top[1].packets > 0
            ? `; most dropped: ${top[0]} ${top[1].packets} pkts (${top[1].systems.join(', ') || 'n/a'})`
            : '';
        const drops = `${report.totalPackets} pkts, ${(report.totalBits / (lookback / 1000) / 1e6).toFixed(2)} Mbps dropped in the last ${formatDuration(lookback)}`;
        if (report.newestSampleMs === null)
          return warn(
            `the dataset answered with no samples in the last ${formatDuration(lookback)}: the engine treats that as unknown traffic`,
          );
        return ok(`${drops}${sample}; newest sample ${formatDuration(end - report.newestSampleMs)} old`);
      },
    },
    {
      name: 'telegram',
      run: async () => {
        const tg = config.telegram;
        if (!tg)
          return {
            verdict: 'SKIP',
            detail: 'not configured (TELEGRAM_BOT_TOKEN / TELEGRAM_CHAT_ID): notifications are recorded as skipped',
          };
        const me = await createTelegramClient({
          botToken: tg.botToken,
          baseUrl: tg.baseUrl,
          timeoutMs: tg.timeoutMs,
        }).getMe();
        return ok(`bot @${me.username} (id ${me.id}), chat ${tg.chatId}`);
      },
    },
    {
      name: 'temporal',
      run: async () => {
        const target = describeTarget(temporalConnectConfig());
        const { client, namespace } = await ctx.temporal();
        const ns = await client.workflowService.describeNamespace({ namespace });
        const retention = ns.config?.workflowExecutionRetentionTtl?.seconds;
        return ok(
          `${target.address}, namespace ${namespace}${retention ? ` (retention ${formatDuration(Number(retention) * 1000)})` : ''}`,
        );
      },
    },
    {
      name: 'temporal worker',
      run: async () => {
        const { client, namespace } = await ctx.temporal();
        const res = await client.workflowService.describeTaskQueue({
          namespace,
          taskQueue: { name: config.taskQueue },
          taskQueueType: 1,
        });
        const now = Date.now();
        const fresh = (res.pollers ?? []).filter((p) => now - Number(p.lastAccessTime?.seconds ?? 0) * 1000 < 90_000);
        if (fresh.length === 0) return fail(`no worker polls task queue ${config.taskQueue}: nothing is protected`);
        return ok(
          `${fresh.length} worker${fresh.length === 1 ? '' : 's'} polling ${config.taskQueue} (${fresh.map((p) => p.identity).join(', ')})`,
        );
      },
    },
    {
      name: 'search attributes',
      run: async () => {
        const { client, namespace } = await ctx.temporal();
        const report = await checkSearchAttributes(client.connection.operatorService, namespace, { register: false });
        if (report.ready) return ok('MtPrefix, MtState, MtUnderAttack, MtCalmSince registered');
        return warn(
          `${report.error ?? 'missing'}: ${report.missing.join(', ')}; register with: ${registerCommand(namespace, report.missing)}`,
        );
      },
    },
    {
      name: 'database',
      run: () => {
        const h = checkDatabaseHealth(config.databasePath);
        if (!h.exists)
          return Promise.resolve(
            fail(`${config.databasePath} does not exist (the worker creates it at start, or run npm run db:migrate)`),
          );
        if (!h.writable) return Promise.resolve(fail(`${config.databasePath} is not writable: ${h.writeError ?? ''}`));
        if (h.pending > 0)
          return Promise.resolve(
            fail(`${config.databasePath}: ${h.pending} migration(s) not applied (run npm run db:migrate)`),
          );
        return Promise.resolve(ok(`${config.databasePath} writable, ${h.applied} migration(s) applied, none pending`));
      },
    },
  ];
  const results: CheckResult[] = [];
  for (const c of checks) results.push({ name: c.name, ...(await guarded(c.run)) });
  return results;
}

async function guarded(run: Check['run']): Promise<Omit<CheckResult, 'name'>> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      run(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS / 1000}s`)), CHECK_TIMEOUT_MS);
      }),
    ]);
  } catch (err) {
    return fail(errorText(err));
  } finally {
    clearTimeout(timer);
  }
}

const ok = (detail: string): Omit<CheckResult, 'name'> => ({ verdict: 'OK', detail });
const warn = (detail: string): Omit<CheckResult, 'name'> => ({ verdict: 'WARN', detail });
const fail = (detail: string): Omit<CheckResult, 'name'> => ({ verdict: 'FAIL', detail });

export function renderSelfTest(results: readonly CheckResult[]): string {
  const width = Math.max(...results.map((r) => r.name.length));
  return `${results.map((r) => `${r.verdict.padEnd(4)}  ${r.name.padEnd(width)}  ${r.detail}`).join('\n')}\n`;
}
