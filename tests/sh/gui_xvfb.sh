#!/usr/bin/env bash
# The real window under Xvfb: start convlab on lesson 02, send keys with
# xdotool, check the step in the window title changed (and an F12 screenshot
# was written), the window's sweep keys (, . J) and a jumping step's slide
# move the position in the title, quit with Q and check the exit status is 0.
# Skips (77) without xvfb-run or xdotool.
cd "$(dirname "$0")/../.." || exit 1
source tests/sh/window_lib.bash
window_test_begin

cat > "$out/drive.sh" <<'EOS'
#!/usr/bin/env bash
source "$WINDOW_LIB"
# runs inside xvfb-run: $1 = binary, $2 = scratch dir
BIN=$1; OUT=$2
CONVLAB_SCREENSHOT="$OUT/shot.png" "$BIN" --lesson lessons/02_convolution.lesson --size 1024x640 >"$OUT/stdout" 2>"$OUT/stderr" &
pid=$!
window_find || { echo "no window appeared"; kill $pid; exit 1; }
title() { window_title; }
wait_title() { # waits until the title contains $1
    for i in $(seq 1 50); do title | grep -q "$1" && return 0; sleep 0.1; done
    echo "title is '$(title)', expected '$1'"; return 1
}
wait_title "step 1/" || { kill $pid; exit 1; }
xdotool key --window "$win" Right
# the window's sweep: . and , step one position, J plays it (+ + + : 3x, 0.83 s a position)
wait_title "step 2/10 · position 1/9" || { kill $pid; exit 1; }
xdotool key --window "$win" period period
wait_title "position 3/9" || { kill $pid; exit 1; }
xdotool key --window "$win" comma
wait_title "position 2/9" || { kill $pid; exit 1; }
xdotool key --window "$win" plus plus plus j
wait_title "position 4/9" || { kill $pid; exit 1; }
for i in $(seq 1 80); do title | grep -q "position 9/9" && break; sleep 0.1; done
wait_title "step 2/10 · position 9/9" || { kill $pid; exit 1; }
# a step whose window jumps ahead (step 5: position 4 -> step 6: position 9) slides through
# 5..8 (at speed 1: 0.8 s a position, the whole slide at most 4 s)
xdotool key --window "$win" minus minus minus Right Right Right
wait_title "step 5/10 · position 4/9" || { kill $pid; exit 1; }
xdotool key --window "$win" Right
wait_title "step 6/10 · position [5-8]/9" || { kill $pid; exit 1; }
wait_title "step 6/10 · position 9/9" || { kill $pid; exit 1; }
xdotool key --window "$win" Home
wait_title "step 1/" || { kill $pid; exit 1; }
xdotool key --window "$win" Right
wait_title "step 2/" || { kill $pid; exit 1; }
xdotool key --window "$win" space
wait_title "step 3/" || { kill $pid; exit 1; }
xdotool key --window "$win" Left
wait_title "step 2/" || { kill $pid; exit 1; }
xdotool key --window "$win" End
wait_title "step 10/10" || { kill $pid; exit 1; }
xdotool key --window "$win" Home
wait_title "step 1/" || { kill $pid; exit 1; }
# lesson numbers follow the files in lessons/: read ours from the title
n=$(title | sed -n 's/.*Lesson \([0-9]*\)\/.*/\1/p')
[ -n "$n" ] || { echo "no lesson number in '$(title)'"; kill $pid; exit 1; }
xdotool key --window "$win" Down
wait_title "Lesson $((n + 1))/" || { kill $pid; exit 1; }
xdotool key --window "$win" Up
wait_title "Lesson $n/.*step 1/" || { kill $pid; exit 1; }
xdotool key --window "$win" 1
xdotool key --window "$win" Right
wait_title "step 2/" || { kill $pid; exit 1; }
# language, help, auto-play, images and the mouse must not disturb the step
xdotool key --window "$win" l question Escape p p n shift+n
xdotool mousemove --window "$win" 120 330 click 1
xdotool mousemove --window "$win" 200 400
sleep 0.5
kill -0 $pid 2>/dev/null || { echo "the window died after keys/mouse"; exit 1; }
wait_title "step 2/" || { kill $pid; exit 1; }
xdotool key --window "$win" Home
wait_title "step 1/" || { kill $pid; exit 1; }
xdotool key --window "$win" F12
for i in $(seq 1 50); do [ -s "$OUT/shot.png" ] && break; sleep 0.1; done
[ -s "$OUT/shot.png" ] || { echo "F12 wrote no screenshot"; kill $pid; exit 1; }
xdotool key --window "$win" q
for i in $(seq 1 50); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
if kill -0 $pid 2>/dev/null; then echo "Q did not quit"; kill $pid; exit 1; fi
wait $pid
rc=$?
[ $rc -eq 0 ] || { echo "exit status $rc"; cat "$OUT/stderr"; exit 1; }
echo "ok: steps, lessons, keys, mouse, screenshot, quit 0"
EOS
xvfb-run -a -s "-screen 0 1280x800x24" bash "$out/drive.sh" "$BIN" "$out"
rc=$?
[ $rc -eq 0 ] || { echo "--- stderr:"; cat "$out/stderr" 2>/dev/null; }
exit $rc
