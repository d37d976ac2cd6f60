// Activities that write the operators' SQLite records; every write is idempotent by key or by prefix.
import type { AdvertiseRecordInput, CalmStatusInput, Records, WithdrawalRecordInput } from '../db/types';
import type { ProtectionStatus } from '../workflows/types';

export interface RecordActivityDeps {
  records: Records;
  /** Called with every published cycle status (metrics, dashboards); optional. */
  onCycle?: (status: ProtectionStatus) => void;
}

/** The dashboard row (prefix_calm_status) for a protection status. */
export function calmStatusRow(status: ProtectionStatus): CalmStatusInput {
  return {
    prefix: status.cidr,
    advertised: status.advertised !== false,
    underAttack: status.underAttack,
    calmSinceMs: status.calmSinceMs,
    calmMinutes: status.calmAccumulatedMs / 60_000,
    droppedPackets: status.lastMeasurement?.packets ?? null,
    droppedBits: status.lastMeasurement?.bits ?? null,
    lastAttackPackets: status.peak?.packets ?? null,
    lastAttackMbps: status.peak?.mbps ?? null,
    mitigationSystems: status.peak?.systems ?? [],
    atMs: status.nowMs,
  };
}

export function createRecordActivities(deps: RecordActivityDeps) {
  return {
    // Synchronous better-sqlite3 calls wrapped as activities: each is a short transaction.
    /** Publishes one cycle's status: the dashboard row, and whatever else watches cycles. */
    // eslint-disable-next-line @typescript-eslint/require-await
    async recordCycle(status: ProtectionStatus): Promise<void> {
      deps.records.upsertCalmStatus(calmStatusRow(status));
      deps.onCycle?.(status);
    },
    // eslint-disable-next-line @typescript-eslint/require-await
    async recordWithdrawal(input: WithdrawalRecordInput): Promise<{ inserted: boolean }> {
      return deps.records.recordWithdrawal(input);
    },
    // eslint-disable-next-line @typescript-eslint/require-await
    async recordAdvertise(input: AdvertiseRecordInput): Promise<{ inserted: boolean }> {
      return deps.records.recordAdvertise(input);
    },
  };
}

export type RecordActivities = ReturnType<typeof createRecordActivities>;
