#!/usr/bin/env bash
# Bad data and bad checkpoints through the command line: exit 1 with one line
# naming the file and the fix; never a crash. Uses a fake (sparse) data dir.
source tests/sh/cli_lib.bash
D="$WORK/cifar"
make_fake_data "$D"
args=(--batch train --data "$D" --train-limit 8 --test-limit 8 --epochs 1)

# The fake data itself is fine.
run_cl "${args[@]}"
[ "$RC" -eq 0 ] || die "fake data run failed ($RC): $ERR"

expect_fail 1 "$WORK/missing: no such directory" --batch train --data "$WORK/missing"
printf '%s' "$ERR" | grep -q "make data" || die "no fix in: $ERR"
expect_fail 1 "$WORK/missing: no such directory" --batch eval --load tests/fixtures/ckpt_torch_cnnnet.safetensors --data "$WORK/missing"

truncate -s 30000000 "$D/data_batch_4.bin"
expect_fail 1 "data_batch_4.bin: has 30000000 bytes, expected 30730000" "${args[@]}"
printf '%s' "$ERR" | grep -q "truncated.*make data" || die "truncation message: $ERR"
truncate -s 30733073 "$D/data_batch_4.bin"
expect_fail 1 "data_batch_4.bin: has 30733073 bytes" "${args[@]}"
printf '%s' "$ERR" | grep -q "oversized" || die "oversize message: $ERR"
truncate -s 30730000 "$D/data_batch_4.bin"

# Label 11 in record 3 of the test batch.
printf '\013' | dd of="$D/test_batch.bin" bs=1 seek=$((3 * 3073)) conv=notrunc status=none
expect_fail 1 "test_batch.bin: record 3 (byte offset 9219) has label 11, expected 0-9" "${args[@]}"
printf '\000' | dd of="$D/test_batch.bin" bs=1 seek=$((3 * 3073)) conv=notrunc status=none

rm "$D/batches.meta.txt"
expect_fail 1 "batches.meta.txt: cannot open" "${args[@]}"
printf 'cat\ndog\n' > "$D/batches.meta.txt"
expect_fail 1 "batches.meta.txt: has 2 class names, expected 10" "${args[@]}"
make_fake_data "$D"

# Checkpoints: corrupt, mismatched, missing; for train --load and eval --load.
expect_fail 1 "ckpt_bad_json.safetensors: the header is not a valid JSON object" "${args[@]}" --load tests/fixtures/ckpt_bad_json.safetensors
expect_fail 1 "ckpt_bad_header_len.safetensors: header length" --batch eval --data "$D" --load tests/fixtures/ckpt_bad_header_len.safetensors
expect_fail 1 "$WORK/none.safetensors: cannot open" --batch eval --data "$D" --load "$WORK/none.safetensors"
head -c 1000 tests/fixtures/ckpt_torch_cnnnet.safetensors > "$WORK/cut.safetensors"
expect_fail 1 "cut.safetensors" --batch eval --data "$D" --load "$WORK/cut.safetensors"
printf '%s' "$ERR" | grep -q "truncated" || die "truncated checkpoint message: $ERR"
# A torch checkpoint loads.
run_cl --batch eval --data "$D" --test-limit 8 --load tests/fixtures/ckpt_torch_cnnnet.safetensors
[ "$RC" -eq 0 ] || die "torch checkpoint eval failed: $ERR"
printf '%s\n' "$OUT" | grep -q "^Accuracy of the network on the 8 test images: " || die "eval output: $OUT"
echo ok
