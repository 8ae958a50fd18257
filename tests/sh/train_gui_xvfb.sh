#!/usr/bin/env bash
# The training screen in the real window under Xvfb: from a lesson press T
# (opens the training screen), T (start), wait, T (pause); the step counter in
# the window title must have advanced and stay put while paused; an F12
# screenshot of the dashboard is written; Q quits mid-run with exit status 0
# (the training thread is stopped and joined). F1/? show the keys; N runs
# exactly one mini-batch; slow motion (-) trains about 3 a second.
# Then no run is lost: Esc during a run asks first (the window stays), a second
# Esc saves the run to $CONVLAB_AUTOSAVE and quits; the next session's O loads
# that file; closing the window (WM_DELETE_WINDOW, as a window manager's close
# button sends) and SIGTERM save it too. Each autosave must carry the batch
# trainer's metadata (steps_done > 0).
# Skips (77) without xvfb-run/xdotool or without the CIFAR-10 data.
cd "$(dirname "$0")/../.." || exit 1
source tests/sh/window_lib.bash
window_test_begin data

cat > "$out/drive.sh" <<'EOS'
#!/usr/bin/env bash
source "$WINDOW_LIB"
# runs inside xvfb-run: $1 = binary, $2 = scratch dir
BIN=$1; OUT=$2
CONVLAB_SCREENSHOT="$OUT/shot.png" CONVLAB_CHECKPOINT="$OUT/ck.safetensors" CONVLAB_AUTOSAVE="$OUT/auto.safetensors" \
    "$BIN" --size 1280x800 >"$OUT/stdout" 2>"$OUT/stderr" &
