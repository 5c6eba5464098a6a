import { parseCpuTicks, parseTimes, parseWrk, stealPercent, parseWrkOutput, ratio, verdict, verdictLines, WRK_TAIL_SCRIPT, wrkScript } from './common';
import { markdownSummary, parseBenchJson, statusOf, tail, type AllResults } from './summary';

const WRK = `Running 2s test @ http://127.0.0.1:1/api/v1/apps?limit=50
  1 threads and 50 connections
  Latency Distribution
     50%    8.51ms
     75%   12.00ms
     90%   20.00ms
     99%    1.81s
  9083 requests in 2.00s, 10.00MB read
  Non-2xx or 3xx responses: 3
  Socket errors: connect 0, read 1, write 0, timeout 2
Requests/sec:   4541.50
Transfer/sec:      5.00MB
`;

describe('bench helpers', () => {
  it('reads each CPU’s ticks and steal from /proc/stat, and the percent stolen between two readings', () => {
    const before = parseCpuTicks('cpu  200 0 40 700 5 0 1 20 0 0\ncpu0 100 0 20 350 2 0 1 10 0 0\ncpu1 100 0 20 350 3 0 0 10 0 0\nintr 1 2 3\n');
    expect(before).toEqual([
      { total: 483, steal: 10 },
      { total: 483, steal: 10 },
    ]);
    const after = parseCpuTicks('cpu  0\ncpu0 150 0 30 400 2 0 1 10 0 0\ncpu1 130 0 20 350 3 0 0 30 0 0\n');
    // cpu0: 100 ticks, none stolen; cpu1: 50 ticks, 20 of them stolen
    expect(stealPercent(before, after)).toEqual([0, 40]);
    expect(stealPercent([], after)).toEqual([0, 0]);
  });

  it('divides, and gives null where a ratio cannot be taken', () => {
    expect(ratio(1, 4)).toBe(0.25);
    expect(ratio(2, 3)).toBe(0.67);
    expect(ratio(1, 0)).toBeNull();
    expect(ratio(null, 2)).toBeNull();
    expect(ratio(NaN, 2)).toBeNull();
  });

  it('judges a figure against its limit; an unmeasured figure fails', () => {
    expect(verdict('rps', 0.5, '>=', 0.5, 'x').pass).toBe(true);
    expect(verdict('rps', 0.49, '>=', 0.5, 'x').pass).toBe(false);
    expect(verdict('cpu', 2, '<=', 2, 'x').pass).toBe(true);
    expect(verdict('cpu', 2.01, '<=', 2, 'x').pass).toBe(false);
    expect(verdict('cpu', null, '<=', 2, 'x').pass).toBe(false);
    expect(verdictLines([verdict('cpu', 3, '<=', 2, 'Wharf ÷ floor')])).toEqual(['  FAIL  cpu  3  (<= 2: Wharf ÷ floor)']);
  });

  it("reads wrk's req/s, percentiles in any unit, and errors", () => {
    expect(parseWrk(WRK)).toEqual({ rps: 4541.5, p50_ms: 8.51, p99_ms: 1810, requests: 9083, non_2xx: 3, socket_errors: 3 });
    expect(() => parseWrk('nonsense')).toThrow(/cannot parse/);
  });

  it("reads the tail beyond p99 that the tail script's done() prints, when it is there", () => {
    expect(parseWrkOutput(WRK).tail_ms).toBeUndefined();
    const withTail = `${WRK}wharf-tail-ms p90=0.378 p95=0.660 p98=1.116 p99=1.748 p99.5=2.634 p99.9=6.461\n`;
    expect(parseWrkOutput(withTail).tail_ms).toEqual({ p90: 0.378, p95: 0.66, p98: 1.116, p99: 1.748, 'p99.5': 2.634, 'p99.9': 6.461 });
    // the script prints that line: microseconds from wrk's histogram as ms, one line
    expect(WRK_TAIL_SCRIPT).toContain('io.write("wharf-tail-ms ", table.concat(out, " "), "\\n")');
    expect(WRK_TAIL_SCRIPT).toContain('latency:percentile(p) / 1000');
  });

  it('writes a wrk script that asks for each path in turn', () => {
    expect(wrkScript(['/a', '/b?q=1'])).toContain('local paths = {"/a", "/b?q=1"}');
  });

  it("reads a process's own and its waited-for children's CPU ticks from /proc/<pid>/stat", () => {
    const stat = '42 (node (x)) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 30 20 20 0 11 0 1000 0 0';
    expect(parseTimes(stat)).toEqual({ state: 'S', ppid: 1, self: 300, reaped: 50 });
  });
});

describe('pnpm bench summary', () => {
  const all: AllResults = {
    date: '2026-12-01T22:00:00.000Z',
    commit: 'abc1234',
    quick: true,
    machine: { cpuModel: 'AMD EPYC', cores: 2, memGB: 25, kernel: 'Linux 6.1', node: 'v20.19.9', loadavgStart: [1, 2, 3], loadavgEnd: [4, 5, 6] },
    seconds: 300,
    benches: [
      {
        name: 'catalog',
        ok: true,
        exitCode: 0,
        seconds: 120,
        result: { pass: false, headline: { rps_ratio: 0.42 }, verdicts: [verdict('list req/s vs floor', 0.42, '>=', 0.5, 'Wharf ÷ floor')] },
      },
      { name: 'router', ok: true, exitCode: 0, seconds: 60, result: { pass: true, targets: { soak_rss_growth_mb: { target: '<= 10', router: 7, pass: true } } } },
      { name: 'launch', ok: false, exitCode: 1, seconds: 5, result: null, stderrTail: 'Error: boom', error: 'exit 1' },
    ],
  };

  it('has the machine, a row per bench, each verdict, and a failed bench with its stderr', () => {
    const md = markdownSummary(all);
    expect(md).toContain('commit abc1234 (--quick');
    expect(md).toContain('AMD EPYC, 2 cores, 25 GB, kernel Linux 6.1, Node v20.19.9; load average (1, 5, 15 min) 1 / 2 / 3 at the start, 4 / 5 / 6 at the end');
    expect(md).toContain('| catalog | ❌ FAIL | 120 | rps_ratio 0.42 |');
    expect(md).toContain('| router | ✅ pass | 60 |  |');
    expect(md).toContain('| soak_rss_growth_mb | target <= 10, router 7 | ✅ |');
    expect(md).toContain('| list req/s vs floor | 0.42 | >= 0.5 | Wharf ÷ floor | ❌ |');
    expect(md).toContain('Failed: exit 1. The end of its stderr:\n\n```\nError: boom\n```');
    expect(statusOf(all.benches[2]!)).toBe('❌ did not finish (exit 1)');
  });

  it("takes a bench's JSON from its stdout, also after other lines", () => {
    expect(parseBenchJson('{"a":1}\n')).toEqual({ a: 1 });
    expect(parseBenchJson('hello\n{\n  "a": 2\n}')).toEqual({ a: 2 });
    expect(parseBenchJson('')).toBeNull();
    expect(tail('a\nb\nc\n', 2)).toBe('b\nc');
  });
});
