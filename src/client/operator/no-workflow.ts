// A request for a prefix no workflow protects: refused here, with nothing started, unless it has work to do. Only an
// advertised prefix (or an advertise that its rules allow) is worth an update-with-start.
import type { PrefixEntry } from '../../config';
import { checkAdvertise } from '../../domain/operator-rules';
import type { LivePrefixState } from '../../domain/types';
import { CliError, type CliContext } from '../context';
import { readLiveStates } from './cloudflare-state';
import { EXIT_REFUSED } from './prefixes';

export type OperatorAction = 'withdraw' | 'advertise' | 'hold' | 'resume';

/**
 * Cloudflare's state now, when the request may go ahead with update-with-start (the new workflow's input); throws
 * the refusal (exit 3) or the failure to read Cloudflare (exit 1) otherwise. Nothing is started either way.
 */
export async function liveStateForStart(
  ctx: CliContext,
  entry: PrefixEntry,
  action: OperatorAction,
  opts: { whenAllowed?: boolean; lastWithdrawAtMs: () => number | null },
): Promise<LivePrefixState> {
  // Only a workflow can hold a prefix, so with none running there is no hold to lift: no need to ask Cloudflare.
  if (action === 'resume') throw refused(`${entry.cidr} is not held (no workflow protects it right now)`);
  const read = (await readLiveStates(ctx.cloudflare(), [entry])).get(entry.cidr);
  if (!read?.ok)
    throw new CliError(`cannot read ${entry.cidr} at Cloudflare: ${read ? read.error : 'not read'}; nothing was sent`);
  const live = read.live;
  const notAdvertised = live.advertised === null ? 'has no on-demand advertisement at Cloudflare' : 'is not advertised';
  if (action === 'withdraw') {
    if (live.locked) throw refused(`${entry.cidr} is locked: it is never changed`);
    if (live.advertised !== true) throw refused(`${entry.cidr} ${notAdvertised}: nothing to withdraw`);
  } else if (action === 'hold') {
    if (live.advertised !== true) throw refused(`${entry.cidr} ${notAdvertised}: nothing to hold`);
  } else {
    // The same rule the new workflow's validator applies to the same facts (our last withdraw, Cloudflare's state).
    const policy = ctx.config().policy;
    const verdict = checkAdvertise(
      {
        cidr: entry.cidr,
        nowMs: Date.now(),
        phase: 'idle',
        advertised: live.advertised,
        locked: live.locked,
        underAttack: false,
        trafficUnknown: false,
        advertisedModifiedAtMs: live.advertisedModifiedAtMs,
        lastWithdrawAtMs: opts.lastWithdrawAtMs(),
        readvertiseCooldownMs: policy.readvertiseCooldownMs,
        minAdvertisedMs: policy.minAdvertisedMs,
        pendingWithdraw: null,
        queuedAdvertise: null,
        held: false,
      },
      { whenAllowed: opts.whenAllowed === true },
    );
    if (!verdict.ok) throw refused(verdict.message);
  }
  return live;
}

/** The same one line (and exit code) as a refusal by the workflow's validator. */
const refused = (message: string): CliError => new CliError(message, EXIT_REFUSED);
