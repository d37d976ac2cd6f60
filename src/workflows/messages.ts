// Signal, query and update definitions shared by the workflows and their clients.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type {
  AdvertiseRequest,
  AdvertiseResult,
  HoldRequest,
  HoldResult,
  LiveStateUpdate,
  ProtectionStatus,
  ResumeRequest,
  ResumeResult,
  SupervisorStatus,
  WithdrawRequest,
  WithdrawResult,
} from './types';

/** Supervisor → prefix workflow: Cloudflare's state or the prefix's configuration changed. */
export const liveStateSignal = defineSignal<[LiveStateUpdate]>('liveState');

/** Prefix workflow → supervisor: this prefix's workflow has ended. */
export const protectionEndedSignal = defineSignal<[{ cidr: string; reason: string }]>('protectionEnded');

/** Anyone → supervisor: reconcile now instead of at the next interval (e.g. an auto-advertisement alert). */
export const reconcileNowSignal = defineSignal<[{ reason: string }]>('reconcileNow');

export const statusQuery = defineQuery<ProtectionStatus>('status');
export const supervisorStatusQuery = defineQuery<SupervisorStatus>('supervisorStatus');

// Operator → prefix workflow. Each has a validator: a refused request leaves no trace in the history.

/** ApplicationFailure type of a request a validator refused (locked, cooldown, not advertised…): nothing happened. */
export const OPERATOR_REFUSED = 'OperatorRequestRefused';
/** ApplicationFailure type of an accepted request that failed (e.g. Cloudflare kept refusing the PATCH). */
export const OPERATOR_FAILED = 'OperatorRequestFailed';

/** Withdraw now (manual): recorded as withdrawn_manual, notified, then the re-advertise cooldown runs. */
export const withdrawUpdate = defineUpdate<WithdrawResult, [WithdrawRequest]>('withdraw');

/** Advertise now, or with whenAllowed queue it until the re-advertise cooldown ends. */
export const advertiseUpdate = defineUpdate<AdvertiseResult, [AdvertiseRequest]>('advertise');

/** Pause auto-withdraw (measuring continues), optionally for a duration. */
export const holdUpdate = defineUpdate<HoldResult, [HoldRequest]>('hold');

/** Lift a hold: auto-withdraw decides again from the next cycle. */
export const resumeUpdate = defineUpdate<ResumeResult, [ResumeRequest]>('resume');
