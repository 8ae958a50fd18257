#!/usr/bin/env bash
# Shift+F12 in the window under Xvfb: lesson 02 at step 2 (a 3x3 output with a
# window) writes a GIF of 9 frames (one per window position), says where on
# stdout, and the window keeps working (Right then moves to step 3), also when
# the key comes while the GIF is still being written.
# Skips (77) without xvfb-run, xdotool or identify.
cd "$(dirname "$0")/../.." || exit 1
source tests/sh/window_lib.bash
window_test_begin identify
cat > "$out/drive.sh" <<'EOS'
source "$WINDOW_LIB"
BIN=$1; OUT=$2
CONVLAB_SWEEP_GIF="$OUT/sweep.gif" CONVLAB_DATA="$OUT/none" "$BIN" --lesson 2 --step 2 --size 800x500 >"$OUT/stdout" 2>"$OUT/stderr" &
pid=$!
window_find || { echo "no window appeared"; kill $pid; exit 1; }
window_wait_title "step 2/" 50 >/dev/null
xdotool key --window "$win" shift+F12
for i in $(seq 1 100); do [ -s "$OUT/sweep.gif" ] && break; sleep 0.1; done
[ -s "$OUT/sweep.gif" ] || { echo "Shift+F12 wrote no GIF"; kill $pid; exit 1; }
n=$(identify "$OUT/sweep.gif" | wc -l)
[ "$n" = 9 ] || { echo "the sweep GIF has $n frames, expected 9"; kill $pid; exit 1; }
xdotool key --window "$win" Right
window_wait_title "step 3/" 50 || { echo "the window stopped stepping"; kill $pid; exit 1; }
# Shift+F12 and at once a key: the window answers (it finishes drawing the
# frames first; they are encoded in the background) and the GIF is complete.
rm -f "$OUT/sweep.gif"
xdotool key --window "$win" Left
window_wait_title "step 2/" 50 >/dev/null
xdotool key --window "$win" shift+F12 Right
window_wait_title "step 3/" 50 || { echo "a key during the export was lost"; kill $pid; exit 1; }
for i in $(seq 1 100); do [ "$(grep -c "sweep GIF" "$OUT/stdout")" = 2 ] && break; sleep 0.1; done
n=$(identify "$OUT/sweep.gif" 2>/dev/null | wc -l)
[ "$n" = 9 ] || { echo "the GIF written while stepping has $n frames, expected 9"; kill $pid; exit 1; }
[ ! -e "$OUT/sweep.gif.tmp" ] || { echo "the temporary GIF was left"; kill $pid; exit 1; }
xdotool key --window "$win" q
wait $pid || { echo "exit status $?"; exit 1; }
[ "$(grep -c "sweep GIF: $OUT/sweep.gif (9 frames)" "$OUT/stdout")" = 2 ] || { echo "stdout: $(cat "$OUT/stdout")"; exit 1; }
echo ok
EOS
xvfb-run -a -s "-screen 0 1280x800x24" bash "$out/drive.sh" "$BIN" "$out"
rc=$?
[ $rc -eq 0 ] || { echo "--- stderr:"; cat "$out/stderr" 2>/dev/null; }
exit $rc
