"""A WebSocket echo server with the standard library only (RFC 6455 handshake and framing).

GET /    a page that talks to /ws
GET /ws  the WebSocket endpoint: every text or binary message is sent back as is.
Both under $WHARF_BASE_PATH when the platform serves the app under a path.
"""
import base64
import hashlib
import os
import struct
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT = int(os.environ.get("PORT", "8000"))
# Where the platform serves the app: "/" on a host of its own, "/instance/<id>/" under a path
# (BASE_URL routing). Links and the websocket address are built on it.
BASE = os.environ.get("WHARF_BASE_PATH", "/")
GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
PAGE = b"""<!doctype html><title>Echo</title>
<input id=m value=hello><button onclick="ws.send(m.value)">send</button><pre id=o></pre>
<script>const ws = new WebSocket(location.origin.replace(/^http/, 'ws') + '__BASE__ws');
ws.onmessage = (e) => { o.textContent += e.data + '\\n'; };</script>
""".replace(b"__BASE__", BASE.encode())


def read_exact(f, n):
    data = f.read(n)
    if data is None or len(data) < n:
        raise ConnectionError("connection closed")
    return data


def read_frame(f):
    b0, b1 = read_exact(f, 2)
    fin, opcode, masked, length = b0 & 0x80, b0 & 0x0F, b1 & 0x80, b1 & 0x7F
    if length == 126:
        (length,) = struct.unpack("!H", read_exact(f, 2))
    elif length == 127:
        (length,) = struct.unpack("!Q", read_exact(f, 8))
    if length > 16 * 1024 * 1024:
        raise ConnectionError("frame too large")
    mask = read_exact(f, 4) if masked else b"\0\0\0\0"
    payload = bytearray(read_exact(f, length))
    for i in range(length):
        payload[i] ^= mask[i % 4]
    return bool(fin), opcode, bytes(payload)


def write_frame(f, opcode, payload):
    n = len(payload)
    if n < 126:
        header = struct.pack("!BB", 0x80 | opcode, n)
    elif n < 65536:
        header = struct.pack("!BBH", 0x80 | opcode, 126, n)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 127, n)
    f.write(header + payload)
    f.flush()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        if self.path.rstrip("/").endswith("/ws") and "websocket" in self.headers.get("Upgrade", "").lower():
            return self.websocket()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def websocket(self):
        key = self.headers.get("Sec-WebSocket-Key", "")
        accept = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
        self.send_response(101, "Switching Protocols")
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", accept)
        self.end_headers()
        self.wfile.flush()
        print("echo-ws: client connected", flush=True)
        message, message_opcode = b"", 0
        try:
            while True:
                fin, opcode, payload = read_frame(self.rfile)
                if opcode == 0x8:  # close: answer with the same code
                    write_frame(self.wfile, 0x8, payload[:2])
                    break
                if opcode == 0x9:  # ping
                    write_frame(self.wfile, 0xA, payload)
                    continue
                if opcode == 0xA:  # pong
                    continue
                if opcode in (0x1, 0x2):
                    message, message_opcode = payload, opcode
                else:  # continuation
                    message += payload
                if fin:
                    write_frame(self.wfile, message_opcode, message)
        except (ConnectionError, OSError):
            pass
        self.close_connection = True
        print("echo-ws: client disconnected", flush=True)

    def log_message(self, fmt, *args):
        print("echo-ws: " + fmt % args, flush=True)


class Server(ThreadingHTTPServer):
    # room for a burst of new connections (socketserver's default backlog is 5)
    request_queue_size = 128
    daemon_threads = True


if __name__ == "__main__":
    server = Server(("127.0.0.1", PORT), Handler)
    print(f"echo-ws: listening on port {PORT}", flush=True)
    server.serve_forever()
