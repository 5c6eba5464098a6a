#!/usr/bin/env bash
# Idempotent set-up used by `npm start` and `npm test`: pnpm 10, dependencies, build.
# Fast when nothing changed (pnpm and turbo both skip up-to-date work).
set -euo pipefail
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1
cd "$(dirname "$0")/.."
if ! command -v pnpm >/dev/null 2>&1 || [[ "$(pnpm --version 2>/dev/null)" != 10.* ]]; then
  echo "setup: installing pnpm 10 (npm i -g pnpm@10)" >&2
  npm install -g pnpm@10 >/dev/null 2>&1 || { echo "setup: could not install pnpm 10; install it with 'npm i -g pnpm@10' and retry" >&2; exit 1; }
fi
# Chromium for the browser tests (sign-in flows, driven with playwright-core); Debian's package.
# Only for `npm test` (`setup.sh --tests`); skipped when present or with WHARF_SKIP_CHROMIUM=1; never prompts.
if [[ "${1:-}" == --tests ]] && ! command -v chromium >/dev/null 2>&1 && [[ "${WHARF_SKIP_CHROMIUM:-0}" != 1 ]]; then
  if command -v apt-get >/dev/null 2>&1 && [[ "$(id -u)" == 0 ]]; then
    echo "setup: installing chromium (apt-get) for the browser tests" >&2
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; } >/dev/null 2>&1 \
      || echo "setup: could not install chromium; the browser tests need it at /usr/bin/chromium (or CHROMIUM_PATH)" >&2
  else
    echo "setup: chromium not found; the browser tests need it (Debian/Ubuntu: apt-get install chromium, or set CHROMIUM_PATH)" >&2
  fi
fi
# bubblewrap: the process driver runs every app in a bubblewrap sandbox (Scheduler.ProcessSandbox = "bwrap").
# Debian's package; installed when missing and we are root; never prompts.
if ! command -v bwrap >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && [[ "$(id -u)" == 0 ]]; then
    echo "setup: installing bubblewrap (apt-get), the sandbox apps run in" >&2
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends bubblewrap; } >/dev/null 2>&1 \
      || echo "setup: could not install bubblewrap; Wharf's scheduler needs it to run apps (apt-get install bubblewrap)" >&2
  else
    echo "setup: bubblewrap not found; Wharf's scheduler needs it to run apps (Debian/Ubuntu: apt-get install bubblewrap)" >&2
  fi
fi
if [[ ! -f node_modules/.modules.yaml || pnpm-lock.yaml -nt node_modules/.modules.yaml ]]; then
  pnpm install --frozen-lockfile --prefer-offline
fi
pnpm exec turbo run build --output-logs=errors-only --log-prefix=none >&2
