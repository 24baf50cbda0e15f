#!/usr/bin/env bash
# Build the one-folder app with PyInstaller and prove it works: `dist/sse-chat/sse-chat
# --self-test` (headless). Needs `.[build]` in .venv (`.ci/run` installs it).
# Usage: bash scripts/build_and_selftest.sh [--onefile]   (--onefile also builds and checks
# the one-file binary dist/sse-chat-onefile).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
start=$(date +%s)

"$PY" -m PyInstaller --noconfirm --clean --log-level WARN build.spec
echo "bundle: dist/sse-chat ($(du -sh dist/sse-chat | cut -f1))"
QT_QPA_PLATFORM=offscreen timeout 120 dist/sse-chat/sse-chat --self-test

if [ "${1:-}" = "--onefile" ]; then
    "$PY" -m PyInstaller --noconfirm --log-level WARN build.spec -- --onefile
    echo "binary: dist/sse-chat-onefile ($(du -sh dist/sse-chat-onefile | cut -f1))"
    QT_QPA_PLATFORM=offscreen timeout 120 dist/sse-chat-onefile --self-test
fi
echo "build and self-test took $(( $(date +%s) - start )) s"