pid=$!
fail() { echo "$1"; kill $pid 2>/dev/null; wait $pid 2>/dev/null; exit 1; }
window_find || fail "no window appeared"
title() { window_title; }
wait_title() { # waits up to $2 tenths of a second until the title matches the regex $1
    for i in $(seq 1 "${2:-100}"); do title | grep -Eq "$1" && return 0; sleep 0.1; done
    echo "title is '$(title)', expected /$1/"; return 1
}
step_of() { title | sed -n 's/.*step \([0-9]*\)\/.*/\1/p'; }
wait_title "convlab —" 100 || fail "the lesson player did not start"
sleep 1                                  # the data loads after the first frame
xdotool key --window "$win" t            # lesson -> training screen
wait_title "Training .* ready" 300 || fail "T did not open the training screen"
xdotool key --window "$win" t            # start
wait_title "training$" 100 || fail "T did not start training"
sleep 3
xdotool key --window "$win" t            # pause
wait_title "paused$" 100 || fail "T did not pause"
s1=$(step_of)
[ -n "$s1" ] && [ "$s1" -gt 0 ] || fail "the step counter did not advance: '$(title)'"
sleep 1
s2=$(step_of)
[ "$s1" = "$s2" ] || fail "steps advanced while paused: $s1 -> $s2"
# view keys and clicks must not disturb training state: log scale, zoom, a
# confusion cell, a picture
xdotool key --window "$win" g z z g
xdotool mousemove --window "$win" 966 416 click 1   # confusion cell (3, 3)
xdotool mousemove --window "$win" 350 450 click 1   # a picture of its list
xdotool key --window "$win" Escape   # closes the cell's picture list, not the program
sleep 0.5
kill -0 $pid 2>/dev/null || fail "the program died on view keys or clicks"
s3=$(step_of)
[ "$s3" = "$s1" ] || fail "view keys changed the step: $s1 -> $s3"
xdotool key --window "$win" F12
for i in $(seq 1 50); do [ -s "$OUT/shot.png" ] && break; sleep 0.1; done
[ -s "$OUT/shot.png" ] || fail "F12 wrote no screenshot"
# F1 shows the keys over the dashboard (the screenshot changes), Esc closes them
# (the program stays: Esc with the help open is not a quit), ? shows them again
shoot() { # F12 into $OUT/$1.png
    rm -f "$OUT/shot.png"
    xdotool key --window "$win" F12
    for i in $(seq 1 50); do [ -s "$OUT/shot.png" ] && break; sleep 0.1; done
    [ -s "$OUT/shot.png" ] || fail "F12 wrote no screenshot ($1)"
    mv "$OUT/shot.png" "$OUT/$1.png"
}
same() { [ "$(compare -metric AE "$OUT/$1.png" "$OUT/$2.png" null: 2>&1)" = "0" ]; }  # same pixels
shoot plain
xdotool key --window "$win" F1
shoot help
same plain help && fail "F1 changed nothing on the training screen"
xdotool key --window "$win" Escape
shoot closed
kill -0 $pid 2>/dev/null || fail "Esc with the help open quit the program"
same plain closed || fail "Esc did not close the help (the screen differs from before F1)"
xdotool key --window "$win" question
shoot help2
same help help2 || fail "? did not show the same help as F1"
xdotool key --window "$win" F1
# single step: N runs exactly one mini-batch and stays paused
sa=$(step_of)
xdotool key --window "$win" n
wait_title "step $((sa + 1))/.* paused$" 100 || fail "N did not run one mini-batch (was step $sa)"
sleep 0.7
[ "$(step_of)" = "$((sa + 1))" ] || fail "N ran more than one mini-batch: $sa -> $(step_of)"
xdotool key --window "$win" n n
wait_title "step $((sa + 3))/.* paused$" 100 || fail "two more N did not give step $((sa + 3))"
# slow motion: four steps slower is 3 mini-batches a second
xdotool key --window "$win" minus minus minus minus t
wait_title "training$" 100 || fail "T did not resume in slow motion"
sb=$(step_of); sleep 2; sc=$(step_of)
xdotool key --window "$win" t
wait_title "paused$" 100 || fail "T did not pause the slow motion"
[ $((sc - sb)) -ge 2 ] && [ $((sc - sb)) -le 9 ] || fail "slow motion at 3/s trained $((sc - sb)) mini-batches in 2 s"
xdotool key --window "$win" plus plus plus plus   # full speed again
xdotool key --window "$win" t            # resume, then quit while training runs
wait_title "training$" 100 || fail "T did not resume"
sleep 1
xdotool key --window "$win" q
for i in $(seq 1 100); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
kill -0 $pid 2>/dev/null && fail "Q did not quit while training (thread not stopped?)"
wait $pid
rc=$?
[ $rc -eq 0 ] || { echo "exit status $rc"; cat "$OUT/stderr"; exit 1; }
echo "ok: trained to step $s1, paused (no steps while paused), screenshot, F1/? help and Esc closing it, N = one mini-batch, slow motion $((sc - sb)) in 2 s at 3/s, quit mid-run with 0"
EOS
cat > "$out/autosave.sh" <<'EOS'
#!/usr/bin/env bash
source "$WINDOW_LIB"
# runs inside xvfb-run: $1 = binary, $2 = scratch dir, $3 = wm_close.py
BIN=$1; OUT=$2; CLOSE=$3
export CONVLAB_AUTOSAVE="$OUT/auto.safetensors"
pid=""; win=""
fail() { echo "$1"; [ -n "$pid" ] && kill $pid 2>/dev/null; wait $pid 2>/dev/null; cat "$OUT/stderr2"; exit 1; }
title() { window_title; }
wait_title() {
    for i in $(seq 1 "${2:-100}"); do title | grep -Eq "$1" && return 0; sleep 0.1; done
    echo "title is '$(title)', expected /$1/"; return 1
}
launch() { # opens the training screen and waits until it is ready
    "$BIN" --train --size 1280x800 >"$OUT/stdout2" 2>"$OUT/stderr2" &
    pid=$!
    window_find || fail "no window appeared"
    wait_title "Training.* ready" 300 || fail "the training screen did not open"
}
train_a_while() {
    xdotool key --window "$win" t
    wait_title "training$" 100 || fail "T did not start training"
    sleep 1.5
}
wait_exit() { # $1 = what quit; the process must end with status 0 and leave an autosave
    for i in $(seq 1 150); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
    kill -0 $pid 2>/dev/null && fail "$1 did not quit"
    wait $pid; local rc=$?
    [ $rc -eq 0 ] || fail "$1: exit status $rc"
    [ -s "$CONVLAB_AUTOSAVE" ] || fail "$1 left no autosave"
    grep -aq '"steps_done":"[1-9]' "$CONVLAB_AUTOSAVE" || fail "$1: the autosave lacks steps_done"
    grep -q "saved the run" "$OUT/stderr2" || fail "$1: no message about the autosave"
    pid=""
}
# 1. Esc asks, Esc again saves and quits
launch
train_a_while
xdotool key --window "$win" Escape
sleep 1
kill -0 $pid 2>/dev/null || fail "the first Esc during a run quit without asking"
xdotool key --window "$win" Escape
wait_exit "Esc, Esc"
# 2. the next session: O loads the autosave; closing the window saves the new run
launch
xdotool key --window "$win" o
wait_title "loaded auto.safetensors" 200 || fail "O did not load the autosave"
rm -f "$CONVLAB_AUTOSAVE"
train_a_while
/usr/bin/python3 "$CLOSE" "$win" || fail "could not send WM_DELETE_WINDOW"
wait_exit "closing the window"
# 3. SIGTERM saves
rm -f "$CONVLAB_AUTOSAVE"
launch
train_a_while
kill -TERM $pid
wait_exit "SIGTERM"
# 4. Esc with no run quits at once and writes nothing
rm -f "$CONVLAB_AUTOSAVE"
launch
xdotool key --window "$win" Escape
for i in $(seq 1 100); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
kill -0 $pid 2>/dev/null && fail "Esc without a run did not quit"
[ -e "$CONVLAB_AUTOSAVE" ] && fail "an autosave was written without a run"
echo "ok: autosave on Esc-Esc, window close and SIGTERM; O loads it; Esc without a run quits"
EOS
xvfb-run -a -s "-screen 0 1280x800x24" bash "$out/drive.sh" "$BIN" "$out"
rc=$?
if [ $rc -eq 0 ]; then
    xvfb-run -a -s "-screen 0 1280x800x24" bash "$out/autosave.sh" "$BIN" "$out" "$PWD/tests/sh/wm_close.py"
    rc=$?
fi
[ $rc -eq 0 ] || { echo "--- stderr:"; cat "$out/stderr" 2>/dev/null; }
[ $rc -eq 0 ] && [ -n "${KEEP_SHOT:-}" ] && cp "$out/shot.png" "$KEEP_SHOT"
exit $rc
