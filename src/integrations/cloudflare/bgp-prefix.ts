// Maps Cloudflare's snake_case BGP prefix JSON to the BgpPrefix contract, refusing shapes we cannot trust.
import { isRecord } from './body';
import type { BgpPrefix } from './types';

/** Thrown (and turned into a bad_response CloudflareError by the caller) when an object is not a BGP prefix. */
export class BgpPrefixShapeError extends Error {
  override readonly name = 'BgpPrefixShapeError';
}

function optString(v: unknown, field: string): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw new BgpPrefixShapeError(`${field} is not a string`);
  return v;
}

function optBool(v: unknown, field: string): boolean | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'boolean') throw new BgpPrefixShapeError(`${field} is not a boolean`);
  return v;
}

export function toBgpPrefix(raw: unknown): BgpPrefix {
  if (!isRecord(raw)) throw new BgpPrefixShapeError('BGP prefix is not an object');
  if (typeof raw.id !== 'string' || raw.id === '') throw new BgpPrefixShapeError('BGP prefix has no id');
  if (typeof raw.cidr !== 'string' || raw.cidr === '')
    throw new BgpPrefixShapeError(`BGP prefix ${raw.id} has no cidr`);
  const asn = raw.asn === undefined || raw.asn === null ? null : raw.asn;
  if (asn !== null && (typeof asn !== 'number' || !Number.isFinite(asn))) {
    throw new BgpPrefixShapeError(`BGP prefix ${raw.id} has a non-numeric asn`);
  }
  let onDemand: BgpPrefix['onDemand'] = null;
  if (raw.on_demand !== undefined && raw.on_demand !== null) {
    const od = raw.on_demand;
    if (!isRecord(od)) throw new BgpPrefixShapeError(`BGP prefix ${raw.id} has a malformed on_demand`);
    onDemand = {
      advertised: optBool(od.advertised, 'on_demand.advertised'),
      advertisedModifiedAt: optString(od.advertised_modified_at, 'on_demand.advertised_modified_at'),
      // Absent flags read as false: a prefix is only on-demand (or locked) when Cloudflare says so.
      onDemandEnabled: optBool(od.on_demand_enabled, 'on_demand.on_demand_enabled') ?? false,
      onDemandLocked: optBool(od.on_demand_locked, 'on_demand.on_demand_locked') ?? false,
    };
  }
  return {
    id: raw.id,
    cidr: raw.cidr,
    asn,
    onDemand,
    createdAt: optString(raw.created_at, 'created_at'),
    modifiedAt: optString(raw.modified_at, 'modified_at'),
  };
}
