// Imports saved webhook JSON files (the old receiver wrote one per webhook to logs/webhooks/) with the receiver's
// classification and dedupe; a broken file is reported by name and skipped, the rest are imported.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { WebhookStore } from '../db/webhooks';
import { ingestWebhook, parseWebhookBody } from './ingest';

export type ImportOutcome = 'stored' | 'duplicate' | 'test' | 'invalid';

export interface ImportedFile {
  file: string;
  outcome: ImportOutcome;
  alertId?: string;
  alertType?: string | null;
  eventState?: string | null;
  receivedAt?: string;
  /** Why an invalid file was skipped. */
  problem?: string;
}

export interface ImportReport {
  path: string;
  dryRun: boolean;
  files: ImportedFile[];
  stored: number;
  duplicates: number;
  tests: number;
  invalid: number;
}

/** The path to import does not exist or holds no JSON file (nothing was changed). */
export class ImportPathError extends Error {
  override readonly name = 'ImportPathError';
}

/** webhook_20260119_001500.json (the old receiver's names, server time taken as UTC). */
const FILE_TIME = /(\d{4})(\d{2})(\d{2})[_-]?(\d{2})(\d{2})(\d{2})/;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A file holds the payload itself, or an envelope { payload, received_at?, source_ip? } around it. */
function unwrap(doc: unknown): { payload: unknown; receivedAt?: unknown; sourceIp: string | null } {
  if (isRecord(doc) && isRecord(doc.payload) && doc.alert_type === undefined && doc.data === undefined) {
    return {
      payload: doc.payload,
      receivedAt: doc.received_at ?? doc.timestamp,
      sourceIp: typeof doc.source_ip === 'string' ? doc.source_ip : null,
    };
  }
  return { payload: doc, sourceIp: null };
}

/** When the webhook arrived: the envelope's time, else the payload's ts, else the file name, else its mtime. */
function receivedAtOf(file: string, payload: unknown, envelopeTime: unknown): number {
  if (typeof envelopeTime === 'string' && Number.isFinite(Date.parse(envelopeTime))) return Date.parse(envelopeTime);
  if (typeof envelopeTime === 'number' && envelopeTime > 1e9)
    return envelopeTime < 1e11 ? envelopeTime * 1000 : envelopeTime;
  const ts = isRecord(payload) ? payload.ts : undefined;
  // Seconds after 2001 and before 2100: a real Cloudflare ts.
  if (typeof ts === 'number' && ts > 1e9 && ts < 4.1e9) return ts * 1000;
  const m = FILE_TIME.exec(basename(file));
  if (m) {
    const [, y, mo, d, h, mi, s] = m;
    const ms = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}Z`);
    if (Number.isFinite(ms)) return ms;
  }
  return statSync(file).mtimeMs;
}

/** The JSON files to import (a folder's .json files, or the one file given). */
export function listWebhookFiles(path: string): string[] {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    throw new ImportPathError(`${path} does not exist`);
  }
  if (!isDir) return [path];
  const files = readdirSync(path)
    .filter((f) => f.toLowerCase().endsWith('.json'))
    .sort()
    .map((f) => join(path, f));
  if (files.length === 0) throw new ImportPathError(`${path} holds no .json file`);
  return files;
}

export interface ImportOptions {
  path: string;
  dryRun: boolean;
  store: WebhookStore;
  prefixes: readonly string[];
}

export function importWebhookFiles(opts: ImportOptions): ImportReport {
  const report: ImportReport = {
    path: opts.path,
    dryRun: opts.dryRun,
    files: [],
    stored: 0,
    duplicates: 0,
    tests: 0,
    invalid: 0,
  };
  const readable: Array<{ name: string; payload: unknown; receivedAtMs: number; sourceIp: string | null }> = [];
  for (const file of listWebhookFiles(opts.path)) {
    const name = basename(file);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      report.invalid += 1;
      report.files.push({ file: name, outcome: 'invalid', problem: `cannot read: ${(err as Error).message}` });
      continue;
    }
    const parsed = parseWebhookBody(text);
    if (!parsed.ok) {
      report.invalid += 1;
      report.files.push({ file: name, outcome: 'invalid', problem: parsed.problem });
      continue;
    }
    const { payload, receivedAt, sourceIp } = unwrap(parsed.payload);
    readable.push({ name, payload, receivedAtMs: receivedAtOf(file, payload, receivedAt), sourceIp });
  }
  // In arrival order, so an attack's START is stored before its END whatever the file names.
  readable.sort((a, b) => a.receivedAtMs - b.receivedAtMs || (a.name < b.name ? -1 : 1));

  // A dry run writes nothing, so duplicates among the files themselves are tracked here.
  const seenInRun = new Set<string>();
  for (const { name, payload, receivedAtMs, sourceIp } of readable) {
    const outcome = ingestWebhook(payload, {
      store: opts.store,
      prefixes: opts.prefixes,
      sourceIp,
      actionTaken: 'imported',
      receivedAtMs,
      signals: false,
      dryRun: opts.dryRun,
    });
    if (outcome.kind === 'invalid') {
      report.invalid += 1;
      report.files.push({ file: name, outcome: 'invalid', problem: outcome.problem });
      continue;
    }
    if (outcome.kind === 'test') {
      report.tests += 1;
      report.files.push({ file: name, outcome: 'test' });
      continue;
    }
    const identity = `${outcome.alertId}\u0000${outcome.alert.eventState ?? ''}`;
    const duplicate = outcome.kind === 'duplicate' || seenInRun.has(identity);
    seenInRun.add(identity);
    if (duplicate) report.duplicates += 1;
    else report.stored += 1;
    report.files.push({
      file: name,
      outcome: duplicate ? 'duplicate' : 'stored',
      alertId: outcome.alertId,
      alertType: outcome.alert.alertType,
      eventState: outcome.alert.eventState,
      receivedAt: new Date(receivedAtMs).toISOString(),
    });
  }
  return report;
}
