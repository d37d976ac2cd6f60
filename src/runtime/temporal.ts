// Temporal plumbing shared by the worker and the clients: envconfig connection, SDK logs into pino, supervisor start.
import { Client, type WorkflowHandle } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { NativeConnection, Runtime } from '@temporalio/worker';
import { pemParts } from '../config/secrets';
import { temporalLoggerFor, type Logger } from '../logger';
import { SUPERVISOR_WORKFLOW_ID } from '../workflows/ids';
import type { ProtectionSupervisor } from '../workflows/supervisor';

export interface TemporalTarget {
  address: string;
  namespace: string;
}

/** Connection settings by the SDK's envconfig conventions (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TLS, API key, profiles). */
export function temporalConnectConfig(): ReturnType<typeof loadClientConnectConfig> & { namespace: string } {
  const cfg = loadClientConnectConfig();
  return { ...cfg, namespace: cfg.namespace ?? 'default' };
}

/** The credentials envconfig resolved (from the environment, a temporal.toml profile or a key file), for redaction. */
export function temporalSecrets(cfg: ReturnType<typeof loadClientConnectConfig> = loadClientConnectConfig()): string[] {
  const out: string[] = [];
  const { apiKey, tls } = cfg.connectionOptions;
  if (typeof apiKey === 'string' && apiKey) out.push(apiKey);
  if (tls && typeof tls === 'object' && tls.clientCertPair?.key) {
    const key = Buffer.from(tls.clientCertPair.key).toString('utf8');
    out.push(key.trim(), ...pemParts(key));
  }
  return out.filter((s) => s.length >= 4);
}

export function describeTarget(cfg: ReturnType<typeof temporalConnectConfig>): TemporalTarget {
  return { address: cfg.connectionOptions.address ?? 'localhost:7233', namespace: cfg.namespace };
}

let installed = false;

export interface TemporalRuntimeOptions {
  /** host:port for Core's Prometheus exporter (SDK metrics); none when metrics are off. */
  sdkMetricsBindAddress?: string;
}

/**
 * Routes SDK, workflow and activity logs (and Core's native logs) into our pino logger, and turns on the SDK's
 * Prometheus exporter when asked. Once per process, before any connection or worker exists.
 */
export function installTemporalRuntime(logger: Logger, opts: TemporalRuntimeOptions = {}): void {
  if (installed) return;
  installed = true;
  Runtime.install({
    logger: temporalLoggerFor(logger.child({ component: 'temporal' })),
    telemetryOptions: {
      logging: { forward: {}, filter: { core: 'WARN', other: 'WARN' } },
      ...(opts.sdkMetricsBindAddress
        ? {
            metrics: {
              // Prometheus conventions: seconds, _total counters, unit suffixes.
              prometheus: {
                bindAddress: opts.sdkMetricsBindAddress,
                useSecondsForDurations: true,
                countersTotalSuffix: true,
                unitSuffix: true,
              },
            },
          }
        : {}),
    },
  });
}

export async function connectTemporal(): Promise<{ connection: NativeConnection; client: Client; namespace: string }> {
  const cfg = temporalConnectConfig();
  const connection = await NativeConnection.connect(cfg.connectionOptions);
  const client = new Client({ connection, namespace: cfg.namespace });
  return { connection, client, namespace: cfg.namespace };
}

/** Starts the supervisor unless it already runs (idempotent: its ID is fixed). */
export async function ensureSupervisor(
  client: Client,
  taskQueue: string,
): Promise<WorkflowHandle<typeof ProtectionSupervisor>> {
  return client.workflow.start<typeof ProtectionSupervisor>('ProtectionSupervisor', {
    workflowId: SUPERVISOR_WORKFLOW_ID,
    taskQueue,
    args: [{}],
    workflowIdConflictPolicy: 'USE_EXISTING',
    staticSummary: 'Keeps one PrefixProtection workflow per advertised prefix',
  });
}
