// mtctl correlate <alert_id>: one attack's START → END → WITHDRAW, from webhooks and attack events.
import type { Command } from 'commander';
import { createWebhookStore, parseSqliteTimestamp } from '../../db';
import { correlateAttack } from '../../domain/correlation';
import { formatDuration } from '../../domain/durations';
import { CliError, type CliContext } from '../context';
import { printJson, reading, recordsDatabase } from './open';
import { renderTable } from './table';

const iso = (ms: number | null): string => (ms === null ? '-' : new Date(ms).toISOString().replace('.000Z', 'Z'));

export function registerCorrelateCommand(program: Command, ctx: CliContext): void {
  program
    .command('correlate')
    .description("One attack's timeline: START → END → WITHDRAW of the prefix it targeted")
    .argument(
      '<alert_id>',
      'alert id of the webhooks (attack_id, alert_correlation_id, or sha256:… when the alert had neither)',
    )
    .option('--json', 'print JSON')
    .action((alertId: string, opts: { json?: boolean }) => {
      const store = reading(() => createWebhookStore(recordsDatabase(ctx)));
      const result = reading(() => {
        const webhooks = store.byAlertId(alertId);
        // By attack id, and through the webhooks themselves: alerts without an id (alert_id sha256:…) leave
        // attack_events.attack_id NULL, as Cloudflare gave none.
        const byId = new Map(store.attackEventsByAttackId(alertId).map((e) => [e.id, e]));
        for (const w of webhooks) for (const e of store.attackEventsOfWebhook(w.id)) byId.set(e.id, e);
        const attackEvents = [...byId.values()].sort((a, b) => a.id - b.id);
        if (webhooks.length === 0 && attackEvents.length === 0)
          throw new CliError(`no webhook or attack event has alert id ${alertId}`, 1);
        const prefix =
          webhooks.map((w) => w.targetPrefix).find(Boolean) ?? attackEvents.map((e) => e.prefix).find(Boolean) ?? null;
        const toEvent = (e: (typeof attackEvents)[number]) => ({
          eventType: e.eventType,
          createdAtMs: parseSqliteTimestamp(e.createdAt),
          prefix: e.prefix,
          targetIp: e.targetIp,
          actionTaken: e.actionTaken,
          attackVector: e.attackVector,
        });
        return correlateAttack(alertId, {
          webhooks: webhooks.map((w) => ({
            receivedAtMs: parseSqliteTimestamp(w.receivedAt),
            eventState: w.eventState,
            alertType: w.alertType,
            targetIp: w.targetIp,
            targetPrefix: w.targetPrefix,
            actionTaken: w.actionTaken,
          })),
          attackEvents: attackEvents.map(toEvent),
          withdrawals: prefix ? store.withdrawalsOfPrefix(prefix).map(toEvent) : [],
        });
      });
      if (opts.json) return printJson(ctx, result);
      const dur = (ms: number | null) => (ms === null ? '-' : formatDuration(ms));
      ctx.io.out.write(
        [
          `Attack ${result.alertId}: ${result.status.toUpperCase()}`,
          `Type ${result.alertType ?? '-'}, vector ${result.attackVector ?? '-'}, target ${result.targetIp ?? '-'}, prefix ${result.prefix ?? '-'}`,
          `Attack lasted ${dur(result.attackDurationMs)}; withdrawn ${dur(result.withdrawDelayMs)} after it ended`,
          '',
          renderTable(
            [
              { header: 'At (UTC)', value: (s) => iso(s.atMs) },
              { header: 'Step', value: (s) => s.step },
              { header: 'Source', value: (s) => s.source },
              { header: 'Prefix', value: (s) => s.prefix },
              { header: 'Action', value: (s) => s.actionTaken },
            ],
            result.steps,
          ),
        ].join('\n') + '\n',
      );
    });
}
