#!/usr/bin/env bash
# The training screen's networks under Xvfb: Tab Tab picks the third net of
# assets/nets/ (lenet5), W ] doubles conv1's width (conv2's in_channels
# follows), W W . asks conv3 for a 7x7 kernel on its 5x5 input, which PyTorch
# refuses (the net stays as it was); T trains it, T pauses, S saves: the
# checkpoint records lenet5 with exactly those edits.
# Skips (77) without xvfb-run/xdotool or without the CIFAR-10 data.
cd "$(dirname "$0")/../.." || exit 1
source tests/sh/window_lib.bash
window_test_begin data

cat > "$out/drive.sh" <<'EOS'
#!/usr/bin/env bash
source "$WINDOW_LIB"
BIN=$1; OUT=$2
CONVLAB_CHECKPOINT="$OUT/ck.safetensors" "$BIN" --train --size 1280x800 >"$OUT/stdout" 2>"$OUT/stderr" &
pid=$!
fail() { echo "$1"; kill $pid 2>/dev/null; wait $pid 2>/dev/null; exit 1; }
window_find || fail "no window appeared"
wait_title() { window_wait_title "$@"; }

wait_title "Training .* ready" 300 || fail "the training screen did not get ready"
for k in Tab Tab w bracketright w w period t; do xdotool key --window "$win" "$k"; sleep 0.3; done
wait_title "training$" 100 || fail "T did not start the edited net"
sleep 3
xdotool key --window "$win" t
wait_title "paused$" 100 || fail "T did not pause"
xdotool key --window "$win" s
for i in $(seq 1 50); do [ -s "$OUT/ck.safetensors" ] && break; sleep 0.1; done
xdotool key --window "$win" q
wait $pid || fail "exit status $? after Q"
EOS
timeout 180 xvfb-run -a -s "-screen 0 1280x800x24" bash "$out/drive.sh" "$BIN" "$out" || { cat "$out/stderr"; exit 1; }
ck=$out/ck.safetensors
[ -s "$ck" ] || { echo "FAIL: S wrote no checkpoint"; exit 1; }
header=$(head -c 4096 "$ck" | tr -d '\0')
for want in '"model":"lenet5"' '(conv1): Conv2d(3, 12, 5)\n' '(conv2): Conv2d(12, 16, 5)\n' '(conv3): Conv2d(16, 120, 5)\n'; do
    printf '%s' "$header" | grep -qF -- "$want" || { echo "FAIL: the checkpoint lacks $want: $header"; exit 1; }
done
# Its weights load back into the edited net without --net, and the CLI evaluates them.
"$BIN" --batch eval --load "$ck" --test-limit 100 >/dev/null 2>"$out/err" || { echo "FAIL: eval of the saved run: $(cat "$out/err")"; exit 1; }
echo ok
