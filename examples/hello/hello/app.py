"""A stdlib-only web app: answers every GET with a greeting on $PORT."""
import json
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

GREETING = os.environ.get("GREETING", "Hello")
PORT = int(os.environ.get("PORT", "8000"))
VOLUME = os.environ.get("WHARF_VOLUME_DIR")


def visits() -> int:
    """Counts visits in the instance's volume (kept across suspend/resume), if it has one."""
    if not VOLUME:
        return 0
    path = os.path.join(VOLUME, "visits")
    try:
        with open(path) as f:
            n = int(f.read() or "0") + 1
    except FileNotFoundError:
        n = 1
    with open(path, "w") as f:
        f.write(str(n))
    return n


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/api":
            body = json.dumps({"greeting": GREETING, "visits": visits()}).encode()
            ctype = "application/json"
        else:
            body = f"<!doctype html><title>Hello</title><h1>{GREETING}</h1>\n".encode()
            ctype = "text/html; charset=utf-8"
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        print("hello: " + fmt % args, flush=True)


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
    print(f"hello: listening on port {PORT}", flush=True)
    server.serve_forever()
