#!/usr/bin/env bash
# SIGINT and SIGTERM: the run finishes its step, writes --save, exits 130 with
# a message; the checkpoint loads. A signal before the first step leaves an
# older checkpoint untouched. Fake data (sparse zeros), so no download needed.
source tests/sh/cli_lib.bash
D="$WORK/cifar"
make_fake_data "$D"

# interrupt SIGNAL: starts a long run, waits for its first loss line, signals it.
interrupt() {
    local sig=$1 pid i
    rm -f "$WORK/ckpt.safetensors"
    "$CONVLAB" --batch train --data "$D" --test-limit 10 --epochs 50 --log-every 20 --threads 1 \
        --save "$WORK/ckpt.safetensors" >"$WORK/out" 2>"$WORK/err" &
    pid=$!
    for i in $(seq 300); do grep -q '^\[' "$WORK/out" 2>/dev/null && break; sleep 0.1; done
    grep -q '^\[' "$WORK/out" || { kill -9 $pid; die "no loss line within 30 s"; }
    kill -"$sig" $pid
    # A handler that never stops the run must fail the test, not hang it.
    for i in $(seq 300); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
    if kill -0 $pid 2>/dev/null; then kill -9 $pid; die "$sig: still running 30 s after the signal"; fi
    wait $pid; RC=$?
    [ "$RC" -eq 130 ] || die "$sig: exit $RC, expected 130: $(cat "$WORK/err")"
    grep -q "interrupted by SIG$sig after [0-9]* mini-batches" "$WORK/err" || die "$sig: no message: $(cat "$WORK/err")"
    grep -q "saved the weights" "$WORK/err" || die "$sig: checkpoint not saved: $(cat "$WORK/err")"
    ! grep -q "Finished Training" "$WORK/out" || die "$sig: printed Finished Training"
    run_cl --batch eval --data "$D" --test-limit 10 --load "$WORK/ckpt.safetensors"
    [ "$RC" -eq 0 ] || die "$sig: the saved checkpoint does not load: $ERR"
    ! ls "$WORK"/ckpt.safetensors.tmp.* >/dev/null 2>&1 || die "$sig: temporary file left"
}
interrupt INT
interrupt TERM

# A signal that arrives before any step must not overwrite an older checkpoint.
# To make "before any step" certain, python starts convlab with SIGINT blocked
# and already pending: convlab unblocks it when it installs its handler, before
# loading the data, so the stop takes effect before the first mini-batch.
if command -v python3 >/dev/null 2>&1; then
    cp tests/fixtures/ckpt_torch_cnnnet.safetensors "$WORK/old.safetensors"
    python3 -c '
import os, signal, sys
signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGINT])
os.kill(os.getpid(), signal.SIGINT)
os.execv(sys.argv[1], sys.argv[1:])' "$CONVLAB" --batch train --data "$D" --epochs 50 --threads 1 \
        --save "$WORK/old.safetensors" >"$WORK/out" 2>"$WORK/err"
    RC=$?
    [ "$RC" -eq 130 ] || die "pending SIGINT: exit $RC, expected 130: $(cat "$WORK/err")"
    grep -q "interrupted by SIGINT after 0 mini-batches" "$WORK/err" || die "pending SIGINT: $(cat "$WORK/err")"
    grep -q "no mini-batch was trained; .* was not written" "$WORK/err" || die "pending SIGINT: $(cat "$WORK/err")"
    cmp -s tests/fixtures/ckpt_torch_cnnnet.safetensors "$WORK/old.safetensors" || die "an untrained run overwrote the checkpoint"
fi
echo ok
