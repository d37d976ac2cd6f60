// Activities that write the operators' SQLite records; every write is idempotent by key or by prefix.
import type { AdvertiseRecordInput, CalmStatusInput, Records, WithdrawalRecordInput } from '../db/types';

export interface RecordActivityDeps {
  records: Records;
}

export function createRecordActivities(deps: RecordActivityDeps) {
  return {
    // Synchronous better-sqlite3 calls wrapped as activities: each is a short transaction.
    // eslint-disable-next-line @typescript-eslint/require-await
    async recordCalmStatus(input: CalmStatusInput): Promise<void> {
      deps.records.upsertCalmStatus(input);
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
