import { QuantitySchema, invalid } from '@wharf/contracts';

const UNITS: Record<string, number> = {
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
};

/**
 * A Kubernetes quantity (`512Mi`, `1Gi`, `500M`, `1.5k`, `1024`) in bytes.
 * Throws an INVALID error for anything `QuantitySchema` refuses.
 */
export function parseQuantity(q: string): number {
  if (!QuantitySchema.safeParse(q).success) {
    throw invalid(`${JSON.stringify(q)} is not a quantity: write a number with an optional unit (Ki Mi Gi Ti k M G T), e.g. 512Mi`);
  }
  const m = /^([0-9]+(?:\.[0-9]+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(q)!;
  return Number(m[1]) * UNITS[m[2] ?? '']!;
}

/** `314572800` → `300 MiB`, for messages. */
export function formatBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} bytes` : `${Number.isInteger(v) ? v : v.toFixed(1)} ${units[i]}`;
}
