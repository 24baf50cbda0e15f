#!/usr/bin/env bash
# Build the one-folder app with PyInstaller and prove it works: `dist/sse-chat/sse-chat
# --self-test` (headless). Needs `.[build]` in .venv (`.ci/run` installs it).
# Usage: bash scripts/build_and_selftest.sh [--onefile]   (--onefile also builds and checks
# the one-file binary dist/sse-chat-onefile).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
start=$(date +%s)
mib() { du -sb "$1" | awk '{ printf "%.1f MiB", $1 / 1048576 }'; }  # as bench/startup_bench.py

# PYI_LOG_LEVEL too: `python -m PyInstaller` logs its first lines as `__main__`, a logger
# that --log-level does not reach.
export PYI_LOG_LEVEL=WARN
"$PY" -m PyInstaller --noconfirm --clean --log-level WARN build.spec
echo "bundle: dist/sse-chat ($(mib dist/sse-chat))"
QT_QPA_PLATFORM=offscreen timeout 120 dist/sse-chat/sse-chat --self-test
# The web page is in the bundle: the frozen `serve` answers it and its files.
timeout 60 "$PY" - dist/sse-chat/sse-chat <<'PY'
import re, subprocess, sys, tempfile
import requests
with tempfile.TemporaryDirectory() as data:
    serve = subprocess.Popen([sys.argv[1], "serve", "--port", "0", "--data-dir", data],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = ""
        while not line.startswith("Open: "):
            line = serve.stdout.readline()
            assert line, "serve printed no address"
        base = re.match(r"Open: (http://[^/]+/)", line).group(1)
        for path in ("", "app/main.js", "app/vendor/katex/katex.min.css"):
            answer = requests.get(base + path, timeout=10)
            assert answer.status_code == 200, (path, answer.status_code)
        print(f"web page: served by the bundle ({base})")
    finally:
        serve.terminate()
        serve.wait(10)
PY

if [ "${1:-}" = "--onefile" ]; then
    "$PY" -m PyInstaller --noconfirm --log-level WARN build.spec -- --onefile
    echo "binary: dist/sse-chat-onefile ($(mib dist/sse-chat-onefile))"
    QT_QPA_PLATFORM=offscreen timeout 120 dist/sse-chat-onefile --self-test
fi
echo "build and self-test took $(( $(date +%s) - start )) s"
