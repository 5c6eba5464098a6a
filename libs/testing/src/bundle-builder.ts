import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { ZipFile } from 'yazl';

/**
 * Test bundles: a valid app (`app.toml` + a stdlib-only Python HTTP server in
 * `hello/app.py` that serves on $PORT + a real PNG icon) by default, with every
 * part overridable.
 */

/** One `[[Env]]` entry; loose on purpose so tests can write invalid ones. */
export interface EnvEntry {
  name?: string;
  value?: string;
  secret?: string;
  secretKey?: string;
}

/** One `[[File]]` entry; loose on purpose so tests can write invalid ones. */
export interface FileEntry {
  path?: string;
  value?: string;
  secret?: string;
  secretKey?: string;
}

/** The `app.toml` fields `validManifest` writes. */
export interface ManifestFields {
  name: string;
  version: string;
  title: string;
  description: string;
  longDescription: string;
  categories: string[];
  keywords: string[];
  module: string;
  runtimeVersion: string;
  memoryLimit: string;
  memoryReservation: string;
  volumeMount: string;
  volumeSize: string;
  gpuCount: number;
  env: EnvEntry[];
  files: FileEntry[];
}

/** `null` leaves the key out of app.toml. */
export type ManifestOverrides = { [K in keyof ManifestFields]?: ManifestFields[K] | null };

export const DEFAULT_MANIFEST: ManifestOverrides = {
  name: 'hello-wave',
  version: '1.0.0',
  title: 'Hello Wave',
  description: 'Greets you from a tiny Python web app',
  categories: ['Other'],
  keywords: ['demo', 'hello'],
  module: 'hello.app',
  memoryLimit: '256Mi',
  memoryReservation: '64Mi',
  gpuCount: 0,
  env: [{ name: 'GREETING', value: 'Hello' }],
};

/** A TOML value: JSON strings and arrays of strings are valid TOML. */
const tomlValue = (v: string | number | string[]): string => JSON.stringify(v);

/** app.toml text for a valid app; `overrides` change fields (`null` leaves one out). */
export function validManifest(overrides: ManifestOverrides = {}): string {
  const m: ManifestOverrides = { ...DEFAULT_MANIFEST, ...overrides };
  const lines: string[] = [];
  const put = (key: string, v: string | number | string[] | null | undefined) => {
    if (v !== null && v !== undefined) lines.push(`${key} = ${tomlValue(v)}`);
  };
  lines.push('[App]');
  put('Name', m.name);
  put('Version', m.version);
  put('Title', m.title);
  put('Description', m.description);
  put('LongDescription', m.longDescription);
  put('Category', m.categories);
  put('Keywords', m.keywords);
  lines.push('', '[Runtime]');
  put('Module', m.module);
  put('RuntimeVersion', m.runtimeVersion);
  put('MemoryLimit', m.memoryLimit);
  put('MemoryReservation', m.memoryReservation);
  put('VolumeMount', m.volumeMount);
  put('VolumeSize', m.volumeSize);
  put('GPUCount', m.gpuCount);
  for (const e of m.env ?? []) {
    lines.push('', '[[Env]]');
    put('Name', e.name);
    put('Value', e.value);
    put('Secret', e.secret);
    put('SecretKey', e.secretKey);
  }
  for (const f of m.files ?? []) {
    lines.push('', '[[File]]');
    put('Path', f.path);
    put('Value', f.value);
    put('Secret', f.secret);
    put('SecretKey', f.secretKey);
  }
  return `${lines.join('\n')}\n`;
}

