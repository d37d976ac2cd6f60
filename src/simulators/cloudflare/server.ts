// Loopback HTTP server speaking the Cloudflare API subset we use (REST envelopes + GraphQL), with faults and limits.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ADMIN_ROOT, handleAdmin } from './admin';
import { checkAuth } from './auth';
import { SIM_ERRORS } from './envelope';
import { degrade, faultResponse, graphqlError } from './fault-responses';
import { createFaultSchedule, DEGRADING_KINDS, type FaultSchedule } from './faults';
import { createGraphqlEndpoint } from './graphql-endpoint';
import { createRateLimiter, type RateLimitOptions } from './limits';
import { API_ROOT, errorResponse, handleRest, matchRoute, parsePatchBody, type SimResponse } from './rest-routes';
import { buildAnalyticsSchema } from './schema';
import { createPrefixState, type PatchLogEntry, type PatchOutcome, type PrefixState } from './state';
import { createGraphqlLog, createStats, type GraphqlLogEntry, type SimStats } from './stats';
import { createTrafficModel, type SubnetFormat, type TrafficModel } from './traffic';

export interface CloudflareSimulatorOptions {
  accountId?: string;
  token?: string;
  email?: string;
  apiKey?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  host?: '127.0.0.1' | '::1';
  /** Drives the 15-minute rules, rate limits, timestamps and the ingest cut; default Date.now. */
  clock?: () => number;
  /** Re-advertising sooner than this after a withdraw is refused (unconfirmed upstream rule); default 15 min. */
  readvertiseCooldownMs?: number;
  /** Withdrawing sooner than this after an advertise is refused (unconfirmed upstream rule); default 15 min. */
  minAdvertisedMs?: number;
  /** REST + GraphQL budget; default 1200 per 300 s, then 429 for 5 minutes. */
  rateLimit?: RateLimitOptions | false;
  /** Extra GraphQL budget; default 300 per 300 s. */
  graphqlRateLimit?: RateLimitOptions | false;
  /** Largest accepted `limit`; default 10000. */
  maxPageSize?: number;
  /** Samples newer than clock() - ingestDelayMs are not visible yet; default 0. */
  ingestDelayMs?: number;
  /** Seed of the RNG behind probabilistic faults; default 1. */
  seed?: number;
  /** ipDestinationSubnet as "192.0.2.0/24" (default) or bare "192.0.2.0" (the upstream format is unconfirmed). */
  subnetFormat?: SubnetFormat;
  /** Granularity of traffic samples; default 60 s like the real dataset, 1 s for short-period tests and demos. */
  sampleIntervalMs?: number;
  /** Serialize uint64 values as strings instead of numbers. */
  uint64AsString?: boolean;
  /** Called after every PATCH request is logged (a demo saves its prefix state here, to resume consistently). */
  onPatch?: (entry: PatchLogEntry) => void;
}

export interface CloudflareSimulator {
  /** http://127.0.0.1:PORT/client/v4 — what the client takes as baseUrl. */
  baseUrl: string;
  /** http://127.0.0.1:PORT (the admin API lives under /__sim/). */
  url: string;
  port: number;
  accountId: string;
  credentials: { token: string; email: string; apiKey: string };
  state: PrefixState;
  traffic: TrafficModel;
  faults: FaultSchedule;
  stats: SimStats & {
    patches(): readonly PatchLogEntry[];
    /** The latest GraphQL requests (up to 10,000) with their variables and how they were answered. */
    graphqlRequests(): readonly GraphqlLogEntry[];
  };
  /** Forget request budgets (rate limits) so a scenario can start fresh. */
  resetLimits(): void;
  close(): Promise<void>;
}

const MAX_BODY = 1_000_000;

