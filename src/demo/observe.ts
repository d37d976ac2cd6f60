// Reads what the running system says: each prefix workflow's status query, its ending, and the records database.
import { existsSync } from 'node:fs';
import type { Client, Connection } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import Database from 'better-sqlite3';
import { protectionWorkflowId, SUPERVISOR_WORKFLOW_ID } from '../workflows/ids';
import { statusQuery, supervisorStatusQuery } from '../workflows/messages';
import type { ProtectionOutcome, ProtectionStatus, SupervisorStatus } from '../workflows/types';
import type { ObservedWorkflow } from './expectations';
import type { DemoPrefix } from './scenario';

export interface PrefixObservation {
  workflow: ObservedWorkflow;
  status: ProtectionStatus | null;
}

/** Keeps the last answer of each workflow, so a slow or restarting worker does not blank the view. */
export function createObserver(client: Client, connection: Connection) {
  const last = new Map<string, PrefixObservation>();
  const within = <T>(ms: number, fn: () => Promise<T>): Promise<T> => connection.withDeadline(Date.now() + ms, fn);

  async function observe(p: DemoPrefix): Promise<PrefixObservation> {
    const prev = last.get(p.key);
    // A completed workflow's final status does not change: ask once.
    if (prev?.workflow.state === 'completed' && prev.status) return prev;
    const handle = client.workflow.getHandle(protectionWorkflowId(p.cidr));
    let obs: PrefixObservation;
    try {
      const d = await within(3_000, () => handle.describe());
      const state = d.status.name === 'RUNNING' ? 'running' : d.status.name === 'COMPLETED' ? 'completed' : 'other';
      let reason: string | null = null;
      if (state === 'completed')
        reason = (await within(3_000, () => handle.result() as Promise<ProtectionOutcome>)).reason;
      let status = prev?.status ?? null;
      try {
        status = await within(3_000, () => handle.query(statusQuery));
      } catch {
        // The worker is starting or busy: keep the previous answer.
      }
      obs = { workflow: { state, reason }, status };
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError))
        return prev ?? { workflow: { state: null, reason: null }, status: null };
      obs = { workflow: { state: null, reason: null }, status: null };
    }
    last.set(p.key, obs);
    return obs;
  }

  return {
    observe,
    async supervisor(): Promise<SupervisorStatus | null> {
      try {
        return await within(3_000, () =>
          client.workflow.getHandle(SUPERVISOR_WORKFLOW_ID).query(supervisorStatusQuery),
        );
      } catch {
        return null;
      }
    },
  };
}

/** withdrawal_history as the operators' dashboards read it. */
export function readWithdrawals(databasePath: string): { prefix: string; status: string; method: string }[] {
  if (!existsSync(databasePath)) return [];
  const db = new Database(databasePath, { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT prefix, status, withdraw_method AS method FROM withdrawal_history ORDER BY id').all() as {
      prefix: string;
      status: string;
      method: string;
    }[];
  } finally {
    db.close();
  }
}
