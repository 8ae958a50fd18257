#!/usr/bin/env bash
# A failed transfer: exit 1, one line with curl's reason and the fix, nothing
# that looks like data; a partial download from before is kept for resuming.
source tests/sh/data_lib.bash
make_tarball "$WORK/good.tar.gz"
sum=$(sha256_of "$WORK/good.tar.gz")

run_fetch "$WORK/d" "file://$WORK/no-such-file.tar.gz" "$sum"
[ $RC -eq 1 ] || die "missing URL: exit $RC, expected 1: $OUT"
assert_one_line_error "download of file://$WORK/no-such-file.tar.gz failed"
assert_no_data "$WORK/d"
[ ! -e "$WORK/d/cifar-10-binary.tar.gz.part" ] || die "empty partial download kept"

# Unresolvable host (no network needed: .invalid never resolves).
run_fetch "$WORK/h" "https://cifar.invalid/cifar-10-binary.tar.gz" "$sum"
[ $RC -eq 1 ] || die "bad host: exit $RC: $OUT"
assert_one_line_error "failed"
assert_no_data "$WORK/h"

# A partial download survives a failed transfer, then resumes from a good URL.
mkdir -p "$WORK/p"
half=$(($(stat -c %s "$WORK/good.tar.gz") / 2))
head -c $half "$WORK/good.tar.gz" > "$WORK/p/cifar-10-binary.tar.gz.part"
run_fetch "$WORK/p" "file://$WORK/no-such-file.tar.gz" "$sum"
[ $RC -eq 1 ] || die "failed resume: exit $RC: $OUT"
[ "$(stat -c %s "$WORK/p/cifar-10-binary.tar.gz.part")" = $half ] || die "partial download not kept"
printf '%s' "$OUT" | grep -q "kept and resumes" || die "message does not mention the kept partial: $OUT"
run_fetch "$WORK/p" "file://$WORK/good.tar.gz" "$sum"
[ $RC -eq 0 ] || die "resume after failure: exit $RC: $OUT"
echo "ok"
