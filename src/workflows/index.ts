// The workflows the worker runs (workflowsPath entry); children live in the same bundle as their parent.
export { PrefixProtection } from './prefix-protection';
export { ProtectionSupervisor } from './supervisor';
export { AnalyticsMonitor } from './analytics-monitor';
export { RecordsRetention } from './retention';
export { DeliverNotification } from './deliver-notification';
