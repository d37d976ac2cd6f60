// Signal, query and update definitions shared by the workflows and their clients.
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { LiveStateUpdate, ProtectionStatus, SupervisorStatus } from './types';

/** Supervisor → prefix workflow: Cloudflare's state or the prefix's configuration changed. */
export const liveStateSignal = defineSignal<[LiveStateUpdate]>('liveState');

/** Prefix workflow → supervisor: this prefix's workflow has ended. */
export const protectionEndedSignal = defineSignal<[{ cidr: string; reason: string }]>('protectionEnded');

/** Anyone → supervisor: reconcile now instead of at the next interval (e.g. an auto-advertisement alert). */
export const reconcileNowSignal = defineSignal<[{ reason: string }]>('reconcileNow');

export const statusQuery = defineQuery<ProtectionStatus>('status');
export const supervisorStatusQuery = defineQuery<SupervisorStatus>('supervisorStatus');
