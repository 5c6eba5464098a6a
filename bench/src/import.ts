import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { PassThrough, Readable } from 'node:stream';
import { createTestDatabase, startNatsServer, startS3Server, startWharf, validManifest } from '@wharf/testing';
import { Client as MinioClient } from 'minio';
import { ZipFile } from 'yazl';
import { cpuMicros, machine, MB, onStop, printVerdicts, ratio, round, sampleRss, selfCpuMicros, stopOnSignals, table, verdict } from './common';

/**
 * bench/import: a large bundle imported through the gateway into the S3 store, compared in the
 * same run with its floor: a direct `minio` putObject of the same bytes to the same S3 server
 * while a sha256 of them is computed on the way (what any import must do at the least: store the
 * bytes and name them), alternating round by round. Prints JSON: throughput of each, their ratio,
 * the CPU time per MB of each (the bench process, which holds the S3 server and the client, plus
 * for Wharf the gateway and the repository; from /proc and process.cpuUsage), and the peak RSS
 * growth of gateway and repository.
 * Targets: MB/s ≥ 0.5 × the floor's, CPU per MB ≤ 3 × the floor's, RSS growth ≤ 64 MB per service.
 */
const SIZE_MB = Number(process.env.BENCH_BUNDLE_MB ?? 200);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const ADMIN = `wharf_pat_${'b'.repeat(40)}`;

async function makeBundle(file: string, bytes: number): Promise<void> {
  const zip = new ZipFile();
  zip.addBuffer(Buffer.from(validManifest({ name: 'bench-big', version: '1.0.0' })), 'app.toml');
  zip.addBuffer(Buffer.from('print("hi")\n'), 'hello/app.py');
  let left = bytes;
  const data = new Readable({
    read() {
      if (left <= 0) return void this.push(null);
      const n = Math.min(left, 1 << 20);
      left -= n;
      this.push(randomBytes(n)); // incompressible, like model weights
    },
  });
  zip.addReadStream(data, 'data/weights.bin', { compress: false, size: bytes });
  zip.end();
  await pipeline(zip.outputStream, createWriteStream(file));
}

function upload(url: string, file: string, size: number, token: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/zip', 'content-length': size },
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    createReadStream(file).pipe(req);
  });
}

