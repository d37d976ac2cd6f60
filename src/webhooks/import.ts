// Imports saved webhook JSON files (the old receiver wrote one per webhook to logs/webhooks/) with the receiver's
// classification and dedupe; a broken file is reported by name and skipped, the rest are imported. Files older than the
// webhook retention are skipped too: retention has pruned (or will prune) their rows, and the folder keeps the files
// forever, so importing them again would bring pruned webhooks and attack events back.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { toSqliteTimestamp } from '../db/schema';
import type { WebhookStore } from '../db/webhooks';
import { ingestWebhook, parseWebhookBody } from './ingest';

/** test: Cloudflare's text-only test message (not stored); test_alert: its test notification (stored, marked). */
export type ImportOutcome = 'stored' | 'duplicate' | 'test' | 'test_alert' | 'expired' | 'invalid';

/** Where a file's arrival time was read. */
export type ReceivedAtSource = 'envelope' | 'ts' | 'file_name' | 'mtime';

/** How the old receiver's file names (webhook_YYYYMMDD_HHMMSS.json) are read: server local time, or UTC. */
export type FileNameTimes = 'local' | 'utc';

export interface ImportedFile {
  file: string;
  outcome: ImportOutcome;
  alertId?: string;
  alertType?: string | null;
  eventState?: string | null;
  receivedAt?: string;
  receivedAtSource?: ReceivedAtSource;
  /** Why an invalid or expired file was skipped, or why a file is a test notification. */
  problem?: string;
}

export interface ImportReport {
  path: string;
  dryRun: boolean;
  files: ImportedFile[];
  stored: number;
  duplicates: number;
  /** Test messages (not stored) and test notifications (stored, marked test_notification). */
  tests: number;
  /** Files older than the webhook retention (skipped). */
  expired: number;
  invalid: number;
  /** Files received before this (UTC) were skipped as expired; null when webhooks are kept forever. */
  retentionCutoff: string | null;
  fileNameTimes: FileNameTimes;
}

/** The path to import does not exist or holds no JSON file (nothing was changed). */
export class ImportPathError extends Error {
  override readonly name = 'ImportPathError';
}

/** webhook_20260119_001500.json: the old receiver named its files after the server's clock (see FileNameTimes). */
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

/** A file name's time, read as server local time or as UTC; null when the name carries none. */
export function fileNameTime(name: string, times: FileNameTimes): number | null {
  const m = FILE_TIME.exec(basename(name));
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return null;
  const ms = times === 'utc' ? Date.UTC(y, mo - 1, d, h, mi, s) : new Date(y, mo - 1, d, h, mi, s).getTime();
  return Number.isFinite(ms) ? ms : null;
}

/** When the webhook arrived: the envelope's time, else the payload's ts, else the file name, else its mtime. */
function receivedAtOf(
  file: string,
  payload: unknown,
  envelopeTime: unknown,
  times: FileNameTimes,
): { ms: number; source: ReceivedAtSource } {
  if (typeof envelopeTime === 'string' && Number.isFinite(Date.parse(envelopeTime)))
    return { ms: Date.parse(envelopeTime), source: 'envelope' };
  if (typeof envelopeTime === 'number' && envelopeTime > 1e9)
    return { ms: envelopeTime < 1e11 ? envelopeTime * 1000 : envelopeTime, source: 'envelope' };
  const ts = isRecord(payload) ? payload.ts : undefined;
  // Seconds after 2001 and before 2100: a real Cloudflare ts.
  if (typeof ts === 'number' && ts > 1e9 && ts < 4.1e9) return { ms: ts * 1000, source: 'ts' };
  const named = fileNameTime(file, times);
  if (named !== null) return { ms: named, source: 'file_name' };
  return { ms: statSync(file).mtimeMs, source: 'mtime' };
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
  /** The webhook retention (RETENTION_WEBHOOKS): older files are skipped; null imports every file. */
  retentionMs: number | null;
  /** Default: the clock. */
  nowMs?: number;
  /** Default 'local', as the old receiver wrote them. */
  fileNameTimes?: FileNameTimes;
}

export function importWebhookFiles(opts: ImportOptions): ImportReport {
  const report: ImportReport = {
    path: opts.path,
    dryRun: opts.dryRun,
    files: [],
    stored: 0,
    duplicates: 0,
    tests: 0,
    expired: 0,
    invalid: 0,
    retentionCutoff: null,
    fileNameTimes: opts.fileNameTimes ?? 'local',
  };
  const cutoffMs = opts.retentionMs === null ? null : (opts.nowMs ?? Date.now()) - opts.retentionMs;
  if (cutoffMs !== null) report.retentionCutoff = toSqliteTimestamp(cutoffMs);
  const readable: Array<{
    name: string;
    payload: unknown;
    receivedAtMs: number;
    source: ReceivedAtSource;
    sourceIp: string | null;
  }> = [];
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
    const at = receivedAtOf(file, payload, receivedAt, report.fileNameTimes);
    readable.push({ name, payload, receivedAtMs: at.ms, source: at.source, sourceIp });
  }
  // In arrival order, so an attack's START is stored before its END whatever the file names.
  readable.sort((a, b) => a.receivedAtMs - b.receivedAtMs || (a.name < b.name ? -1 : 1));

  // A dry run writes nothing, so duplicates among the files themselves are tracked here.
  const seenInRun = new Set<string>();
  for (const { name, payload, receivedAtMs, source, sourceIp } of readable) {
    const receivedAt = new Date(receivedAtMs).toISOString();
    // Same comparison as retention's (received_at < cut-off): whatever retention has deleted is skipped here.
    if (cutoffMs !== null && Math.floor(receivedAtMs / 1000) * 1000 < cutoffMs) {
      report.expired += 1;
      report.files.push({
        file: name,
        outcome: 'expired',
        receivedAt,
        receivedAtSource: source,
        problem: `received ${toSqliteTimestamp(receivedAtMs)} UTC, before the webhook retention cut-off ${report.retentionCutoff}`,
      });
      continue;
    }
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
    const test = outcome.alert.testReason;
    if (duplicate) report.duplicates += 1;
    else if (test !== null) report.tests += 1;
    else report.stored += 1;
    report.files.push({
      file: name,
      outcome: duplicate ? 'duplicate' : test !== null ? 'test_alert' : 'stored',
      ...(test !== null ? { problem: test } : {}),
      alertId: outcome.alertId,
      alertType: outcome.alert.alertType,
      eventState: outcome.alert.eventState,
      receivedAt,
      receivedAtSource: source,
    });
  }
  return report;
}
