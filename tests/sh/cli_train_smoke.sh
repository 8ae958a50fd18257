#!/usr/bin/env bash
# A short training run on the real data: the output is exactly the tutorial's
# format, the CSV matches the printed losses, the confusion matrix matches the
# accuracies, and --save then --batch eval --load prints the same accuracy block.
source tests/sh/cli_lib.bash
need_real_data
run_cl --batch train --train-limit 2000 --test-limit 500 --epochs 1 --log-every 100 \
       --csv "$WORK/log.csv" --save "$WORK/ckpt.safetensors"
[ "$RC" -eq 0 ] || die "training failed ($RC): $ERR"
out=$OUT

# [epoch, mini-batch] loss lines: printf("[%d, %5d] loss: %.3f").
logs=$(printf '%s\n' "$out" | grep '^\[')
[ "$(printf '%s\n' "$logs" | wc -l)" -eq 5 ] || die "expected 5 loss lines (500 mini-batches / 100): $logs"
printf '%s\n' "$logs" | grep -qvE '^\[1, +[0-9]+\] loss: [0-9]+\.[0-9]{3}$' && die "bad loss line format: $logs"
[ "$(printf '%s\n' "$logs" | head -n 1)" = "$(printf '%s\n' "$logs" | head -n 1 | sed -E 's/^\[1, +100\]/[1,   100]/')" ] \
    || die "log line is not padded like %5d"
printf '%s\n' "$logs" | head -n 1 | grep -q '^\[1,   100\] loss: ' || die "first log line: $(printf '%s\n' "$logs" | head -n 1)"
printf '%s\n' "$out" | grep -qx 'Finished Training' || die "no 'Finished Training'"
acc=$(printf '%s\n' "$out" | sed -nE 's/^Accuracy of the network on the 500 test images: ([0-9]+\.[0-9]{2}) %$/\1/p')
[ -n "$acc" ] || die "no overall accuracy line for 500 test images"
classes=$(printf '%s\n' "$out" | sed -nE 's/^Accuracy of +([a-z]+) : [0-9]+\.[0-9] %$/\1/p' | tr '\n' ' ')
[ "$classes" = "plane car bird cat deer dog frog horse ship truck " ] || die "per-class lines: $classes"
printf '%s\n' "$out" | grep -q '^Trained 2000 images in .* images/s' || die "no throughput line"

# Confusion matrix: 10 rows that sum to 500, diagonal = correct count.
matrix=$(printf '%s\n' "$out" | sed -n '/^Confusion matrix/,/^truck/p' | tail -n 10)
[ "$(printf '%s\n' "$matrix" | wc -l)" -eq 10 ] || die "confusion matrix rows: $matrix"
read -r total diag < <(printf '%s\n' "$matrix" | awk '{for (i = 2; i <= 11; i++) { t += $i; if (i - 1 == NR) d += $i }} END {print t, d}')
[ "$total" -eq 500 ] || die "confusion matrix sums to $total"
want=$(awk -v d="$diag" 'BEGIN {printf "%.2f", 100 * d / 500}')
[ "$want" = "$acc" ] || die "diagonal gives $want %, printed $acc %"

# CSV: header, one row per printed line, same losses.
[ "$(head -n 1 "$WORK/log.csv")" = "epoch,step,loss,images_per_sec" ] || die "CSV header: $(head -n 1 "$WORK/log.csv")"
[ "$(($(wc -l < "$WORK/log.csv") - 1))" -eq 5 ] || die "CSV rows: $(cat "$WORK/log.csv")"
csv_losses=$(tail -n +2 "$WORK/log.csv" | awk -F, '{printf "%.3f\n", $3}')
printed=$(printf '%s\n' "$logs" | sed -E 's/.*loss: //')
[ "$csv_losses" = "$printed" ] || die "CSV losses differ from the printed ones"
tail -n +2 "$WORK/log.csv" | awk -F, '$1 != 1 || $2 != NR * 100 || $4 <= 0 {exit 1}' || die "CSV epoch/step/speed columns"

# --save, then eval --load: the same accuracy block.
run_cl --batch eval --load "$WORK/ckpt.safetensors" --test-limit 500
[ "$RC" -eq 0 ] || die "eval failed: $ERR"
block_train=$(printf '%s\n' "$out" | sed -n '/^Accuracy of the network/,/^truck/p')
[ "$OUT" = "$block_train" ] || die "eval prints a different accuracy block: $(diff <(echo "$block_train") <(echo "$OUT"))"

# The same seed gives the same run.
run_cl --batch train --train-limit 400 --test-limit 100 --epochs 1 --log-every 20 --seed 7
first=$OUT
run_cl --batch train --train-limit 400 --test-limit 100 --epochs 1 --log-every 20 --seed 7
[ "$(printf '%s\n' "$first" | grep -v '^Trained')" = "$(printf '%s\n' "$OUT" | grep -v '^Trained')" ] \
    || die "seed 7 twice gives different output"
run_cl --batch train --train-limit 400 --test-limit 100 --epochs 1 --log-every 20 --seed 8
[ "$(printf '%s\n' "$first" | grep '^\[')" != "$(printf '%s\n' "$OUT" | grep '^\[')" ] \
    || die "seeds 7 and 8 give the same losses"
echo ok
