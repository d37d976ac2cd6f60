// One word for where a prefix's protection stands (MtState in the Web UI, the STATE column of `mtctl status`).
import type { OperatorPhase } from './operator-rules';

export type ProtectionStateLabel =
  | 'idle'
  | 'advertise_queued'
  | 'advertising'
  | 'withdrawing'
  | 'cooldown'
  | 'ended'
  | 'held'
  | 'locked'
  | 'under_attack'
  | 'traffic_unknown'
  | 'calm'
  | 'measuring';

export interface StateLabelInput {
  phase: OperatorPhase;
  held: boolean;
  locked: boolean;
  underAttack: boolean;
  /** The latest reading was unknown (the calm timer is frozen). */
  trafficUnknown: boolean;
  calmSinceMs: number | null;
  advertiseQueued: boolean;
}

/**
 * While protecting, an operator's choices (held, locked) come first, then what the traffic says; under attack
 * stays visible separately (MtUnderAttack) whatever the label.
 */
export function protectionStateLabel(s: StateLabelInput): ProtectionStateLabel {
  switch (s.phase) {
    case 'idle':
    case 'cooldown':
      return s.advertiseQueued ? 'advertise_queued' : s.phase;
    case 'advertising':
    case 'withdrawing':
    case 'ended':
      return s.phase;
    case 'protecting':
      if (s.held) return 'held';
      if (s.locked) return 'locked';
      if (s.underAttack) return 'under_attack';
      if (s.trafficUnknown) return 'traffic_unknown';
      return s.calmSinceMs !== null ? 'calm' : 'measuring';
  }
}
