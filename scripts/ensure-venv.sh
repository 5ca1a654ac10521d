#!/usr/bin/env bash
# Creates ./.venv (Python 3.11) with requirements-dev.txt, once per requirements change. Silent when nothing
# changed; when it has work to do (the first `pnpm test` of a clone takes a minute or two here), it says so on
# stderr before it starts and when it is done, with the time taken. Safe to call from several test processes
# (a lock directory serializes them; a waiting process says what it is waiting for).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv="$root/.venv"
req="$root/requirements-dev.txt"
stamp="$venv/.requirements.sha256"
want=$(sha256sum "$req" | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then exit 0; fi
say() { echo "ensure-venv: $*" >&2; }
lock="$root/.venv.lock"
if ! mkdir "$lock" 2>/dev/null; then
  say "another process is preparing .venv; waiting for it (lock: .venv.lock)"
  until mkdir "$lock" 2>/dev/null; do sleep 1; done
fi
trap 'rmdir "$lock"' EXIT
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  say ".venv ready (prepared by the other process, waited ${SECONDS}s)"
  exit 0
fi
py=${PYTHON:-python3}
if [ -x "$venv/bin/python" ]; then
  say "updating .venv: installing requirements-dev.txt (it changed since the last install)..."
else
  say "creating .venv with $py and installing requirements-dev.txt (moto, deltalake, pyspark;" \
    "a minute or two on the first run)..."
  "$py" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req" >&2
echo "$want" > "$stamp"
say ".venv ready in ${SECONDS}s"
