// Composition root: validate configuration, wire logger, database, Cloudflare, Telegram and Temporal, then run.
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { Worker } from '@temporalio/worker';
import { ConfigError, loadConfig, type AppConfig } from './src/config';
import { createLogger, type Logger } from './src/logger';
import { buildDependencies } from './src/runtime/dependencies';
import { runStartupTasks } from './src/runtime/startup';
import {
  connectTemporal,
  describeTarget,
  ensureSupervisor,
  installTemporalRuntime,
  temporalConnectConfig,
} from './src/runtime/temporal';

async function main(): Promise<number> {
  // A .env next to the process is a convenience for newcomers; real deployments use an environment file.
  if (existsSync('.env')) process.loadEnvFile('.env');
  if (process.argv.includes('--shadow')) process.env.SHADOW_MODE = '1';
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`mt-autowithdraw: cannot start: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const logger = createLogger({ level: config.logLevel, secrets: config.secrets });
  installTemporalRuntime(logger);
  return run(config, logger);
}

async function run(config: AppConfig, logger: Logger): Promise<number> {
  const deps = buildDependencies(config, logger);
  const target = describeTarget(temporalConnectConfig());
  try {
    const { connection, client, namespace } = await connectTemporal();
    try {
      await runStartupTasks({ client, namespace, config, logger });
      const worker = await Worker.create({
        connection,
        namespace: target.namespace,
        taskQueue: config.taskQueue,
        workflowsPath: require.resolve('./src/workflows'),
        activities: deps.activities,
      });
      logger.info(
        {
          temporal: target,
          taskQueue: config.taskQueue,
          prefixes: config.prefixes.length,
          database: config.databasePath,
          shadow: config.shadow,
        },
        'worker starting',
      );
      if (config.shadow)
        logger.warn('SHADOW MODE: decisions are recorded and notified, but no prefix is ever changed at Cloudflare');
      const running = worker.run();
      try {
        await ensureSupervisor(client, config.taskQueue);
        const startedAt = Date.now();
        await deps.notifier
          .deliver(`worker-started/${hostname()}/${process.pid}/${startedAt}`, {
            kind: 'worker_started',
            host: config.host,
            calmPeriodMs: config.policy.calmPeriodMs,
            checkIntervalMs: config.policy.checkIntervalMs,
            prefixCount: config.prefixes.length,
            shadow: config.shadow,
            atMs: startedAt,
          })
          .catch((err: Error) => logger.warn(`start-up notification not sent: ${err.message}`));
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
    process.stderr.write(`mt-autowithdraw: fatal: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
