# Helpers for tests/sh/cli_*.sh (sourced, not run). Run from the repo root;
# CONVLAB overrides the binary (default ./convlab).
set -u
CONVLAB=${CONVLAB:-./convlab}
[ -x "$CONVLAB" ] || { echo "FAIL: $CONVLAB is not built (run make)"; exit 1; }
REAL_DATA=data/cifar-10-batches-bin
WORK=$(mktemp -d "${TMPDIR:-/tmp}/convlab-cli-test.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

die() { echo "FAIL: $*"; exit 1; }

need_real_data() {
    [ -f "$REAL_DATA/test_batch.bin" ] || { echo "no CIFAR-10 in $REAL_DATA (run make data)"; exit 77; }
}

# make_fake_data DIR: a valid CIFAR-10 directory of sparse zero files (label 0,
# black images) that loads in a blink; tests damage it as they need.
make_fake_data() {
    mkdir -p "$1"
    local f
    for f in data_batch_1 data_batch_2 data_batch_3 data_batch_4 data_batch_5 test_batch; do
        truncate -s 30730000 "$1/$f.bin"
    done
    printf 'airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n' > "$1/batches.meta.txt"
}

# run_cl ARGS...: runs convlab; stdout in $OUT, stderr in $ERR, status in $RC.
run_cl() {
    "$CONVLAB" "$@" >"$WORK/out" 2>"$WORK/err"; RC=$?
    OUT=$(cat "$WORK/out"); ERR=$(cat "$WORK/err")
}

# expect_fail STATUS FRAGMENT ARGS...: exit status STATUS, and the last stderr
# line (the error) contains FRAGMENT and is the only line mentioning the problem.
expect_fail() {
    local want=$1 frag=$2; shift 2
    run_cl "$@"
    [ "$RC" -eq "$want" ] || die "convlab $*: exit $RC, expected $want (stderr: $ERR)"
    local last
    last=$(printf '%s\n' "$ERR" | tail -n 1)
    printf '%s' "$last" | grep -qF -- "$frag" || die "convlab $*: expected '$frag' in: $last"
}
