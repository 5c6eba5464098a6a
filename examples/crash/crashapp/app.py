"""Fails on start, the way a misconfigured app does."""
import sys

print("crash: starting up", flush=True)
print("crash: error: DATABASE_URL is not set; cannot continue", file=sys.stderr, flush=True)
sys.exit(1)
