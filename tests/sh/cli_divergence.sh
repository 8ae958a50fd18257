#!/usr/bin/env bash
# A learning rate that makes the loss NaN: exit 1, a message naming the step
# and the learning rate, and --save keeps the last good (finite) weights.
source tests/sh/cli_lib.bash
need_real_data
run_cl --batch train --train-limit 400 --test-limit 100 --epochs 1 --lr 10 --save "$WORK/ckpt.safetensors"
[ "$RC" -eq 1 ] || die "lr 10: exit $RC, expected 1 (stdout: $OUT)"
printf '%s\n' "$ERR" | grep -qE "loss became (NaN|infinite) at step [0-9]+ .*learning rate 10 is too high" || die "message: $ERR"
printf '%s\n' "$ERR" | grep -q "saved the weights" || die "last good weights not saved: $ERR"
! printf '%s\n' "$OUT" | grep -q "Finished Training" || die "printed Finished Training after divergence"
# Last good weights are finite: the checkpoint loads (load refuses NaN/Inf).
run_cl --batch eval --load "$WORK/ckpt.safetensors" --test-limit 100
[ "$RC" -eq 0 ] || die "the saved weights do not load: $ERR"
echo ok
