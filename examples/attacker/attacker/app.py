"""An app that attacks its own platform on request: POST /probe with a probe as JSON (see probes.py)
answers what happened. GET / says who it runs as."""
import json
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from attacker.probes import run


class Handler(BaseHTTPRequestHandler):
    def _send(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self._send(200, {"uid": os.getuid(), "gid": os.getgid(), "cwd": os.getcwd(), "pid": os.getpid(), "headers": dict(self.headers)})

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        self._send(200, run(json.loads(self.rfile.read(n) or b"{}")))

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
