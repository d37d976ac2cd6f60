// The CLI's side of "one owner per prefix": status queries and operator updates sent to each prefix's workflow
// (update-with-start when none runs), with Temporal's failures turned into one clear line and an exit code.
import { hostname } from 'node:os';
import {
  Client,
  WithStartWorkflowOperation,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import { ApplicationFailure, WorkflowNotFoundError } from '@temporalio/common';
import type { UpdateDefinition } from '@temporalio/common';
import type { PrefixEntry } from '../../config';
import { createQueries } from '../../db/queries';
import { protectionWorkflowId } from '../../workflows/ids';
import { OPERATOR_REFUSED, statusQuery } from '../../workflows/messages';
import type { PrefixProtection } from '../../workflows/prefix-protection';
import type { OperatorRequest, ProtectionInput, ProtectionStatus } from '../../workflows/types';
import { CliError, type CliContext } from '../context';
import { errorText } from './cloudflare-state';
import { liveStateForStart, type OperatorAction } from './no-workflow';
import { EXIT_REFUSED, operatorName } from './prefixes';

/** A query needs a live worker; past this, the worker is taken to be down. */
const QUERY_TIMEOUT_MS = 5_000;
/** Acceptance (the validator's verdict) comes within one workflow task. */
const ACCEPT_TIMEOUT_MS = 20_000;
/** Past this, an accepted request is reported as still in progress (the workflow carries on with it). */
const RESULT_WAIT_MS = 90_000;
/** A worker seen polling within this long counts as running. */
const POLLER_FRESH_MS = 90_000;

export type StatusRead =
  | { kind: 'running'; status: ProtectionStatus }
  /** No open workflow for the prefix: not protected right now (not advertised, or its cooldown ended). */
  | { kind: 'none' }
  /** The workflow could not be asked (worker or Temporal down). */
  | { kind: 'unavailable'; error: string };

/** A client on the CLI's connection whose queries refuse closed runs (their last state is history, not status). */
async function operatorClient(ctx: CliContext): Promise<{ client: Client; namespace: string }> {
  const t = await ctx.temporal();
  return {
    client: new Client({
      connection: t.connection,
      namespace: t.namespace,
      workflow: { queryRejectCondition: 'NOT_OPEN' },
    }),
    namespace: t.namespace,
  };
}

export async function readStatus(ctx: CliContext, cidr: string): Promise<StatusRead> {
  let client: Client;
  try {
    ({ client } = await operatorClient(ctx));
  } catch (err) {
    return { kind: 'unavailable', error: `cannot connect to Temporal: ${errorText(err)}` };
  }
  try {
    const status = await client.withDeadline(Date.now() + QUERY_TIMEOUT_MS, () =>
      client.workflow.getHandle(protectionWorkflowId(cidr)).query(statusQuery),
    );
    return { kind: 'running', status };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError || (err instanceof Error && err.name === 'QueryRejectedError'))
      return { kind: 'none' };
    return { kind: 'unavailable', error: describeTemporalError(err) };
  }
}

function describeTemporalError(err: unknown): string {
  // The SDK says "Failed to query Workflow"; the deadline shows in its cause.
  const text = failureText(err);
  if (/deadline|timed? ?out/i.test(text))
    return `no answer within ${QUERY_TIMEOUT_MS / 1000}s (is the worker running?)`;
  return text;
}

/** The request every update carries: who and why. */
export function operatorRequest(reason: string | undefined, fallbackReason: string): OperatorRequest {
  return { actor: operatorName(process.env, hostname()), reason: reason?.trim() || fallbackReason };
}

export interface UpdateOutcome<R> {
  result: R;
  /** True when no workflow ran and this request started one. */
  started: boolean;
}

/**
 * Sends an operator update to the prefix's workflow. When the workflow runs, its status query first proves a worker
 * is up (an update sent to a workflow nobody executes would wait and could act much later). When none runs, a
 * request with nothing to act on is refused here and nothing is started (see no-workflow.ts); otherwise the workflow
 * is started with the update (update-with-start), given what its validators need: Cloudflare's state now and our
 * last withdraw from the database.
 */
