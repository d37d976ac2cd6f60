// All activities of the worker, built from their dependencies; workflows import only the types.
import { createAnalyticsMonitorActivities, type AnalyticsMonitorActivityDeps } from './analytics-monitor';
import { createCloudflareActivities, type CloudflareActivityDeps } from './cloudflare';
import { createNotifyActivities, type NotifyActivityDeps } from './notify';
import { createRecordActivities, type RecordActivityDeps } from './records';
import { createRetentionActivities, type RetentionActivityDeps } from './retention';
import { createTrafficActivities, type TrafficActivityDeps } from './traffic';

export type ActivityDeps = CloudflareActivityDeps &
  TrafficActivityDeps &
  RecordActivityDeps &
  NotifyActivityDeps &
  AnalyticsMonitorActivityDeps &
  RetentionActivityDeps;

export function createActivities(deps: ActivityDeps) {
  return {
    ...createCloudflareActivities(deps),
    ...createTrafficActivities(deps),
    ...createRecordActivities(deps),
    ...createNotifyActivities(deps),
    ...createAnalyticsMonitorActivities(deps),
    ...createRetentionActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
export type {
  CloudflareActivities,
  PrefixSnapshot,
  PrefixStateEntry,
  PrefixStatePage,
  PrefixStatePageRequest,
  ProtectionSettings,
  ChangeResult,
} from './cloudflare';
export type { TrafficActivities, MeasureInput } from './traffic';
export type { RecordActivities } from './records';
export type { NotifyActivities } from './notify';
export type {
  AnalyticsMonitorActivities,
  CollectNetworkEventsInput,
  CollectNetworkEventsResult,
} from './analytics-monitor';
export type { RetentionActivities } from './retention';
