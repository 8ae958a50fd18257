#!/usr/bin/env bash
# The one portable binary on older x86-64 CPUs (issue 12), emulated by
# qemu-user: on a Haswell (AVX2 + FMA, no AVX-512) and a Nehalem (SSE4.2, no
# AVX) ./convlab reports the kernel tier it picked, a short training on them
# completes without an illegal instruction, and forcing AVX-512 there is a
# one-line error with exit 2. Skips (77) without qemu-x86_64 or off x86-64.
source tests/sh/cli_lib.bash
[ "$(uname -m)" = x86_64 ] || { echo "not an x86-64 machine"; exit 77; }
command -v qemu-x86_64 >/dev/null || { echo "no qemu-x86_64 (apt-get install qemu-user; make deps)"; exit 77; }
make_fake_data "$WORK/data"

# run_qemu CPU ARGS...: convlab under qemu-x86_64 -cpu CPU; $OUT, $ERR (without
# qemu's warnings about host features TCG does not emulate), $RC.
run_qemu() {
    local cpu=$1; shift
    qemu-x86_64 -cpu "$cpu" "$CONVLAB" "$@" >"$WORK/out" 2>"$WORK/err"; RC=$?
    OUT=$(cat "$WORK/out"); ERR=$(grep -v '^qemu-x86_64: warning' "$WORK/err")
}

for pair in Haswell:avx2 Nehalem:sse2; do
    cpu=${pair%%:*} tier=${pair##*:}
    run_qemu "$cpu" --version
    [ "$RC" -eq 0 ] || die "$cpu: --version exit $RC: $ERR"
    printf '%s\n' "$OUT" | grep -qx "kernels: $tier" || die "$cpu: --version says '$OUT', expected kernels: $tier"
    run_qemu "$cpu" --batch train --data "$WORK/data" --train-limit 64 --test-limit 64 --epochs 1
    [ "$RC" -eq 0 ] || die "$cpu: training exit $RC (132 = illegal instruction): $ERR"
    printf '%s\n' "$OUT" | grep -q "Finished Training" || die "$cpu: training did not finish: $OUT"
    CONVLAB_ISA=avx512 run_qemu "$cpu" --version
    [ "$RC" -eq 2 ] || die "$cpu: CONVLAB_ISA=avx512 exit $RC, expected 2"
    [ "$(printf '%s\n' "$ERR" | wc -l)" -eq 1 ] && printf '%s\n' "$ERR" | grep -q "cannot run" ||
        die "$cpu: CONVLAB_ISA=avx512 error is not one clear line: $ERR"
    echo "$cpu: kernels $tier, training finished, avx512 refused"
done
echo ok