/** The app: answers every GET with a greeting on $PORT, using the standard library only. */
export const HELLO_APP_PY = `"""A tiny Wharf app: answers every GET with a greeting, on $PORT."""
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Hello(BaseHTTPRequestHandler):
    def _page(self):
        greeting = os.environ.get("GREETING", "Hello")
        return ("<!doctype html><title>Hello</title><h1>%s from Wharf</h1>" % greeting).encode("utf-8")

    def do_GET(self):
        body = self._page()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_HEAD(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(self._page())))
        self.end_headers()

    def log_message(self, fmt, *args):
        print("%s - %s" % (self.address_string(), fmt % args), flush=True)


def main():
    port = int(os.environ.get("PORT", "8000"))
    server = ThreadingHTTPServer((os.environ.get("HOST", "0.0.0.0"), port), Hello)
    print("hello listening on port %d" % port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
`;

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

/** A minimal valid PNG (8-bit RGBA, no interlace) drawn by `pixel(x, y)`. */
export function encodePng(
  width: number,
  height: number,
  pixel: (x: number, y: number) => readonly [number, number, number, number],
): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.writeUInt8(8, 8); // bit depth
  ihdr.writeUInt8(6, 9); // colour type: RGBA
  ihdr.writeUInt8(0, 10); // compression
  ihdr.writeUInt8(0, 11); // filter
  ihdr.writeUInt8(0, 12); // interlace
  const stride = 1 + width * 4;
  const raw = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    raw[y * stride] = 0; // filter: none
    for (let x = 0; x < width; x++) {
      const [r, g, b, a] = pixel(x, y);
      raw.set([r, g, b, a], y * stride + 1 + x * 4);
    }
  }
  return Buffer.concat([
    PNG_SIGNATURE,
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', zlib.deflateSync(raw)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A 64×64 icon: a diagonal gradient whose hue depends on `seed`. */
export function makeIcon(seed = 0, width = 64, height = 64): Buffer {
  return encodePng(width, height, (x, y) => [(x * 4 + seed * 40) & 255, (y * 4) & 255, (128 + seed * 70) & 255, 255]);
}

export interface BuildBundleOptions {
  /** Raw app.toml text (wins over `app`); `null` leaves app.toml out. */
  manifest?: string | null;
  /** Overrides for the generated app.toml. */
  app?: ManifestOverrides;
  /** Extra files, or replacements of the default ones; `null` removes a default file. */
  files?: Record<string, string | Buffer | null>;
  /** Adds `static/icon.png` (default true). */
  icon?: boolean;
  /** Adds `static/screenshot1.png` … (default 0). */
  screenshots?: number;
  /** Adds README.md with this text and points LongDescription at it. */
  longDescription?: string;
  /** Puts everything under this folder (a classic mistake: app.toml must be at the root). */
  folder?: string;
}

const FIXED_MTIME = new Date('2024-01-01T00:00:00Z');

/** The files of a bundle, in zip order. */
export function bundleFiles(opts: BuildBundleOptions = {}): Array<[string, Buffer]> {
  const files = new Map<string, Buffer | null>();
  const app: ManifestOverrides = { ...opts.app };
  if (opts.longDescription !== undefined) app.longDescription ??= 'README.md';
  const manifest = opts.manifest === undefined ? validManifest(app) : opts.manifest;
  if (manifest !== null) files.set('app.toml', Buffer.from(manifest));
  if (opts.longDescription !== undefined) files.set(app.longDescription!, Buffer.from(opts.longDescription));
  files.set('hello/__init__.py', Buffer.alloc(0));
  files.set('hello/app.py', Buffer.from(HELLO_APP_PY));
  files.set('requirements.txt', Buffer.from('# the standard library is enough\n'));
  if (opts.icon ?? true) files.set('static/icon.png', makeIcon());
  for (let i = 1; i <= (opts.screenshots ?? 0); i++) {
    files.set(`static/screenshot${i}.png`, encodePng(96, 64, (x, y) => [(x * 2 + i * 50) & 255, (y * 3) & 255, (i * 90) & 255, 255]));
  }
  for (const [name, content] of Object.entries(opts.files ?? {})) {
    files.set(name, content === null ? null : Buffer.isBuffer(content) ? content : Buffer.from(content));
  }
  const prefix = opts.folder ? `${opts.folder.replace(/\/+$/, '')}/` : '';
  return [...files].filter((f): f is [string, Buffer] => f[1] !== null).map(([name, data]) => [prefix + name, data]);
}

function zipOf(opts: BuildBundleOptions): ZipFile {
  const zip = new ZipFile();
  for (const [name, data] of bundleFiles(opts)) zip.addBuffer(data, name, { mtime: FIXED_MTIME, mode: 0o100644 });
  zip.end();
  return zip;
}

/** A bundle zip in memory: a valid one by default. */
export async function buildBundle(opts: BuildBundleOptions = {}): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of zipOf(opts).outputStream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** Writes a bundle zip to `path`, streaming. */
export async function writeBundle(path: string, opts: BuildBundleOptions = {}): Promise<void> {
  await pipeline(zipOf(opts).outputStream, createWriteStream(path));
}

/**
 * A test app that reports how it was started, from inside: GET / answers JSON with its whole
 * environment, working folder, argv, sys.path[0], its globals' names and whether stdin is empty.
 * Lets specs check what an app really sees (a process's /proc/<pid>/environ shows only what it
 * was exec'd with, not an interpreter started ahead of time and handed its environment later).
 */
export const ENV_PROBE_APP_PY = `import json, os, sys
from http.server import BaseHTTPRequestHandler, HTTPServer

SEEN = {
    "env": dict(os.environ),
    "cwd": os.getcwd(),
    "argv": sys.argv,
    "path0": sys.path[0],
    "name": __name__,
    "globals": sorted(k for k in globals() if not k.startswith("__")),
    "stdin": sys.stdin.read(),
}


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps(SEEN).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


HTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
`;

/**
 * An app that reports what it can do with files: `GET /?path=/a&path=/b` answers, for each path,
 * its content (or why it cannot be read), mode, owner, and the outcome of writing, chmod,
 * renaming and removing it ("ok" or the error), plus the app's own uid.
 */
export const FILE_PROBE_APP_PY = `import json, os
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlparse


def attempt(fn):
    try:
        fn()
        return "ok"
    except OSError as e:
        return e.strerror or str(e)


def probe(path):
    out = {"path": path}
    try:
        with open(path, encoding="utf-8") as f:
            out["content"] = f.read()
    except OSError as e:
        out["content"] = None
        out["readError"] = e.strerror
    try:
        st = os.stat(path)
        out.update(mode=oct(st.st_mode & 0o777), uid=st.st_uid, gid=st.st_gid)
    except OSError as e:
        out["statError"] = e.strerror
    out["write"] = attempt(lambda: open(path, "a").close())
    out["chmod"] = attempt(lambda: os.chmod(path, 0o666))
    out["rename"] = attempt(lambda: os.rename(path, path + ".moved"))
    out["unlink"] = attempt(lambda: os.unlink(path))
    out["sibling"] = attempt(lambda: open(os.path.join(os.path.dirname(path), "sibling"), "w").close())
    return out


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        paths = parse_qs(urlparse(self.path).query).get("path", [])
        body = json.dumps({"uid": os.getuid(), "files": [probe(p) for p in paths]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


HTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
`;

/** A bundle of {@link FILE_PROBE_APP_PY} (module `fileprobe.app`). */
export function buildFileProbeBundle(app: ManifestOverrides = {}): Promise<Buffer> {
  return buildBundle({ app: { name: 'fileprobe', module: 'fileprobe.app', ...app }, files: { 'fileprobe/__init__.py': '', 'fileprobe/app.py': FILE_PROBE_APP_PY } });
}

/** A bundle of {@link ENV_PROBE_APP_PY} (module `probe.app`). */
export function buildEnvProbeBundle(app: ManifestOverrides = {}): Promise<Buffer> {
  return buildBundle({ app: { name: 'probe', module: 'probe.app', ...app }, files: { 'probe/__init__.py': '', 'probe/app.py': ENV_PROBE_APP_PY } });
}
