// The steps workflow tests take with a prefix's protection on a time-skipping system: start it by its business ID,
// let workflow time pass a minute at a time while watching its status, and expect an operator's update refused.
import assert from 'node:assert/strict';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { protectionWorkflowId } from '../../src/workflows/ids';
import { statusQuery } from '../../src/workflows/messages';
import type { PrefixProtection } from '../../src/workflows/prefix-protection';
import type { ProtectionInput, ProtectionStatus } from '../../src/workflows/types';
import type { TimeSkippingSystem } from './time-skipping-system';

const MINUTE = 60_000;

export type ProtectionHandle = WorkflowHandle<typeof PrefixProtection>;

/** Starts PrefixProtection for the prefix under its workflow ID, on the system's task queue. */
export function startProtection(
  sys: Pick<TimeSkippingSystem, 'env' | 'taskQueue'>,
  prefix: { cidr: string },
  extra: Omit<ProtectionInput, 'cidr'> = {},
): Promise<ProtectionHandle> {
  return sys.env.client.workflow.start<typeof PrefixProtection>('PrefixProtection', {
    workflowId: protectionWorkflowId(prefix.cidr),
    taskQueue: sys.taskQueue,
    args: [{ cidr: prefix.cidr, ...extra }],
  });
}

/** A handle on the prefix's protection: its workflow ID, whichever run is current. */
export function protectionHandle(sys: Pick<TimeSkippingSystem, 'env'>, prefix: { cidr: string }): ProtectionHandle {
  return sys.env.client.workflow.getHandle<typeof PrefixProtection>(protectionWorkflowId(prefix.cidr));
}

/** The PATCHes the loopback Cloudflare received for the prefix, in order. */
export function patchesFor(sys: Pick<TimeSkippingSystem, 'fx'>, prefix: { bgpPrefixId: string }) {
  return sys.fx.cf.stats.patches().filter((x) => x.bgpPrefixId === prefix.bgpPrefixId);
}

/**
 * Moves workflow time on a minute at a time and queries the status after each minute, until `until` holds for the
 * latest status or `maxMinutes` have passed. Returns every status seen, in order.
 */
export async function advanceMinutesUntil(
  sys: Pick<TimeSkippingSystem, 'env'>,
  handle: Pick<ProtectionHandle, 'query'>,
  until: (latest: ProtectionStatus) => boolean,
  maxMinutes: number,
): Promise<ProtectionStatus[]> {
  const seen: ProtectionStatus[] = [];
  for (let i = 0; i < maxMinutes && !(seen.length > 0 && until(seen.at(-1)!)); i++) {
    await sys.env.sleep(MINUTE);
    seen.push(await handle.query(statusQuery));
  }
  return seen;
}

/** `minutes` minutes of workflow time, with the status after each. */
export function advanceMinutes(
  sys: Pick<TimeSkippingSystem, 'env'>,
  handle: Pick<ProtectionHandle, 'query'>,
  minutes: number,
): Promise<ProtectionStatus[]> {
  return advanceMinutesUntil(sys, handle, () => false, minutes);
}

/** The status shows a withdraw. */
export const withdrawn = (s: ProtectionStatus): boolean => Boolean(s.lastWithdraw);

/** The update must fail with an application failure (of `type` when given); returns that failure. */
export async function refusedUpdate(update: Promise<unknown>, type?: string): Promise<ApplicationFailure> {
  const err = await update.then(
    () => assert.fail('expected the update to be refused'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof WorkflowUpdateFailedError, String(err));
  assert.ok(err.cause instanceof ApplicationFailure);
  if (type !== undefined) assert.equal(err.cause.type, type);
  return err.cause;
}