export async function sendUpdate<R, A extends OperatorRequest>(
  ctx: CliContext,
  entry: PrefixEntry,
  action: OperatorAction,
  update: UpdateDefinition<R, [A]>,
  request: A,
): Promise<UpdateOutcome<R>> {
  const current = await readStatus(ctx, entry.cidr);
  if (current.kind === 'unavailable')
    throw new CliError(`cannot reach the workflow of ${entry.cidr}: ${current.error}; nothing was sent`);
  const { client, namespace } = await operatorClient(ctx);
  const workflowId = protectionWorkflowId(entry.cidr);
  try {
    if (current.kind === 'running') {
      const handle = await client
        .withDeadline(Date.now() + ACCEPT_TIMEOUT_MS, () =>
          client.workflow.getHandle(workflowId).startUpdate(update, { args: [request], waitForStage: 'ACCEPTED' }),
        )
        .catch((err: unknown) => {
          // It ended between the query and the update (e.g. its cooldown just ran out): decide as if none ran.
          if (err instanceof WorkflowNotFoundError) return null;
          throw err;
        });
      if (handle) return { result: await finished(handle.result(), entry.cidr), started: false };
    }
    const lastWithdrawAtMs = lastWithdrawFromDatabase(ctx, entry.cidr);
    const live = await liveStateForStart(ctx, entry, action, {
      whenAllowed: 'whenAllowed' in request && request.whenAllowed === true,
      lastWithdrawAtMs: () => lastWithdrawAtMs,
    });
    await ensureWorkerPolling(client, namespace, ctx.config().taskQueue);
    const input: ProtectionInput = {
      cidr: entry.cidr,
      live,
      operatorStart: {
        lastWithdrawAtMs,
        readvertiseCooldownMs: ctx.config().policy.readvertiseCooldownMs,
        minAdvertisedMs: ctx.config().policy.minAdvertisedMs,
      },
    };
    const startWorkflowOperation = new WithStartWorkflowOperation<typeof PrefixProtection>('PrefixProtection', {
      workflowId,
      taskQueue: ctx.config().taskQueue,
      args: [input],
      workflowIdConflictPolicy: 'USE_EXISTING',
      staticSummary: `Protecting ${entry.cidr} (${entry.description})`,
    });
    const handle = await client.withDeadline(Date.now() + ACCEPT_TIMEOUT_MS, () =>
      client.workflow.startUpdateWithStart(update, {
        args: [request],
        waitForStage: 'ACCEPTED',
        startWorkflowOperation,
      }),
    );
    return { result: await finished(handle.result(), entry.cidr), started: true };
  } catch (err) {
    throw asCliError(err, entry.cidr);
  }
}

/** Our last successful withdraw of the prefix, or null when the database has none (or does not exist yet). */
export function lastWithdrawFromDatabase(ctx: CliContext, cidr: string): number | null {
  try {
    return createQueries(ctx.database({ readonly: true })).lastWithdrawal(cidr)?.withdrawnAtMs ?? null;
  } catch {
    return null;
  }
}

/** Without a worker, a started workflow (and its update) would wait: refuse instead of leaving a surprise behind. */
async function ensureWorkerPolling(client: Client, namespace: string, taskQueue: string): Promise<void> {
  const res = await client.withDeadline(Date.now() + QUERY_TIMEOUT_MS, () =>
    client.workflowService.describeTaskQueue({ namespace, taskQueue: { name: taskQueue }, taskQueueType: 1 }),
  );
  const now = Date.now();
  const fresh = (res.pollers ?? []).some((p) => {
    const seconds = Number(p.lastAccessTime?.seconds ?? 0);
    return now - seconds * 1000 < POLLER_FRESH_MS;
  });
  if (!fresh)
    throw new CliError(`no worker is polling task queue ${taskQueue} (is the worker running?); nothing was sent`);
}

async function finished<R>(result: Promise<R>, cidr: string): Promise<R> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new CliError(
            `the request for ${cidr} was accepted but has not finished after ${RESULT_WAIT_MS / 1000}s; the workflow carries on with it: check \`mtctl status ${cidr}\``,
          ),
        ),
      RESULT_WAIT_MS,
    );
  });
  try {
    return await Promise.race([result, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Refusals by a validator exit 3; failures 1; both as the workflow's own sentence. */
function asCliError(err: unknown, cidr: string): Error {
  if (err instanceof CliError) return err;
  if (err instanceof WorkflowUpdateFailedError) {
    const cause = err.cause;
    if (cause instanceof ApplicationFailure)
      return new CliError(cause.message, cause.type === OPERATOR_REFUSED ? EXIT_REFUSED : 1);
    return new CliError(`the request for ${cidr} failed: ${failureText(cause ?? err)}`);
  }
  if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError)
    return new CliError(
      `the workflow of ${cidr} did not accept the request within ${ACCEPT_TIMEOUT_MS / 1000}s (is the worker running?)`,
    );
  return new CliError(`the request for ${cidr} failed: ${failureText(err)}`);
}

/** Never an empty line: an error without a message is named by its type, and its causes follow. */
export function failureText(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 4; depth++) {
    const text = e instanceof Error ? e.message.trim() || e.name : typeof e === 'string' ? e : JSON.stringify(e);
    if (text && !parts.includes(text)) parts.push(text);
    e = e instanceof Error ? e.cause : undefined;
  }
  return parts.join(': ') || 'unknown error';
}
