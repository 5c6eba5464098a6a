"""Serves a greeting made by `wharf_greeting`, a wheel installed from the bundle's wheels/ folder."""
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import wharf_greeting

PORT = int(os.environ.get("PORT", "8000"))


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = (wharf_greeting.greet("wheel") + "\n").encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        print("wheel-app: " + fmt % args, flush=True)


if __name__ == "__main__":
    print(f"wheel-app: using wharf_greeting {wharf_greeting.__version__} from {wharf_greeting.__file__}", flush=True)
    server = ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
    print(f"wheel-app: listening on port {PORT}", flush=True)
    server.serve_forever()
