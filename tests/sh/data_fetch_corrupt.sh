#!/usr/bin/env bash
# Archives that pass the checksum but are bad: a corrupt gzip, an archive with a
# missing or short file, and a full disk during extraction (simulated by a tar
# that fails with ENOSPC). Exit 1, one line, nothing that looks like data.
source tests/sh/data_lib.bash

# Corrupt gzip stream: the good tarball with its middle overwritten.
make_tarball "$WORK/good.tar.gz"
cp "$WORK/good.tar.gz" "$WORK/corrupt.tar.gz"
size=$(stat -c %s "$WORK/corrupt.tar.gz")
printf 'garbage%.0s' $(seq 100) | dd of="$WORK/corrupt.tar.gz" bs=1 seek=$((size / 2)) conv=notrunc status=none
run_fetch "$WORK/c" "file://$WORK/corrupt.tar.gz" "$(sha256_of "$WORK/corrupt.tar.gz")"
[ $RC -eq 1 ] || die "corrupt gzip: exit $RC: $OUT"
assert_one_line_error "corrupt"
assert_no_data "$WORK/c"
[ ! -e "$WORK/c/cifar-10-binary.tar.gz" ] || die "corrupt archive kept"

# Not a tarball at all.
echo "<html>404 page from a proxy</html>" > "$WORK/html.tar.gz"
run_fetch "$WORK/x" "file://$WORK/html.tar.gz" "$(sha256_of "$WORK/html.tar.gz")"
[ $RC -eq 1 ] || die "html page: exit $RC: $OUT"
assert_one_line_error "unpacking"
assert_no_data "$WORK/x"

# A missing file and a short file in the archive.
make_tarball "$WORK/missing.tar.gz" test_batch.bin
run_fetch "$WORK/m" "file://$WORK/missing.tar.gz" "$(sha256_of "$WORK/missing.tar.gz")"
[ $RC -eq 1 ] || die "archive without test_batch.bin: exit $RC: $OUT"
assert_one_line_error "test_batch.bin is missing"
assert_no_data "$WORK/m"
make_tarball "$WORK/short.tar.gz" "" data_batch_2.bin
run_fetch "$WORK/s" "file://$WORK/short.tar.gz" "$(sha256_of "$WORK/short.tar.gz")"
[ $RC -eq 1 ] || die "archive with a short file: exit $RC: $OUT"
assert_one_line_error "data_batch_2.bin has $((BIN_SIZE - 1)) bytes, expected $BIN_SIZE"
assert_no_data "$WORK/s"

# Disk full during extraction: a tar that writes a little, then fails as GNU tar does.
mkdir -p "$WORK/bin"
cat > "$WORK/bin/tar" <<'EOT'
#!/bin/sh
while [ $# -gt 0 ]; do [ "$1" = -C ] && dir=$2; shift; done
mkdir -p "$dir/cifar-10-batches-bin" && echo partial > "$dir/cifar-10-batches-bin/data_batch_1.bin"
echo "tar: cifar-10-batches-bin/data_batch_1.bin: Wrote only 4096 of 10240 bytes" >&2
echo "tar: cifar-10-batches-bin/data_batch_2.bin: Cannot write: No space left on device" >&2
exit 2
EOT
chmod +x "$WORK/bin/tar"
url="file://$WORK/good.tar.gz" sum=$(sha256_of "$WORK/good.tar.gz")
OUT=$(PATH="$WORK/bin:$PATH" CIFAR10_URL="$url" CIFAR10_SHA256="$sum" bash "$FETCH" "$WORK/f" 2>&1); RC=$?
[ $RC -eq 1 ] || die "disk full: exit $RC: $OUT"
assert_one_line_error "disk is full"
assert_no_data "$WORK/f"
[ -f "$WORK/f/cifar-10-binary.tar.gz" ] || die "the verified download was not kept after a full disk"
# With space again, the next run unpacks the kept download without fetching.
run_fetch "$WORK/f" "file://$WORK/gone.tar.gz" "$sum"
[ $RC -eq 0 ] || die "retry after disk full: exit $RC: $OUT"
[ -f "$WORK/f/cifar-10-batches-bin/test_batch.bin" ] || die "retry installed nothing"
echo "ok"
