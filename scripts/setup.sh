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
# Debian packages Wharf needs, installed with apt-get when missing and we are root (never prompts);
# otherwise a line says what is missing and what it is for.
#   apt_need <command> <package> <what it is for>
apt_need() {
  command -v "$1" >/dev/null 2>&1 && return 0
  if command -v apt-get >/dev/null 2>&1 && [[ "$(id -u)" == 0 ]]; then
    echo "setup: installing $2 (apt-get): $3" >&2
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$2"; } >/dev/null 2>&1 \
      || echo "setup: could not install $2 ($3); install it with apt-get install $2" >&2
  else
    echo "setup: $1 not found ($3); Debian/Ubuntu: apt-get install $2" >&2
  fi
}
# bubblewrap: the process driver runs every app in a bubblewrap sandbox (Scheduler.ProcessSandbox = "bwrap").
apt_need bwrap bubblewrap "the sandbox apps run in"
# Chromium for the browser tests (sign-in flows, driven with playwright-core). Only for `npm test`
# (`setup.sh --tests`); skipped with WHARF_SKIP_CHROMIUM=1 (or point CHROMIUM_PATH elsewhere).
if [[ "${1:-}" == --tests ]] && [[ "${WHARF_SKIP_CHROMIUM:-0}" != 1 ]]; then
  apt_need chromium chromium "the browser tests need it at /usr/bin/chromium, or CHROMIUM_PATH"
fi
if [[ ! -f node_modules/.modules.yaml || pnpm-lock.yaml -nt node_modules/.modules.yaml ]]; then
  pnpm install --frozen-lockfile --prefer-offline
fi
pnpm exec turbo run build --output-logs=errors-only --log-prefix=none >&2
