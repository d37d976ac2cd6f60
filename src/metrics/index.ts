// Metrics for the worker's Prometheus endpoint: a registry with Node's process metrics, decision metrics, the server.
import { collectDefaultMetrics, Registry } from 'prom-client';

export { createDecisionMetrics, splitDecision, METRIC_PREFIX, type DecisionMetrics } from './decision-metrics';
export { startMetricsServer, MetricsServerError, type MetricsServer } from './server';

/** A registry of our own (not prom-client's global one), with the standard process_* and nodejs_* metrics. */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}
