#!/usr/bin/env bash
# Leak check (issue 7): valgrind runs of a short batch training (with --save
# and --csv, then an eval of the saved checkpoint, a predict of a picture with
# --explain) and of --batch render of lesson steps (one with a picture), each required to be free of memory errors and of definite leaks.
# The training runs are skipped (said so) when data/ holds no CIFAR-10.
# Usage: bash tests/valgrind/run.sh BIN   (from the repo root; BIN built -O1 -g, no sanitizers)
set -u
cd "$(dirname "$0")/../.." || exit 1
BIN=${1:?usage: run.sh BIN}
command -v valgrind >/dev/null || { echo "valgrind: not installed (make deps)"; exit 1; }
[ -x "$BIN" ] || { echo "valgrind: $BIN is not built"; exit 1; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/convlab-valgrind.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
failed=0

# vg NAME ARGS...: one valgrind run; prints a line with the outcome and the leak summary.
vg() {
    local name=$1; shift
    local start=$SECONDS
    valgrind --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99 \
        --log-file="$WORK/$name.vg" "$BIN" "$@" >"$WORK/$name.out" 2>&1
    local rc=$? leaks
    leaks=$(grep -E "definitely lost:|ERROR SUMMARY:" "$WORK/$name.vg" | sed 's/^==[0-9]*== *//' | tr '\n' ' ')
    if [ $rc -eq 0 ]; then
        echo "valgrind $name: clean in $((SECONDS - start)) s ($leaks)"
    else
        failed=1
        echo "valgrind $name: FAILED (exit $rc) ($leaks)"
        tail -n 5 "$WORK/$name.out" | sed 's/^/    /'
        grep -A 14 -E "definitely lost in|Invalid|uninitialised|Mismatched" "$WORK/$name.vg" | head -n 60 | sed 's/^/    /'
    fi
}

vg render-conv --batch render --lesson lessons/02_convolution.lesson --step 3 --out "$WORK/a.png"
vg render-pool-zh --batch render --lesson lessons/07_pooling.lesson --step 4 --lang zh --size 800x500 --out "$WORK/b.png"
if [ -f data/cifar-10-batches-bin/test_batch.bin ]; then
    vg train --batch train --train-limit 200 --test-limit 100 --epochs 1 --log-every 25 --threads 2 \
        --save "$WORK/c.safetensors" --csv "$WORK/log.csv"
    vg eval --batch eval --load "$WORK/c.safetensors" --test-limit 100
    # the student's picture: decoding, conversion, explanation and the --explain PNG
    if command -v convert >/dev/null; then
        convert -size 300x200 gradient:'#ff8000-#0040ff' "$WORK/pic.png"
        vg predict --batch predict --load "$WORK/c.safetensors" --image "$WORK/pic.png" --explain "$WORK/ex.png"
        vg render-picture --batch render --lesson lessons/16_your_picture.lesson --step 6 --image "$WORK/pic.png" \
            --out "$WORK/d.png"
    fi
else
    echo "valgrind train/eval: skipped, no CIFAR-10 in data/ (make data)"
fi
exit $failed
