# Helpers for tests/sh/data_*.sh (sourced, not run): small fake CIFAR-10
# tarballs in a temp dir, so the tests never touch the 170 MB download.
# The fake .bin files are sparse zeros of the real size (10,000 x 3,073 bytes),
# so the tarball is about 200 KB and unpacking is quick.
set -u
FETCH="$PWD/src/scripts/fetch-cifar10.sh"
BIN_SIZE=30730000
WORK=$(mktemp -d "${TMPDIR:-/tmp}/convlab-data-test.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

die() { echo "FAIL: $*"; exit 1; }

# make_tarball OUT [skip_file] [short_file]: a fake cifar-10-binary.tar.gz;
# skip_file is left out, short_file is one byte short.
make_tarball() {
    local out=$1 skip=${2:-} short=${3:-} src f
    src=$(mktemp -d "$WORK/src.XXXXXX")
    mkdir "$src/cifar-10-batches-bin"
    for f in data_batch_1.bin data_batch_2.bin data_batch_3.bin data_batch_4.bin data_batch_5.bin test_batch.bin; do
        [ "$f" = "$skip" ] && continue
        if [ "$f" = "$short" ]; then truncate -s $((BIN_SIZE - 1)) "$src/cifar-10-batches-bin/$f"
        else truncate -s $BIN_SIZE "$src/cifar-10-batches-bin/$f"; fi
    done
    printf 'airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n' > "$src/cifar-10-batches-bin/batches.meta.txt"
    tar -cSzf "$out" -C "$src" cifar-10-batches-bin
    rm -rf "$src"
}

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

# run_fetch DEST URL SHA256: runs the script, output in $OUT, status in $RC.
run_fetch() {
    OUT=$(CIFAR10_URL="$2" CIFAR10_SHA256="$3" CIFAR10_MD5= bash "$FETCH" "$1" 2>&1); RC=$?
}

# A failed run must leave nothing that looks like data.
assert_no_data() {
    [ ! -e "$1/cifar-10-batches-bin" ] || die "$1/cifar-10-batches-bin exists after a failure"
    ! ls -d "$1"/.unpack.* >/dev/null 2>&1 || die "temporary unpack dir left in $1"
}

# The last line of a failure is one line that names the problem and a fix.
assert_one_line_error() {
    local last
    last=$(printf '%s\n' "$OUT" | tail -n 1)
    printf '%s' "$last" | grep -q "$1" || die "expected '$1' in the last line, got: $last"
    printf '%s' "$last" | grep -qi "make data\|CIFAR10_URL\|free" || die "no fix in: $last"
}
