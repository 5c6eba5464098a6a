/**
 * The time the supervisor judges idleness by (activity, keep-alive leases, the idle culler). The
 * system clock in the service; specs put a clock of their own in its place to pass hours at once.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const CLOCK = Symbol('CLOCK');

export const systemClock: Clock = { now: () => Date.now() };
