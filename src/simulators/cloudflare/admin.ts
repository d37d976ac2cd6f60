// Small JSON admin API under /__sim/ so a demo in another process can script the simulator (no auth: loopback only).
import type { FaultSchedule, FaultSpec } from './faults';
import type { SimResponse } from './rest-routes';
import type { AddPrefixInput, PrefixState } from './state';
import type { SimStats } from './stats';
import type { FlowSpec, TrafficModel } from './traffic';

export const ADMIN_ROOT = '/__sim';

export interface AdminDeps {
  state: PrefixState;
  traffic: TrafficModel;
  faults: FaultSchedule;
  stats: SimStats;
  clock: () => number;
  resetLimits: () => void;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function reply(status: number, body: unknown): SimResponse {
  return { status, body };
}

/** JSON has no RegExp: `pathRegex` carries one as a string. */
function faultFromJson(raw: Record<string, unknown>): FaultSpec {
  const match = isRecord(raw.match) ? { ...raw.match } : undefined;
  if (match && typeof match.pathRegex === 'string') {
    match.path = new RegExp(match.pathRegex);
    delete match.pathRegex;
  }
  return { ...(raw as unknown as FaultSpec), ...(match ? { match } : {}) };
}

/**
 * GET  /__sim/state | /__sim/stats | /__sim/patches | /__sim/faults
 * POST /__sim/prefixes (add), /__sim/prefixes/:id (set advertised/locked/...), /__sim/flows (one or a list),
 *      /__sim/background {destination, ...}, /__sim/dark {fromMs, untilMs, mode},
 *      /__sim/faults {kind, match?, count?, fromMs?/untilMs? or afterMs?/forMs? (relative to now), every?, probability?},
 *      /__sim/clear {faults?, traffic?, stats?, patches?, limits?} (all when the body is empty)
 */
export function handleAdmin(method: string, pathname: string, rawBody: string, deps: AdminDeps): SimResponse {
  const sub = pathname.slice(ADMIN_ROOT.length).replace(/\/+$/, '');
  let body: unknown;
  try {
    body = rawBody.trim() === '' ? undefined : JSON.parse(rawBody);
  } catch {
    return reply(400, { error: 'body is not valid JSON' });
  }
  try {
    if (method === 'GET') {
      if (sub === '/state')
        return reply(200, {
          clockMs: deps.clock(),
          prefixes: deps.state.list(),
          flows: deps.traffic.flows(),
          dark: deps.traffic.darkPeriods(),
        });
      if (sub === '/stats') return reply(200, deps.stats.snapshot());
      if (sub === '/patches') return reply(200, deps.state.patchLog());
      if (sub === '/faults')
        return reply(
          200,
          deps.faults.list().map((f) => ({ ...f, match: f.match && { ...f.match, path: String(f.match.path ?? '') } })),
        );
    }
    if (method === 'POST') {
      if (sub === '/prefixes' && isRecord(body))
        return reply(201, deps.state.addPrefix(body as unknown as AddPrefixInput));
      const one = /^\/prefixes\/([^/]+)$/.exec(sub);
      if (one?.[1] && isRecord(body)) return reply(200, deps.state.set(decodeURIComponent(one[1]), body));
      if (sub === '/flows') {
        const specs = (Array.isArray(body) ? body : [body]) as FlowSpec[];
        return reply(201, { ids: deps.traffic.addFlows(specs) });
      }
      if (sub === '/background' && isRecord(body) && typeof body.destination === 'string') {
        return reply(201, { id: deps.traffic.addBackground(body.destination, body) });
      }
      if (sub === '/dark' && isRecord(body)) {
        return reply(201, { id: deps.traffic.addDarkPeriod(body as { fromMs: number; untilMs: number }) });
      }
      if (sub === '/faults' && isRecord(body)) return reply(201, { id: deps.faults.add(faultFromJson(body)) });
      if (sub === '/clear') {
        const what = isRecord(body) ? body : { faults: true, traffic: true, stats: true, patches: true, limits: true };
        if (what.faults) deps.faults.clear();
        if (what.traffic) deps.traffic.clear();
        if (what.stats) deps.stats.reset();
        if (what.patches) deps.state.clearPatchLog();
        if (what.limits) deps.resetLimits();
        return reply(200, { cleared: Object.keys(what).filter((k) => what[k]) });
      }
    }
  } catch (err) {
    return reply(400, { error: err instanceof Error ? err.message : String(err) });
  }
  return reply(404, { error: `no admin route ${method} ${pathname}` });
}
