// Correlates one attack across the records: its START and END webhooks and attack events, then the first withdraw
// of the prefix it targeted once it had ended (withdraw rows carry the prefix, not the attack ID).

export interface CorrelationWebhook {
  receivedAtMs: number | null;
  eventState: string | null;
  alertType: string | null;
  targetIp: string | null;
  targetPrefix: string | null;
  actionTaken: string | null;
}

export interface CorrelationEvent {
  eventType: string;
  createdAtMs: number | null;
  prefix: string | null;
  targetIp: string | null;
  actionTaken: string | null;
  attackVector: string | null;
}

export type CorrelationStepKind = 'START' | 'END' | 'ADVERTISE' | 'WITHDRAW';

export interface CorrelationStep {
  step: CorrelationStepKind;
  atMs: number;
  /** Where the step was read: a stored webhook or an attack_events row. */
  source: 'webhook' | 'attack_event';
  actionTaken: string | null;
  prefix: string | null;
}

export type CorrelationStatus = 'unknown' | 'ongoing' | 'ended' | 'withdrawn';

export interface CorrelatedAttack {
  alertId: string;
  alertType: string | null;
  attackVector: string | null;
  targetIp: string | null;
  prefix: string | null;
  status: CorrelationStatus;
  startMs: number | null;
  endMs: number | null;
  withdrawMs: number | null;
  /** END − START. */
  attackDurationMs: number | null;
  /** WITHDRAW − END (or − START when no END was received). */
  withdrawDelayMs: number | null;
  steps: CorrelationStep[];
}

const STATE_STEP: Record<string, CorrelationStepKind> = {
  ALERT_STATE_EVENT_START: 'START',
  ALERT_STATE_EVENT_END: 'END',
};

function earliest(values: Array<number | null>): number | null {
  const known = values.filter((v): v is number => v !== null);
  return known.length ? Math.min(...known) : null;
}

/**
 * Builds the START → END → WITHDRAW timeline of `alertId`. `withdrawals` are WITHDRAW attack_events of the targeted
 * prefix (any order); the first one at or after the END (or the START when no END arrived) is taken as this attack's.
 */
export function correlateAttack(
  alertId: string,
  rows: {
    webhooks: readonly CorrelationWebhook[];
    attackEvents: readonly CorrelationEvent[];
    withdrawals: readonly CorrelationEvent[];
  },
): CorrelatedAttack {
  const steps: CorrelationStep[] = [];
  for (const w of rows.webhooks) {
    // Webhooks without a state are starts for the older alert types (the receiver records them that way too).
    const step = w.eventState === null ? 'START' : STATE_STEP[w.eventState];
    if (step && w.receivedAtMs !== null)
      steps.push({ step, atMs: w.receivedAtMs, source: 'webhook', actionTaken: w.actionTaken, prefix: w.targetPrefix });
  }
  for (const e of rows.attackEvents) {
    if ((e.eventType === 'START' || e.eventType === 'END' || e.eventType === 'ADVERTISE') && e.createdAtMs !== null)
      steps.push({
        step: e.eventType,
        atMs: e.createdAtMs,
        source: 'attack_event',
        actionTaken: e.actionTaken,
        prefix: e.prefix,
      });
  }
  const startMs = earliest(steps.filter((s) => s.step === 'START').map((s) => s.atMs));
  const endMs = earliest(
    steps.filter((s) => s.step === 'END' && (startMs === null || s.atMs >= startMs)).map((s) => s.atMs),
  );
  const prefix =
    steps.map((s) => s.prefix).find((p): p is string => p !== null) ??
    rows.webhooks.map((w) => w.targetPrefix).find((p): p is string => p !== null) ??
    null;

  let withdrawMs: number | null = null;
  const after = endMs ?? startMs;
  if (prefix !== null && after !== null) {
    const first = rows.withdrawals
      .filter(
        (w) => w.eventType === 'WITHDRAW' && w.prefix === prefix && w.createdAtMs !== null && w.createdAtMs >= after,
      )
      .sort((a, b) => (a.createdAtMs ?? 0) - (b.createdAtMs ?? 0))[0];
    if (first?.createdAtMs != null) {
      withdrawMs = first.createdAtMs;
      steps.push({
        step: 'WITHDRAW',
        atMs: withdrawMs,
        source: 'attack_event',
        actionTaken: first.actionTaken,
        prefix,
      });
    }
  }

  const order: Record<CorrelationStepKind, number> = { START: 0, ADVERTISE: 1, END: 2, WITHDRAW: 3 };
  steps.sort((a, b) => a.atMs - b.atMs || order[a.step] - order[b.step]);
  const status: CorrelationStatus =
    withdrawMs !== null ? 'withdrawn' : endMs !== null ? 'ended' : startMs !== null ? 'ongoing' : 'unknown';
  return {
    alertId,
    alertType: rows.webhooks.find((w) => w.alertType)?.alertType ?? null,
    attackVector: rows.attackEvents.find((e) => e.attackVector)?.attackVector ?? null,
    targetIp:
      rows.webhooks.find((w) => w.targetIp)?.targetIp ?? rows.attackEvents.find((e) => e.targetIp)?.targetIp ?? null,
    prefix,
    status,
    startMs,
    endMs,
    withdrawMs,
    attackDurationMs: startMs !== null && endMs !== null ? endMs - startMs : null,
    withdrawDelayMs: withdrawMs !== null && after !== null ? withdrawMs - after : null,
    steps,
  };
}
