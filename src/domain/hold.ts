// Operator holds on auto-withdraw: who, why, since and until when (a hold with an end resumes by itself).

export interface Hold {
  actor: string;
  reason: string;
  sinceMs: number;
  /** null: until an operator resumes. */
  untilMs: number | null;
}

/** A hold counts until its end; an expired hold no longer blocks anything even before it is cleared. */
export function holdActive(hold: Hold | null | undefined, nowMs: number): boolean {
  return hold !== null && hold !== undefined && (hold.untilMs === null || nowMs < hold.untilMs);
}

export function newHold(input: { actor: string; reason: string; forMs?: number | null }, nowMs: number): Hold {
  return {
    actor: input.actor,
    reason: input.reason,
    sinceMs: nowMs,
    untilMs: input.forMs !== undefined && input.forMs !== null ? nowMs + input.forMs : null,
  };
}
