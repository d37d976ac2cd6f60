// One Prometheus endpoint: our registry (decision metrics, Node process) followed by the Temporal SDK's own exporter.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Gauge, type Registry } from 'prom-client';
import { METRIC_PREFIX } from './decision-metrics';

export interface MetricsServerOptions {
  host: string;
  port: number;
  registry: Registry;
  /** Core's Prometheus exporter (bound to loopback by installTemporalRuntime); its text is appended. */
  sdkMetricsUrl: string | null;
  /** How long a scrape waits for the SDK's exporter. */
  sdkTimeoutMs?: number;
}

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

export class MetricsServerError extends Error {
  override readonly name = 'MetricsServerError';
}

/** Names the setting to change: a listen failure is a configuration problem, not something a restart fixes. */
function listenProblem(opts: Pick<MetricsServerOptions, 'host' | 'port'>, err: NodeJS.ErrnoException): string {
  const where = `${opts.host}:${opts.port}`;
  switch (err.code) {
    case 'EADDRINUSE':
      return `METRICS_PORT=${opts.port}: ${where} is already in use (another worker or exporter?); choose a free port, or unset METRICS_PORT to turn metrics off`;
    case 'EACCES':
      return `METRICS_PORT=${opts.port}: not allowed to listen on ${where} (ports below 1024 need privileges)`;
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `METRICS_HOST=${opts.host}: not an address of this machine (${err.code})`;
    default:
      return `METRICS_HOST=${opts.host} METRICS_PORT=${opts.port}: cannot serve metrics on ${where}: ${err.message}`;
  }
}

export async function startMetricsServer(opts: MetricsServerOptions): Promise<MetricsServer> {
  const sdkUp = new Gauge({
    name: `${METRIC_PREFIX}sdk_metrics_up`,
    help: '1 when the Temporal SDK metrics could be read for this scrape',
    registers: [opts.registry],
  });

  async function sdkText(): Promise<string> {
    if (!opts.sdkMetricsUrl) return '';
    try {
      const res = await fetch(opts.sdkMetricsUrl, { signal: AbortSignal.timeout(opts.sdkTimeoutMs ?? 2_000) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const text = await res.text();
      sdkUp.set(1);
      return text.endsWith('\n') || text === '' ? text : `${text}\n`;
    } catch {
      sdkUp.set(0);
      return '';
    }
  }

  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://metrics.invalid').pathname;
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(path === '/metrics' ? 405 : 404, { 'content-type': 'text/plain' });
      res.end(path === '/metrics' ? 'GET only\n' : 'metrics are served at /metrics\n');
      return;
    }
    // The SDK part first, so sdk_metrics_up describes this very scrape.
    sdkText()
      .then(async (sdk) => {
        const ours = await opts.registry.metrics();
        res.writeHead(200, { 'content-type': opts.registry.contentType });
        res.end(`${ours}${ours.endsWith('\n') ? '' : '\n'}${sdk}`);
      })
      .catch((err: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`metrics unavailable: ${err instanceof Error ? err.message : String(err)}\n`);
      });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(new MetricsServerError(listenProblem(opts, err))));
    server.listen(opts.port, opts.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    url: `http://${host}:${port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
