// Entry point of the webhook receiver (npm run webhook-receiver): configuration, logger, a lazy Temporal client for
// the supervisor signal, the HTTP service, and a graceful stop on SIGTERM / SIGINT.
import { Client, Connection } from '@temporalio/client';
import { ConfigError, loadConfig } from '../config';
import { loadDotenv } from '../config/dotenv';
import { secretValues } from '../config/secrets';
import { createLogger } from '../logger';
import { EXIT_CONFIG, EXIT_FATAL, reportCannotStart, reportFatal, type FatalContext } from '../runtime/fatal';
import { temporalConnectConfig, temporalSecrets } from '../runtime/temporal';
import { startWebhookReceiver } from './receiver';

/** Where the last words go: stderr until the logger exists, then the logger; secrets scrubbed either way. */
const fatal: FatalContext = { name: 'webhook-receiver', logger: null, secrets: [] };

async function main(): Promise<number> {
  loadDotenv();
  fatal.secrets = secretValues(process.env);
  let config;
  try {
    // The receiver never calls Cloudflare: it needs no Cloudflare credentials.
    config = loadConfig(process.env, { requireCloudflare: false });
    if (!config.webhook.secret)
      throw new ConfigError(['WEBHOOK_SECRET is not set: the receiver refuses to run without a secret']);
  } catch (err) {
    if (err instanceof ConfigError) {
      reportCannotStart(err, fatal);
      return EXIT_CONFIG;
    }
    throw err;
  }
  const target = temporalConnectConfig();
  fatal.secrets = [...new Set([...fatal.secrets, ...config.secrets, ...temporalSecrets(target)])];
  const logger = createLogger({ level: config.logLevel, secrets: fatal.secrets, name: 'webhook-receiver' });
  fatal.logger = logger;
  // Lazy: the receiver starts (and stores webhooks) even when Temporal is down; gRPC reconnects on its own.
  const connection = Connection.lazy(target.connectionOptions);
  const temporal = new Client({ connection, namespace: target.namespace });
  const receiver = await startWebhookReceiver({ config, logger, temporal });
  logger.info(
    { url: `${receiver.url}${config.webhook.path}`, prefixes: config.prefixes.length, database: config.databasePath },
    'webhook receiver listening',
  );

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) {
        logger.warn(`${signal} again: exiting without waiting`);
        resolve(1);
        return;
      }
      stopping = true;
      logger.info(`${signal}: stopping (in-flight webhooks are finished and stored)`);
      receiver
        .close()
        .then(() => connection.close())
        .then(
          () => {
            logger.info('webhook receiver stopped');
            resolve(0);
          },
          (err: unknown) => {
            logger.error({ err: (err as Error).message }, 'webhook receiver did not stop cleanly');
            resolve(1);
          },
        );
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    reportFatal(err, fatal);
    process.exit(EXIT_FATAL);
  },
);
