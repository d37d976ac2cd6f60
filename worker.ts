// Composition root: validate configuration, wire logger, database, Cloudflare, Telegram and Temporal, then run.
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { Worker } from '@temporalio/worker';
import { ConfigError, loadConfig, type AppConfig } from './src/config';
import { loadDotenv } from './src/config/dotenv';
import { secretValues } from './src/config/secrets';
import { createLogger, type Logger } from './src/logger';
import { announceWorkerStart } from './src/notifications/announce';
import {
  createDecisionMetrics,
  createMetricsRegistry,
  MetricsServerError,
  startMetricsServer,
  type MetricsServer,
} from './src/metrics';
import { buildDependencies, type DependencyOptions } from './src/runtime/dependencies';
import {
  DEFAULT_EMBEDDED_DB_FILE,
  embeddedServerSettings,
  startEmbeddedServer,
  type EmbeddedServer,
} from './src/runtime/embedded-server';
import { EXIT_CONFIG, EXIT_FATAL, reportCannotStart, reportFatal, type FatalContext } from './src/runtime/fatal';
import { freePort } from './src/runtime/free-port';
import { runStartupTasks } from './src/runtime/startup';
import { workerTuningOptions } from './src/runtime/worker-options';
import { workflowCodeOption } from './src/runtime/workflow-bundle';
import {
  connectTemporal,
  describeTarget,
  ensureSupervisor,
  installTemporalRuntime,
  temporalConnectConfig,
  temporalSecrets,
} from './src/runtime/temporal';

const USAGE = `usage: worker.ts [--shadow] [--config <file>] [--embedded-temporal]
  --shadow              decide, record and notify, but never change a prefix at Cloudflare (same as SHADOW_MODE=1)
  --config <file>       read settings from this env file instead of ./.env (MT_AUTOWITHDRAW_NO_DOTENV=1: no ./.env)
  --embedded-temporal   when no Temporal address is configured, run the Temporal dev server (SQLite in data/)`;

interface Flags {
  shadow: boolean;
  envFile: string | null;
  embeddedTemporal: boolean;
}

class UsageError extends Error {}

function parseFlags(argv: string[]): Flags | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        shadow: { type: 'boolean' },
        // Not "--env-file": Node 20 claims that name even after the script and exits on a missing file.
        config: { type: 'string' },
        'embedded-temporal': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message.split('\n')[0]);
  }
  if (parsed.values.help) return 'help';
  return {
    shadow: parsed.values.shadow ?? false,
    envFile: parsed.values.config ?? null,
    embeddedTemporal: parsed.values['embedded-temporal'] ?? false,
  };
}

/** Where the last words go: stderr until the logger exists, then the logger; secrets scrubbed either way. */
const fatal: FatalContext = { name: 'mt-autowithdraw', logger: null, secrets: [] };

