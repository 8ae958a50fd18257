#!/usr/bin/env bash
# A checksum mismatch (SHA-256 and MD5): exit 1, one line naming both sums and
# the fix, the download deleted, nothing that looks like data.
source tests/sh/data_lib.bash
make_tarball "$WORK/good.tar.gz"
url="file://$WORK/good.tar.gz"
bad=0000000000000000000000000000000000000000000000000000000000000000

run_fetch "$WORK/d" "$url" "$bad"
[ $RC -eq 1 ] || die "bad sha256: exit $RC, expected 1: $OUT"
assert_one_line_error "expected $bad"
assert_no_data "$WORK/d"
[ ! -e "$WORK/d/cifar-10-binary.tar.gz" ] && [ ! -e "$WORK/d/cifar-10-binary.tar.gz.part" ] || die "mismatching download kept"

# The default MD5 (the official tarball's) does not match the fake.
OUT=$(CIFAR10_URL="$url" CIFAR10_SHA256= CIFAR10_MD5= bash "$FETCH" "$WORK/m" 2>&1); RC=$?
[ $RC -eq 1 ] || die "default md5: exit $RC: $OUT"
assert_one_line_error "expected c32a1d4ab5d03f1284b67883e8d87530"
assert_no_data "$WORK/m"
echo "ok"