async function main(): Promise<void> {
  stopOnSignals('import');
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'wharf-bench-import-'));
  const [db, nats, s3] = await Promise.all([createTestDatabase('wharf_bench'), startNatsServer(), startS3Server()]);
  const bucket = 'bench-bundles';
  let wharf: Awaited<ReturnType<typeof startWharf>>;
  try {
    wharf = await startWharf({
      DATABASE_URL: db.url,
      NATS_URL: nats.url,
      WHARF_GATEWAY_BOOTSTRAP_ADMIN_TOKEN: ADMIN,
      WHARF_REPOSITORY_STORE: 's3',
      WHARF_REPOSITORY_S3_ENDPOINT: s3.endpoint,
      WHARF_REPOSITORY_S3_ACCESS_KEY: s3.accessKey,
      WHARF_REPOSITORY_S3_SECRET_KEY: s3.secretKey,
      WHARF_REPOSITORY_S3_BUCKET: bucket,
      WHARF_REPOSITORY_MAX_BUNDLE_SIZE: '1GiB',
      WHARF_PLATFORM_LOG_LEVEL: 'warn',
    });
  } catch (e) {
    await Promise.all([nats.stop(), s3.stop(), db.drop()]); // nothing may outlive a failed start
    throw e;
  }
  const unstop = onStop(async () => {
    await wharf.stop().catch(() => undefined);
    await Promise.all([nats.stop(), s3.stop(), db.drop()]);
    rmSync(tmp, { recursive: true, force: true });
  });
  try {
    const u = new URL(s3.endpoint);
    const minio = new MinioClient({ endPoint: u.hostname, port: Number(u.port), useSSL: false, accessKey: s3.accessKey, secretKey: s3.secretKey });
    const direct: number[] = [];
    const viaWharf: number[] = [];
    const directCpu: number[] = [];
    const wharfCpu: number[] = [];
    const rss: Record<string, { growthMB: number; peakMB: number; baseMB: number }>[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const file = path.join(tmp, `bundle-${i}.zip`);
      await makeBundle(file, SIZE_MB * MB);
      const size = statSync(file).size;
      const pids = wharf.pids();
      const services = [pids.gateway!, pids.repository!];
      let c0 = selfCpuMicros();
      let t = performance.now();
      const hash = createHash('sha256');
      const body = new PassThrough();
      body.on('data', (d: Buffer) => hash.update(d));
      const put = minio.putObject(bucket, `direct/${i}.zip`, body, size);
      await pipeline(createReadStream(file), body).catch((e: unknown) => Promise.reject(e));
      await put;
      hash.digest('hex');
      direct.push(size / MB / ((performance.now() - t) / 1000));
      directCpu.push((selfCpuMicros() - c0) / 1000 / (size / MB));
      c0 = selfCpuMicros() + cpuMicros(services);
      const sampler = sampleRss({ gateway: pids.gateway!, repository: pids.repository! });
      t = performance.now();
      const res = await upload(`${wharf.gateway}/api/v1/bundles`, file, size, ADMIN);
      const secs = (performance.now() - t) / 1000;
      wharfCpu.push((selfCpuMicros() + cpuMicros(services) - c0) / 1000 / (size / MB));
      rss.push(sampler.stop());
      if (res.status !== 201) throw new Error(`import failed: ${res.status} ${res.body}`);
      viaWharf.push(size / MB / secs);
      // next round imports another version of the same size: remove this one (it frees the name)
      const id = (JSON.parse(res.body) as { id: string }).id;
      await fetch(`${wharf.gateway}/api/v1/apps/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${ADMIN}` } });
      rmSync(file);
    }
    const growth = (svc: string) => round(Math.max(...rss.map((r) => r[svc]!.growthMB)));
    const ratioBest = ratio(Math.max(...viaWharf), Math.max(...direct));
    const cpuRatio = ratio(Math.min(...wharfCpu), Math.min(...directCpu));
    const verdicts = [
      verdict('MB/s vs floor', ratioBest, '>=', 0.5, 'best Wharf import MB/s ÷ best floor MB/s (putObject + sha256 of the same bytes)'),
      verdict('CPU per MB vs floor', cpuRatio, '<=', 3, 'least Wharf CPU ms/MB (bench process + gateway + repository) ÷ least floor CPU ms/MB (bench process)'),
      verdict('gateway RSS growth MB', growth('gateway'), '<=', 64, 'MB, peak during an import'),
      verdict('repository RSS growth MB', growth('repository'), '<=', 64, 'MB, peak during an import'),
    ];
    const result = {
      bench: 'import',
      machine: machine(),
      bundleMB: SIZE_MB,
      rounds: ROUNDS,
      s3: 's3rver (in-process S3-protocol server)',
      floor: 'minio putObject of the same file to the same S3 server, a sha256 of the bytes computed on the way',
      direct_putObject_MBps: direct.map((x) => round(x)),
      wharf_import_MBps: viaWharf.map((x) => round(x)),
      ratio_best: ratioBest,
      cpu_ms_per_MB: { floor: directCpu.map((x) => round(x, 2)), wharf: wharfCpu.map((x) => round(x, 2)), ratio: cpuRatio },
      headline: {
        wharf_MBps: round(Math.max(...viaWharf)),
        floor_MBps: round(Math.max(...direct)),
        ratio: ratioBest,
        wharf_cpu_ms_per_MB: round(Math.min(...wharfCpu), 2),
        floor_cpu_ms_per_MB: round(Math.min(...directCpu), 2),
        cpu_ratio: cpuRatio,
      },
      rss: { gateway_growth_MB: growth('gateway'), repository_growth_MB: growth('repository'), samples: rss },
      verdicts,
      pass: verdicts.every((v) => v.pass),
    };
    console.error(
      table([
        ['round', 'floor MB/s', 'Wharf MB/s', 'floor CPU ms/MB', 'Wharf CPU ms/MB'],
        ...direct.map((d, i) => [String(i + 1), round(d), round(viaWharf[i]!), round(directCpu[i]!, 2), round(wharfCpu[i]!, 2)]),
      ]),
    );
    printVerdicts('import', verdicts);
    console.log(JSON.stringify(result, null, 2));
  } finally {
    unstop();
    await wharf.stop();
    await Promise.all([nats.stop(), s3.stop(), db.drop()]);
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