function readBody(req: IncomingMessage): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => resolve(size > MAX_BODY ? null : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, r: SimResponse): void {
  const text = typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
  res.writeHead(r.status, { 'content-type': 'application/json', ...(r.headers ?? {}) });
  res.end(text);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function startCloudflareSimulator(opts: CloudflareSimulatorOptions = {}): Promise<CloudflareSimulator> {
  const clock = opts.clock ?? Date.now;
  const accountId = opts.accountId ?? '0123456789abcdef0123456789abcdef';
  const credentials = {
    token: opts.token ?? 'sim-api-token-0000000000000000000000',
    email: opts.email ?? 'ops@example.net',
    apiKey: opts.apiKey ?? 'sim0global0api0key000000000000000000',
  };
  const state = createPrefixState({
    clock,
    readvertiseCooldownMs: opts.readvertiseCooldownMs ?? 15 * 60_000,
    minAdvertisedMs: opts.minAdvertisedMs ?? 15 * 60_000,
  });
  const onPatch = opts.onPatch;
  if (onPatch) {
    // Every PATCH, answered or refused, passes through the log.
    const log = state.log.bind(state);
    state.log = (entry) => {
      log(entry);
      onPatch(entry);
    };
  }
  const traffic = createTrafficModel({
    subnetFormat: opts.subnetFormat ?? 'cidr',
    sampleIntervalMs: opts.sampleIntervalMs,
  });
  const faults = createFaultSchedule({ clock, seed: opts.seed ?? 1 });
  const baseStats = createStats();
  const limiter = createRateLimiter(opts.rateLimit ?? { requests: 1200, windowMs: 300_000 }, clock);
  const gqlLimiter = createRateLimiter(opts.graphqlRateLimit ?? { requests: 300, windowMs: 300_000 }, clock);
  const resetLimits = () => {
    limiter.reset();
    gqlLimiter.reset();
  };
  const endpoint = createGraphqlEndpoint({
    schema: buildAnalyticsSchema({ uint64AsString: opts.uint64AsString ?? false }),
    accountId,
    traffic,
    clock,
    ingestDelayMs: opts.ingestDelayMs ?? 0,
    maxPageSize: opts.maxPageSize ?? 10_000,
  });
  const held = new Set<ServerResponse>();
  const graphqlLog = createGraphqlLog();

  async function answer(req: IncomingMessage, res: ServerResponse, method: string, pathname: string, raw: string) {
    const route = matchRoute(method, pathname);
    baseStats.count(route.name);
    const isGraphql = route.name === 'graphql';
    const fault = faults.take({ method, path: pathname, graphql: isGraphql });
    const answerLost = fault?.kind === 'lost_answer';
    const reply = (r: SimResponse): void => {
      if (answerLost) {
        // The request took effect; only its answer is lost, as when a connection breaks after the server acted.
        if (isGraphql) graphqlLog.note(clock(), raw, null);
        return void req.socket.destroy();
      }
      if (isGraphql) graphqlLog.note(clock(), raw, r);
      send(res, r);
    };
    const logPatch = (outcome: PatchOutcome, httpStatus: number) => {
      if (route.name !== 'patchBgpPrefix') return;
      const { parentPrefixId = '', bgpPrefixId = '' } = route.params;
      const cidr = state.get(bgpPrefixId)?.cidr ?? null;
      const body = parsePatchBody(raw);
      const advertised = typeof body === 'string' ? null : (body.advertised ?? null);
      state.log({
        atMs: clock(),
        parentPrefixId,
        bgpPrefixId,
        cidr,
        advertised,
        outcome,
        httpStatus,
        ...(answerLost ? { answerLost: true as const } : {}),
      });
    };

    // A partial / empty fault only counts once it has degraded a good answer (below).
    if (fault && !DEGRADING_KINDS.includes(fault.kind)) baseStats.note('faulted');
    if (fault?.kind === 'timeout' || fault?.kind === 'connection_reset') {
      logPatch('fault', 0);
      if (isGraphql) graphqlLog.note(clock(), raw, null);
      if (fault.kind === 'connection_reset') return void req.socket.destroy();
      // Never answered: the socket is held until the client gives up or the simulator closes.
      held.add(res);
      res.on('close', () => held.delete(res));
      return;
    }
    if (fault?.kind === 'slow') await sleep(fault.delayMs ?? 1000);
    const faulty = fault ? faultResponse(fault, isGraphql) : null;
    if (faulty) {
      logPatch('fault', faulty.status);
      return reply(faulty);
    }

    const wait = limiter.hit();
    if (wait !== null) {
      baseStats.note('rateLimited');
      logPatch('rate_limited', 429);
      return reply(errorResponse(SIM_ERRORS.rateLimited, { 'retry-after': String(Math.ceil(wait / 1000)) }));
    }
    if (route.name === 'unknown') return reply(errorResponse(SIM_ERRORS.noRoute));
    if (!route.methods.includes(method)) return reply(errorResponse(SIM_ERRORS.methodNotAllowed));
    const auth = checkAuth(req.headers, credentials);
    if (!auth.ok || (route.name === 'verifyToken' && auth.kind !== 'token')) {
      baseStats.note('unauthorized');
      const error = auth.ok ? SIM_ERRORS.missingAuth : auth.error;
      logPatch('unauthorized', error.status);
      return reply(errorResponse(error));
    }

    let result: SimResponse;
    if (isGraphql) {
      const dark = traffic.darkAt(clock());
      if (dark) return reply(graphqlError(503, 'unable to execute query, please try again later'));
      const gqlWait = gqlLimiter.hit();
      if (gqlWait !== null) {
        baseStats.note('rateLimited');
        const minutes = Math.max(1, Math.ceil(gqlWait / 60_000));
        return reply(graphqlError(429, `rate limiter budget depleted, try again after ${minutes} minutes`));
      }
      let body: unknown;
      try {
        body = JSON.parse(raw);
      } catch {
        return reply(graphqlError(400, 'error parsing request body: not JSON'));
      }
      result = await endpoint.run(body);
    } else {
      result = handleRest(route, raw, { state, accountId, clock, email: credentials.email, answerLost });
    }
    if (fault && DEGRADING_KINDS.includes(fault.kind) && result.status === 200) {
      faults.commit(fault.id);
      baseStats.note('faulted');
      result = degrade(result, fault);
    }
    reply(result);
  }

  const server = http.createServer((req, res) => {
    const method = (req.method ?? 'GET').toUpperCase();
    const pathname = new URL(req.url ?? '/', 'http://sim.invalid').pathname;
    readBody(req)
      .then(async (raw) => {
        if (raw === null)
          return send(res, errorResponse({ status: 413, code: 1004, message: 'Request body too large' }));
        if (pathname === ADMIN_ROOT || pathname.startsWith(`${ADMIN_ROOT}/`)) {
          return send(
            res,
            handleAdmin(method, pathname, raw, { state, traffic, faults, stats: baseStats, clock, resetLimits }),
          );
        }
        return answer(req, res, method, pathname, raw);
      })
      .catch((err: unknown) => {
        // A simulator bug should surface as a 500 the test can see, not a hung request.
        if (!res.headersSent)
          send(res, errorResponse({ ...SIM_ERRORS.server, message: `Simulator error: ${String(err)}` }));
        else res.destroy();
      });
  });

  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host === '::1' ? '[::1]' : host}:${port}`;

  return {
    baseUrl: `${url}${API_ROOT}`,
    url,
    port,
    accountId,
    credentials,
    state,
    traffic,
    faults,
    stats: { ...baseStats, patches: () => state.patchLog(), graphqlRequests: () => graphqlLog.entries() },
    resetLimits,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of held) res.socket?.destroy();
        held.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
