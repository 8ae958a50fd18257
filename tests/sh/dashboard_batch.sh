#!/usr/bin/env bash
# `--batch train ... --dashboard PNG` on real data: the PNG is written at the
# requested size, and the numbers the dashboard drew (CONVLAB_DASHBOARD_DUMP)
# equal the printed tutorial lines and the CSV: every logged loss, the test
# accuracy, each class's accuracy and the confusion matrix.
# Skips (77) without CIFAR-10 in data/.
cd "$(dirname "$0")/../.." || exit 1
BIN=${CONVLAB:-./convlab}
[ -f data/cifar-10-batches-bin/data_batch_1.bin ] || { echo "no CIFAR-10 in data/ (make data)"; exit 77; }
[ -x "$BIN" ] || { echo "$BIN not built"; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

CONVLAB_DASHBOARD_DUMP="$out/dump.txt" "$BIN" --batch train --train-limit 1000 --test-limit 500 --epochs 2 \
    --log-every 50 --threads 2 --csv "$out/log.csv" --dashboard "$out/dash.png" >"$out/stdout" 2>"$out/stderr" \
    || { cat "$out/stderr"; fail "batch train exited $?"; }
[ -s "$out/dash.png" ] || fail "no dashboard PNG"
[ "$(head -c 8 "$out/dash.png" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] || fail "dash.png is not a PNG"
if command -v identify >/dev/null; then
    size=$(identify -format '%wx%h' "$out/dash.png")
    [ "$size" = "1280x800" ] || fail "dashboard is $size, expected 1280x800"
fi
[ -s "$out/dump.txt" ] || fail "no dump of the dashboard's numbers"

# 1. losses: printed "[e,  i] loss: x.xxx" == dump "loss ... epoch=e batch=i ... value=x.xxx"
grep -E '^\[[0-9]+, +[0-9]+\] loss: ' "$out/stdout" | sed -E 's/^\[([0-9]+), +([0-9]+)\] loss: ([0-9.]+)$/\1 \2 \3/' >"$out/printed_loss"
sed -n -E 's/^loss run=1 epoch=([0-9]+) batch=([0-9]+) step=[0-9]+ value=([0-9.]+) .*/\1 \2 \3/p' "$out/dump.txt" >"$out/drawn_loss"
n=$(wc -l <"$out/printed_loss")
[ "$n" -eq 10 ] || fail "expected 10 printed log lines (2 epochs x 250 mini-batches / 50), got $n"
diff "$out/printed_loss" "$out/drawn_loss" >"$out/d1" || { cat "$out/d1"; fail "the curve's points differ from the printed losses"; }

# 2. the CSV (epoch,step,loss,images/s): same steps, same losses to print precision
sed -n -E 's/^loss run=1 epoch=([0-9]+) batch=[0-9]+ step=([0-9]+) value=([0-9.]+) .*/\1,\2,\3/p' "$out/dump.txt" >"$out/drawn_csv"
grep -E '^[0-9]+,' "$out/log.csv" | cut -d, -f1-3 >"$out/csv3"
[ "$(wc -l <"$out/csv3")" -eq 10 ] || fail "expected 10 CSV rows, got $(wc -l <"$out/csv3")"
paste -d, "$out/csv3" "$out/drawn_csv" | awk -F, '
    $1 != $4 || $2 != $5 { print "row " NR ": csv epoch/step " $1 "/" $2 " vs drawn " $4 "/" $5; bad = 1 }
    ($3 - $6 > 0.0005001) || ($6 - $3 > 0.0005001) { print "row " NR ": csv loss " $3 " vs drawn " $6; bad = 1 }
    END { exit bad }' || fail "the curve differs from the CSV"

# 3. test accuracy: printed == drawn, and == the last point of the accuracy chart
acc_printed=$(sed -n -E 's/^Accuracy of the network on the 500 test images: ([0-9.]+) %$/\1/p' "$out/stdout")
acc_drawn=$(sed -n -E 's/^accuracy test=([0-9.]+) n=500 epoch=2$/\1/p' "$out/dump.txt")
[ -n "$acc_printed" ] && [ "$acc_printed" = "$acc_drawn" ] || fail "test accuracy printed '$acc_printed', drawn '$acc_drawn'"
acc_chart=$(sed -n -E 's/^test_acc run=1 epoch=2 value=([0-9.]+)$/\1/p' "$out/dump.txt")
[ "$acc_chart" = "$acc_printed" ] || fail "accuracy chart's epoch 2 is '$acc_chart', printed '$acc_printed'"
grep -q '^test_acc run=1 epoch=1 value=' "$out/dump.txt" || fail "no epoch-1 point on the accuracy chart"

# 4. per class: "Accuracy of plane : 57.9 %" == "class plane 57.9"
sed -n -E 's/^Accuracy of +([a-z]+) : ([0-9.]+) %$/\1 \2/p' "$out/stdout" >"$out/printed_cls"
sed -n -E 's/^class ([a-z]+) ([0-9.]+)$/\1 \2/p' "$out/dump.txt" >"$out/drawn_cls"
[ "$(wc -l <"$out/printed_cls")" -eq 10 ] || fail "expected 10 printed class lines"
diff "$out/printed_cls" "$out/drawn_cls" >"$out/d4" || { cat "$out/d4"; fail "per-class bars differ from the printout"; }

# 5. confusion matrix rows
awk '/^Confusion matrix/ { on = 1; getline; next } on && NF == 11 { $1 = ""; print substr($0, 2) }' "$out/stdout" >"$out/printed_conf"
sed -n -E 's/^confusion [0-9]+: (.*)$/\1/p' "$out/dump.txt" >"$out/drawn_conf"
[ "$(wc -l <"$out/printed_conf")" -eq 10 ] || fail "expected 10 printed confusion rows"
diff "$out/printed_conf" "$out/drawn_conf" >"$out/d5" || { cat "$out/d5"; fail "confusion matrix differs"; }
echo "ok: 10 losses, CSV, test accuracy $acc_printed %, 10 classes and the confusion matrix match the dashboard"
