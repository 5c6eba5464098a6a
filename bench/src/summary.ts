import type { Verdict } from './common';

/** What `pnpm bench` records about the machine, at the start and the end of the run. */
export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memGB: number;
  kernel: string;
  node: string;
  loadavgStart: number[];
  loadavgEnd: number[];
}

/** One bench of a `pnpm bench` run: its JSON when it finished, else how it failed. */
export interface BenchRun {
  name: string;
  ok: boolean;
  exitCode: number | null;
  seconds: number;
  result: Record<string, unknown> | null;
  /** The last lines of its stderr when it failed (or printed no JSON). */
  stderrTail?: string;
  error?: string;
}

export interface AllResults {
  date: string;
  commit: string;
  quick: boolean;
  machine: MachineInfo;
  seconds: number;
  benches: BenchRun[];
}

const fmt = (x: unknown): string => (x === null || x === undefined ? '—' : typeof x === 'number' ? String(x) : typeof x === 'string' ? x : JSON.stringify(x));

/** The verdicts of a bench's JSON: its `verdicts` list, or (older benches) its top-level `pass`. */
export function verdictsOf(result: Record<string, unknown> | null): Verdict[] | null {
  const v = result?.verdicts;
  return Array.isArray(v) ? (v as Verdict[]) : null;
}

function isTargets(x: unknown): x is Record<string, Record<string, unknown> & { pass: boolean }> {
  return typeof x === 'object' && x !== null && Object.values(x).every((t) => typeof t === 'object' && t !== null && typeof (t as { pass?: unknown }).pass === 'boolean');
}

/** pass / FAIL / failed to run, for the table. */
export function statusOf(run: BenchRun): string {
  if (!run.ok || !run.result) return `❌ did not finish (exit ${run.exitCode ?? 'signal'})`;
  const pass = run.result.pass;
  return pass === true ? '✅ pass' : pass === false ? '❌ FAIL' : '—';
}

/** The markdown summary of a `pnpm bench` run. */
export function markdownSummary(all: AllResults): string {
  const m = all.machine;
  const out: string[] = [];
  out.push(`# pnpm bench, ${all.date}, commit ${all.commit}${all.quick ? ' (--quick: shortened smoke run)' : ''}`, '');
  out.push(
    `Machine: ${m.cpuModel}, ${m.cores} cores, ${m.memGB} GB, kernel ${m.kernel}, Node ${m.node}; load average (1, 5, 15 min) ${m.loadavgStart.join(' / ')} at the start, ${m.loadavgEnd.join(' / ')} at the end; ${Math.round(all.seconds)} s in all.`,
    '',
  );
  out.push(
    'Ratios are Wharf against its floor (a minimal reference doing the same job, measured in the same run, alternating with Wharf): a slow or shared machine moves both alike, so the ratio says more about Wharf than absolute times do. CPU per operation is user + system time from the processes involved.',
    '',
  );
  out.push('| bench | status | seconds | headline |', '| --- | --- | --- | --- |');
  for (const b of all.benches) {
    const h = b.result?.headline as Record<string, unknown> | undefined;
    const headline = h ? Object.entries(h).map(([k, v]) => `${k} ${fmt(v)}`).join(', ') : '';
    out.push(`| ${b.name} | ${statusOf(b)} | ${Math.round(b.seconds)} | ${headline} |`);
  }
  out.push('');
  for (const b of all.benches) {
    out.push(`## ${b.name}`, '');
    const v = verdictsOf(b.result);
    if (v) {
      out.push('| target | measured | limit | what | |', '| --- | --- | --- | --- | --- |');
      for (const x of v) out.push(`| ${x.name} | ${fmt(x.measured)} | ${x.op} ${x.limit} | ${x.unit} | ${x.pass ? '✅' : '❌'} |`);
      out.push('');
    } else if (b.result && isTargets(b.result.targets)) {
      // a bench with its own shape of targets: each with its figures and pass
      out.push('| target | figures | |', '| --- | --- | --- |');
      for (const [name, t] of Object.entries(b.result.targets)) {
        const { pass, ...figures } = t;
        out.push(`| ${name} | ${Object.entries(figures).map(([k, v]) => `${k} ${fmt(v)}`).join(', ')} | ${pass ? '✅' : '❌'} |`);
      }
      out.push('');
    } else if (b.result) {
      out.push(`No per-target verdicts in its JSON; pass: ${fmt(b.result.pass)}.`, '');
    }
    if (!b.ok || !b.result) {
      out.push(`Failed${b.error ? `: ${b.error}` : ''}. The end of its stderr:`, '', '```', (b.stderrTail ?? '').trimEnd(), '```', '');
    }
  }
  return `${out.join('\n').trimEnd()}\n`;
}

/** The last `lines` lines of a text. */
export function tail(text: string, lines = 40): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** The JSON a bench printed on stdout (the whole output, or its last top-level object). */
export function parseBenchJson(stdout: string): Record<string, unknown> | null {
  const s = stdout.trim();
  if (!s) return null;
  try {
    return JSON.parse(s) as Record<string, unknown>;
  } catch {
    const i = s.lastIndexOf('\n{');
    if (i < 0) return null;
    try {
      return JSON.parse(s.slice(i + 1)) as Record<string, unknown>;
    } catch {
      return null;
    }
  }
}
