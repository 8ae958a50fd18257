#!/usr/bin/env bash
# convlab --batch fetch-data (the same script as make data, found next to the
# lessons): installs a fake tarball into $XDG_DATA_HOME/convlab/ from another
# folder, where --batch train then finds it; --data DIR; a second fetch while
# one holds the lock gets one clear line; SIGTERM mid-download leaves nothing
# that looks like data (and the next run resumes and completes).
source tests/sh/data_lib.bash
CONVLAB=${CONVLAB:-./convlab}
BIN=$(cd "$(dirname "$CONVLAB")" && pwd)/$(basename "$CONVLAB")
make_tarball "$WORK/good.tar.gz"
url="file://$WORK/good.tar.gz" sum=$(sha256_of "$WORK/good.tar.gz")
mkdir -p "$WORK/cwd"
fetch() { OUT=$(cd "$WORK/cwd" && env -u CONVLAB_DATA HOME="$WORK/home" XDG_DATA_HOME="$WORK/xdg" CIFAR10_URL="$url" CIFAR10_SHA256="$sum" "$BIN" --batch fetch-data "$@" 2>&1); RC=$?; }

fetch
[ $RC -eq 0 ] || die "fetch-data: exit $RC: $OUT"
xd="$WORK/xdg/convlab/cifar-10-batches-bin"
[ "$(stat -c %s "$xd/test_batch.bin")" = $BIN_SIZE ] || die "not installed into $xd: $OUT"
printf '%s' "$OUT" | grep -q "ready in $xd" || die "no ready line: $OUT"
# Found from another folder by the lookup.
(cd "$WORK/cwd" && env -u CONVLAB_DATA HOME="$WORK/home" XDG_DATA_HOME="$WORK/xdg" "$BIN" --batch train --train-limit 4 --test-limit 4 --epochs 1 >/dev/null 2>&1) \
    || die "train does not find the fetched data"
fetch
[ $RC -eq 0 ] && printf '%s' "$OUT" | grep -q "already complete" || die "second fetch: $RC $OUT"

# --data DIR with another last component; the program says how to use it.
fetch --data "$WORK/elsewhere/mycifar"
[ $RC -eq 0 ] && [ -f "$WORK/elsewhere/mycifar/batches.meta.txt" ] || die "--data DIR: $RC $OUT"
printf '%s' "$OUT" | grep -q -- "--data $WORK/elsewhere/mycifar or CONVLAB_DATA=" || die "no hint for an off-path folder: $OUT"
fetch --data
[ $RC -eq 2 ] || die "--data without a value: exit $RC"
fetch --bogus
[ $RC -eq 2 ] && printf '%s' "$OUT" | grep -q -- "--bogus" || die "unknown flag: $RC $OUT"

# A second concurrent fetch (the lock is held): one line, exit 1.
mkdir -p "$WORK/l"
exec 8>"$WORK/l/.fetch.lock"
flock -n 8 || die "cannot take the test lock"
fetch --data "$WORK/l/cifar-10-batches-bin"
exec 8>&-
[ $RC -eq 1 ] && printf '%s' "$OUT" | tail -n 1 | grep -q "another fetch into $WORK/l is running" || die "concurrent fetch: $RC $OUT"
assert_no_data "$WORK/l"

# SIGTERM during the download: the source is a FIFO fed half the tarball, then held open.
mkfifo "$WORK/slow.tar.gz"
size=$(stat -c %s "$WORK/good.tar.gz")
( head -c $((size / 3)) "$WORK/good.tar.gz"; sleep 30 ) > "$WORK/slow.tar.gz" &
feeder=$!
(cd "$WORK/cwd" && CIFAR10_URL="file://$WORK/slow.tar.gz" CIFAR10_SHA256="$sum" exec "$BIN" --batch fetch-data --data "$WORK/t/cifar-10-batches-bin" >"$WORK/t.out" 2>&1) &
pid=$!
# (curl buffers 16 KB before writing, so the .part may still be empty here)
for _ in $(seq 50); do [ -e "$WORK/t/cifar-10-binary.tar.gz.part" ] && break; sleep 0.1; done
[ -e "$WORK/t/cifar-10-binary.tar.gz.part" ] || die "the download did not start: $(cat "$WORK/t.out")"
sleep 0.3
kill -TERM $pid
wait $pid; RC=$?
kill $feeder 2>/dev/null; wait $feeder 2>/dev/null
[ $RC -ne 0 ] || die "an interrupted fetch exited 0"
pgrep -f "curl.*$WORK/slow.tar.gz" >/dev/null && die "curl outlived the interrupted fetch"
printf '%s' "$(cat "$WORK/t.out")" | tail -n 1 | grep -q "fetch-data again" || die "interrupted fetch said: $(cat "$WORK/t.out")"
assert_no_data "$WORK/t"
[ ! -e "$WORK/t/cifar-10-binary.tar.gz" ] || die "an interrupted download looks complete"
OUT=$(CIFAR10_URL="$url" CIFAR10_SHA256="$sum" "$BIN" --batch fetch-data --data "$WORK/t/cifar-10-batches-bin" 2>&1) || die "resume after SIGTERM: $OUT"
[ -f "$WORK/t/cifar-10-batches-bin/test_batch.bin" ] || die "resume installed nothing"
echo ok
