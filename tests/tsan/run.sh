#!/usr/bin/env bash
# ThreadSanitizer run of the live-training tests (tests/test_train_session.c):
# Criterion aborts under TSan (Snaipe/Criterion#274), so the test file is built
# against the small stand-in header in tests/tsan/criterion/ with the engine and
# src/session/train_session.c, all with -fsanitize=thread, and run in one process.
# Usage: bash tests/tsan/run.sh [NAME-SUBSTRING]   (from the repo root)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=build/tsan-train-session
mkdir -p "$out"
cc -std=c11 -D_DEFAULT_SOURCE -O1 -g -fsanitize=thread -pthread \
   -Itests/tsan -Isrc -Itests $(pkg-config --cflags libcjson) \
   src/engine/*.c src/session/train_session.c src/session/autosave.c tests/test_train_session.c \
   -o "$out/test_train_session" $(pkg-config --libs libcjson) -lm
cd tests
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 ${TSAN_OPTIONS:-}" "../$out/test_train_session" "$@"
