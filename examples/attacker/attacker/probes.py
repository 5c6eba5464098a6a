"""What an attacker's app tries, one primitive per kind. Each probe answers {"ok": bool, "detail": str}:
ok = the attempt worked (the file was read, the port answered, ...). Standard library only.

Run as `python -m attacker.probes '<json>'` it prints the answer, so the same probe can be tried
outside any sandbox, to show that it would notice access where there is some."""
import json
import os
import socket
import sys
import urllib.request


def _read(p):
    with open(p["path"], "rb") as f:
        data = f.read(64)
    return True, "read %d bytes" % len(data)


def _list(p):
    names = os.listdir(p["path"])
    return True, "%d entries" % len(names)


def _write(p):
    with open(p["path"], "wb") as f:
        f.write(b"pwned")
    os.unlink(p["path"])
    return True, "wrote and removed it"


def _signal(p):
    os.kill(int(p["pid"]), 0)
    return True, "may signal it"


def _connect(p):
    s = socket.create_connection((p["host"], int(p["port"])), timeout=2)
    s.close()
    return True, "connected"


def _unix(p):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(2)
    s.connect(p["path"])
    s.close()
    return True, "connected"


def _http(p):
    req = urllib.request.Request(p["url"], headers=p.get("headers", {}))
    try:
        with urllib.request.urlopen(req, timeout=3) as r:
            return True, "HTTP %d" % r.status
    except urllib.error.HTTPError as e:
        return True, "HTTP %d" % e.code


def _nats(p):
    """A raw NATS client with no credentials: CONNECT, then SUB (sniff/answer) or PUB, then PING.
    ok only when the server took it (PONG without -ERR)."""
    s = socket.create_connection((p["host"], int(p["port"])), timeout=3)
    s.settimeout(3)
    f = s.makefile("rb")
    f.readline()  # INFO
    verb = "SUB %s 1" % p["subject"] if p["op"] == "sub" else "PUB %s 2\r\n{}" % p["subject"]
    s.sendall(('CONNECT {"verbose":false,"pedantic":false}\r\n%s\r\nPING\r\n' % verb).encode())
    line = f.readline().decode(errors="replace").strip()
    s.close()
    return line == "PONG", line or "closed"


PROBES = {"read": _read, "list": _list, "write": _write, "signal": _signal, "connect": _connect, "unix": _unix, "http": _http, "nats": _nats}


def run(p):
    try:
        ok, detail = PROBES[p["kind"]](p)
        return {"ok": ok, "detail": detail}
    except Exception as e:  # every refusal is an answer, not a crash
        return {"ok": False, "detail": "%s: %s" % (type(e).__name__, e)}


if __name__ == "__main__":
    print(json.dumps(run(json.loads(sys.argv[1]))))
