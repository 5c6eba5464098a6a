import os from 'node:os';
import { rssBytes } from '@wharf/testing';

export const MB = 1e6;

/** Samples the RSS of some processes every `everyMs` until stopped; returns the peak of each. */
export function sampleRss(pids: Record<string, number>, everyMs = 25) {
  const peak: Record<string, number> = {};
  const base: Record<string, number> = {};
  for (const [name, pid] of Object.entries(pids)) base[name] = peak[name] = rssBytes(pid);
  const timer = setInterval(() => {
    for (const [name, pid] of Object.entries(pids)) peak[name] = Math.max(peak[name] ?? 0, rssBytes(pid));
  }, everyMs);
  return {
    stop(): Record<string, { baseMB: number; peakMB: number; growthMB: number }> {
      clearInterval(timer);
      return Object.fromEntries(
        Object.keys(pids).map((n) => [
          n,
          { baseMB: round(base[n]! / MB), peakMB: round(peak[n]! / MB), growthMB: round((peak[n]! - base[n]!) / MB) },
        ]),
      );
    },
  };
}

export const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function machine() {
  return { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memGB: round(os.totalmem() / 1e9), node: process.version };
}
