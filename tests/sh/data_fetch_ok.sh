#!/usr/bin/env bash
# fetch-cifar10.sh on a good (fake) tarball: installs, a second run is a no-op,
# MD5 works too, a broken installed copy is replaced, a partial download resumes.
source tests/sh/data_lib.bash
make_tarball "$WORK/good.tar.gz"
url="file://$WORK/good.tar.gz" sum=$(sha256_of "$WORK/good.tar.gz")

run_fetch "$WORK/d" "$url" "$sum"
[ $RC -eq 0 ] || die "good tarball: exit $RC: $OUT"
[ "$(stat -c %s "$WORK/d/cifar-10-batches-bin/test_batch.bin")" = $BIN_SIZE ] || die "test_batch.bin not installed"
[ ! -e "$WORK/d/cifar-10-binary.tar.gz" ] && [ ! -e "$WORK/d/cifar-10-binary.tar.gz.part" ] || die "tarball left behind"
! ls -d "$WORK/d"/.unpack.* >/dev/null 2>&1 || die "unpack dir left behind"

# Second run: one line, no download (the URL now points nowhere).
run_fetch "$WORK/d" "file://$WORK/gone.tar.gz" "$sum"
[ $RC -eq 0 ] || die "second run: exit $RC: $OUT"
[ "$(printf '%s\n' "$OUT" | wc -l)" = 1 ] && printf '%s' "$OUT" | grep -q "already complete" || die "second run said: $OUT"

# MD5 instead of SHA-256.
md5=$(md5sum "$WORK/good.tar.gz" | cut -d' ' -f1)
OUT=$(CIFAR10_URL="$url" CIFAR10_SHA256= CIFAR10_MD5="$md5" bash "$FETCH" "$WORK/m" 2>&1) || die "md5 run failed: $OUT"
[ -f "$WORK/m/cifar-10-batches-bin/batches.meta.txt" ] || die "md5 run installed nothing"

# A damaged installed copy is noticed and replaced.
truncate -s 100 "$WORK/d/cifar-10-batches-bin/data_batch_3.bin"
run_fetch "$WORK/d" "$url" "$sum"
[ $RC -eq 0 ] || die "repair run: exit $RC: $OUT"
printf '%s' "$OUT" | grep -q "data_batch_3.bin has 100 bytes" || die "repair run did not name the damaged file: $OUT"
[ "$(stat -c %s "$WORK/d/cifar-10-batches-bin/data_batch_3.bin")" = $BIN_SIZE ] || die "damaged file not replaced"

# Resume: the first half of the tarball as a leftover partial download.
mkdir -p "$WORK/r"
size=$(stat -c %s "$WORK/good.tar.gz")
head -c $((size / 2)) "$WORK/good.tar.gz" > "$WORK/r/cifar-10-binary.tar.gz.part"
run_fetch "$WORK/r" "$url" "$sum"
[ $RC -eq 0 ] || die "resume run: exit $RC: $OUT"
[ -f "$WORK/r/cifar-10-batches-bin/test_batch.bin" ] || die "resume run installed nothing"
echo "ok"
