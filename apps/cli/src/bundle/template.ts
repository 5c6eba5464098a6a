import { deflateSync } from 'node:zlib';
import { IGNORE_FILE } from './build';

/** A folder name as an app name: `[a-z0-9][a-z0-9.-]*`, at most 63 characters. */
export function appNameOf(folder: string): string {
  const n = folder
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .replace(/[-.]+$/, '')
    .slice(0, 63)
    .replace(/[-.]+$/, '');
  return n || 'my-app';
}

/** An app name as a Python package name. */
export const moduleOf = (name: string) => {
  const m = name.replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '');
  return /^[a-z_]/.test(m) ? m : `app_${m}`;
};

const titleOf = (name: string) =>
  name
    .split(/[-.]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join(' ') || 'My App';

// --- a PNG, made here: a rounded square in a colour derived from the name, with a light dot ---

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** A `size`×`size` RGBA PNG icon for `name` (the same name, the same icon). */
export function iconPng(name: string, size = 64): Buffer {
  let h = 0;
  for (const ch of name) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  const hue = h % 360;
  const [r, g, b] = hsl(hue / 360, 0.55, 0.45);
  const rows: Buffer[] = [];
  const radius = size * 0.2;
  for (let y = 0; y < size; y++) {
    const row = Buffer.alloc(1 + size * 4); // filter byte 0: none
    for (let x = 0; x < size; x++) {
      const cx = Math.min(Math.max(x + 0.5, radius), size - radius);
      const cy = Math.min(Math.max(y + 0.5, radius), size - radius);
      const inside = Math.hypot(x + 0.5 - cx, y + 0.5 - cy) <= radius;
      const dot = Math.hypot(x + 0.5 - size / 2, y + 0.5 - size / 2) <= size * 0.18;
      const o = 1 + x * 4;
      if (!inside) continue; // transparent corner
      row[o] = dot ? 255 : r;
      row[o + 1] = dot ? 255 : g;
      row[o + 2] = dot ? 255 : b;
      row[o + 3] = 255;
    }
    rows.push(row);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.concat(rows), { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function hsl(h: number, s: number, l: number): [number, number, number] {
  const f = (n: number) => {
    const k = (n + h * 12) % 12;
    const a = s * Math.min(l, 1 - l);
    return Math.round(255 * (l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1))));
  };
  return [f(0), f(8), f(4)];
}

// --- the files of a new app ---

/** The files `wharf bundle init` writes, by path relative to the app folder. */
export function starterFiles(name: string): Record<string, string | Buffer> {
  const mod = moduleOf(name);
  const title = titleOf(name);
  return {
    'app.toml': `# The app's manifest: see docs/app-authoring.md (every key, and its rules).
[App]
Name = "${name}"             # [a-z0-9][a-z0-9.-]*: the app's name on the platform
Version = "0.1.0"            # semver; each imported version is immutable
Title = "${title}"
Description = "A web app for Wharf, in Python's standard library"
Category = ["Other"]
Keywords = ["starter"]

[Runtime]
Module = "${mod}.app"         # started as \`python -m ${mod}.app\` from the bundle's root
MemoryLimit = "256Mi"

[[Env]]
Name = "GREETING"
Value = "Hello from Wharf"
`,
    [`${mod}/__init__.py`]: '',
    [`${mod}/app.py`]: `"""${title}: a web app on Python's standard library, served on the port Wharf gives it ($PORT)."""
import json
import os
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT = int(os.environ.get("PORT", "8000"))
GREETING = os.environ.get("GREETING", "Hello")
# Kept across restarts, suspend/resume and upgrades; everything else is scratch.
DATA = os.environ.get("WHARF_VOLUME_DIR")


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        # The router tells who is calling (absent for anonymous callers of a public instance).
        user = self.headers.get("X-Wharf-User", "anonymous")
        if self.path == "/api":
            body = json.dumps({"greeting": GREETING, "user": user}).encode()
            ctype = "application/json"
        else:
            body = f"<!doctype html><title>${title}</title><h1>{GREETING}, {user}</h1>\\n".encode()
            ctype = "text/html; charset=utf-8"
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        print("${name}: " + fmt % args, flush=True)


def main():
    server = ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
    # Suspend, terminate and upgrade send SIGTERM: stop serving and exit.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"${name}: listening on port {PORT}", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
`,
    'static/icon.png': iconPng(name),
    [IGNORE_FILE]: `# Files that \`wharf bundle build\` leaves out of the bundle (gitignore syntax).
# Always left out: .git/, __pycache__/, *.pyc, .venv/ and this file.
*.zip
.env
.pytest_cache/
tests/
`,
  };
}