async function main(): Promise<number> {
  let flags: Flags;
  let config: AppConfig;
  try {
    const f = parseFlags(process.argv.slice(2));
    if (f === 'help') {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    flags = f;
    if (flags.envFile !== null) {
      if (!existsSync(flags.envFile)) throw new UsageError(`--config ${flags.envFile}: no such file`);
      process.loadEnvFile(flags.envFile);
    } else {
      // A .env next to the process is a convenience for newcomers; real deployments use an environment file.
      loadDotenv();
    }
    fatal.secrets = secretValues(process.env);
    if (flags.shadow) process.env.SHADOW_MODE = '1';
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError || err instanceof UsageError) {
      reportCannotStart(err, fatal, err instanceof UsageError ? `\n${USAGE}` : '');
      return EXIT_CONFIG;
    }
    throw err;
  }
  const connect = temporalConnectConfig();
  const embedded = flags.embeddedTemporal && connect.connectionOptions.address === undefined;
  const server = embedded
    ? embeddedServerSettings(process.env, { dbFile: DEFAULT_EMBEDDED_DB_FILE, namespace: connect.namespace })
    : null;
  if (server?.problems.length) {
    reportCannotStart(new ConfigError(server.problems), fatal);
    return EXIT_CONFIG;
  }
  fatal.secrets = [...new Set([...fatal.secrets, ...config.secrets, ...temporalSecrets(connect)])];
  const logger = createLogger({ level: config.logLevel, secrets: fatal.secrets });
  fatal.logger = logger;
  // Core's exporter listens on a private loopback port; the metrics endpoint serves it together with ours.
  const sdkMetricsAddress = config.metrics ? `127.0.0.1:${await freePort()}` : undefined;
  installTemporalRuntime(logger, { sdkMetricsBindAddress: sdkMetricsAddress });
  // The SDK's runtime stops the worker on these signals; we only remember them to skip what has not started yet.
  let stopRequested = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => (stopRequested = true));

  let temporalServer: EmbeddedServer | null = null;
  let metricsServer: MetricsServer | null = null;
  try {
    if (server) {
      logger.info(
        { dbFile: server.options.dbFile },
        'no Temporal address configured: starting the embedded dev server',
      );
      temporalServer = await startEmbeddedServer(server.options);
      process.env.TEMPORAL_ADDRESS = temporalServer.address;
      if (temporalServer.orphanStopped !== null)
        logger.warn(
          { pid: temporalServer.orphanStopped },
          'stopped an embedded Temporal server a previous run left behind (it was killed without stopping it)',
        );
      logger.info(
        {
          address: temporalServer.address,
          namespace: temporalServer.namespace,
          webUi: temporalServer.uiUrl,
          dbFile: server.options.dbFile,
        },
        'embedded Temporal server ready',
      );
    }
    let onCycle: DependencyOptions['onCycle'];
    if (config.metrics) {
      const registry = createMetricsRegistry();
      const decisions = createDecisionMetrics({
        registry,
        checkIntervalMs: config.policy.checkIntervalMs,
        shadow: config.shadow,
      });
      onCycle = (status) => decisions.observe(status);
      metricsServer = await startMetricsServer({
        host: config.metrics.host,
        port: config.metrics.port,
        registry,
        sdkMetricsUrl: sdkMetricsAddress ? `http://${sdkMetricsAddress}/metrics` : null,
      });
      logger.info({ url: metricsServer.url }, 'serving Prometheus metrics');
    }
    if (stopRequested) return 0;
    return await run(config, logger, onCycle);
  } catch (err) {
    // A busy METRICS_PORT or an unusable DATABASE_PATH: restarting would fail the same way.
    if (err instanceof ConfigError || err instanceof MetricsServerError) {
      reportCannotStart(err, fatal);
      return EXIT_CONFIG;
    }
    throw err;
  } finally {
    await metricsServer?.close();
    await temporalServer?.stop();
  }
}

async function run(config: AppConfig, logger: Logger, onCycle: DependencyOptions['onCycle']): Promise<number> {
  const deps = buildDependencies(config, logger, { onCycle });
  const target = describeTarget(temporalConnectConfig());
  try {
    const { connection, client, namespace } = await connectTemporal();
    try {
      await runStartupTasks({ client, namespace, config, logger });
      const workflowCode = await workflowCodeOption(
        config.worker.bundleCacheDir,
        require.resolve('./src/workflows'),
        logger,
      );
      const worker = await Worker.create({
        connection,
        namespace: target.namespace,
        taskQueue: config.taskQueue,
        ...workflowCode,
        activities: deps.activities,
        ...workerTuningOptions(config.worker),
      });
      logger.info(
        {
          temporal: target,
          taskQueue: config.taskQueue,
          prefixes: config.prefixes.length,
          database: config.databasePath,
          shadow: config.shadow,
          metrics: config.metrics ? `${config.metrics.host}:${config.metrics.port}` : null,
          tuning: config.worker,
        },
        'worker starting',
      );
      if (config.shadow)
        logger.warn('SHADOW MODE: decisions are recorded and notified, but no prefix is ever changed at Cloudflare');
      const running = worker.run();
      try {
        await ensureSupervisor(client, config.taskQueue);
        // Delivered by a small workflow: retried like any notification, its fate recorded in notification_log.
        await announceWorkerStart(client, config.taskQueue, hostname(), {
          kind: 'worker_started',
          host: config.host,
          calmPeriodMs: config.policy.calmPeriodMs,
          checkIntervalMs: config.policy.checkIntervalMs,
          prefixCount: config.prefixes.length,
          shadow: config.shadow,
          atMs: Date.now(),
        }).catch((err: Error) => logger.warn(`start-up notification not queued: ${err.message}`));
      } catch (err) {
        worker.shutdown();
        await running.catch(() => undefined);
        throw err;
      }
      await running;
      logger.info('worker stopped');
      return 0;
    } finally {
      await connection.close();
    }
  } finally {
    deps.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    reportFatal(err, fatal);
    process.exit(EXIT_FATAL);
  },
);
