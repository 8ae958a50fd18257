#!/usr/bin/env bash
# Shift+F12 in the window under Xvfb: lesson 02 at step 2 (a 3x3 output with a
# window) writes a GIF of 9 frames (one per window position), says where on
# stdout, and the window keeps working (Right then moves to step 3), also when
# the key comes while the GIF is still being written.
# Skips (77) without xvfb-run, xdotool or identify.
cd "$(dirname "$0")/../.." || exit 1
BIN=${CONVLAB:-./convlab}
for t in xvfb-run xdotool identify; do command -v $t >/dev/null || { echo "$t not installed"; exit 77; }; done
[ -x "$BIN" ] || { echo "$BIN not built"; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cat > "$out/drive.sh" <<'EOS'
BIN=$1; OUT=$2
CONVLAB_SWEEP_GIF="$OUT/sweep.gif" CONVLAB_DATA="$OUT/none" "$BIN" --lesson 2 --step 2 --size 800x500 >"$OUT/stdout" 2>"$OUT/stderr" &
pid=$!
# (a window id found while SDL is still setting up may be gone a moment later: take one that answers)
for i in $(seq 1 100); do
    win=$(xdotool search --class convlab 2>/dev/null | tail -n 1)
    [ -n "$win" ] && xdotool getwindowname "$win" >/dev/null 2>&1 && break
    win=""; sleep 0.1
done
[ -n "$win" ] || { echo "no window appeared"; kill $pid; exit 1; }
for i in $(seq 1 50); do xdotool getwindowname "$win" | grep -q "step 2/" && break; sleep 0.1; done
xdotool key --window "$win" shift+F12
for i in $(seq 1 100); do [ -s "$OUT/sweep.gif" ] && break; sleep 0.1; done
[ -s "$OUT/sweep.gif" ] || { echo "Shift+F12 wrote no GIF"; kill $pid; exit 1; }
n=$(identify "$OUT/sweep.gif" | wc -l)
[ "$n" = 9 ] || { echo "the sweep GIF has $n frames, expected 9"; kill $pid; exit 1; }
xdotool key --window "$win" Right
for i in $(seq 1 50); do xdotool getwindowname "$win" | grep -q "step 3/" && break; sleep 0.1; done
xdotool getwindowname "$win" | grep -q "step 3/" || { echo "the window stopped stepping: $(xdotool getwindowname "$win")"; kill $pid; exit 1; }
# Shift+F12 and at once a key: the window answers (it finishes drawing the
# frames first; they are encoded in the background) and the GIF is complete.
rm -f "$OUT/sweep.gif"
xdotool key --window "$win" Left
for i in $(seq 1 50); do xdotool getwindowname "$win" | grep -q "step 2/" && break; sleep 0.1; done
xdotool key --window "$win" shift+F12 Right
for i in $(seq 1 50); do xdotool getwindowname "$win" | grep -q "step 3/" && break; sleep 0.1; done
xdotool getwindowname "$win" | grep -q "step 3/" || { echo "a key during the export was lost: $(xdotool getwindowname "$win")"; kill $pid; exit 1; }
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
