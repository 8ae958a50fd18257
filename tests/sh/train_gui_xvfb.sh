#!/usr/bin/env bash
# The training screen in the real window under Xvfb: from a lesson press T
# (opens the training screen), T (start), wait, T (pause); the step counter in
# the window title must have advanced and stay put while paused; an F12
# screenshot of the dashboard is written; Q quits mid-run with exit status 0
# (the training thread is stopped and joined).
# Skips (77) without xvfb-run/xdotool or without the CIFAR-10 data.
cd "$(dirname "$0")/../.." || exit 1
BIN=${CONVLAB:-./convlab}
command -v xvfb-run >/dev/null || { echo "xvfb-run not installed"; exit 77; }
command -v xdotool >/dev/null || { echo "xdotool not installed"; exit 77; }
[ -f data/cifar-10-batches-bin/data_batch_1.bin ] || { echo "no CIFAR-10 in data/ (make data)"; exit 77; }
[ -x "$BIN" ] || { echo "$BIN not built"; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

cat > "$out/drive.sh" <<'EOS'
#!/usr/bin/env bash
# runs inside xvfb-run: $1 = binary, $2 = scratch dir
BIN=$1; OUT=$2
CONVLAB_SCREENSHOT="$OUT/shot.png" CONVLAB_CHECKPOINT="$OUT/ck.safetensors" \
    "$BIN" --size 1280x800 >"$OUT/stdout" 2>"$OUT/stderr" &
pid=$!
fail() { echo "$1"; kill $pid 2>/dev/null; wait $pid 2>/dev/null; exit 1; }
win=""
for i in $(seq 1 100); do   # up to 10 s for the window
    win=$(xdotool search --onlyvisible --class "convlab" 2>/dev/null | head -n 1)
    [ -n "$win" ] && break
    sleep 0.1
done
[ -n "$win" ] || fail "no window appeared"
title() { xdotool getwindowname "$win"; }
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
xdotool mousemove --window "$win" 160 620 click 1
xdotool mousemove --window "$win" 800 600 click 1
xdotool key --window "$win" Escape   # closes the cell's picture list, not the program
sleep 0.5
kill -0 $pid 2>/dev/null || fail "the program died on view keys or clicks"
s3=$(step_of)
[ "$s3" = "$s1" ] || fail "view keys changed the step: $s1 -> $s3"
xdotool key --window "$win" F12
for i in $(seq 1 50); do [ -s "$OUT/shot.png" ] && break; sleep 0.1; done
[ -s "$OUT/shot.png" ] || fail "F12 wrote no screenshot"
xdotool key --window "$win" t            # resume, then quit while training runs
wait_title "training$" 100 || fail "T did not resume"
sleep 1
xdotool key --window "$win" q
for i in $(seq 1 100); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
kill -0 $pid 2>/dev/null && fail "Q did not quit while training (thread not stopped?)"
wait $pid
rc=$?
[ $rc -eq 0 ] || { echo "exit status $rc"; cat "$OUT/stderr"; exit 1; }
echo "ok: trained to step $s1, paused (no steps while paused), screenshot, quit mid-run with 0"
EOS
xvfb-run -a -s "-screen 0 1280x800x24" bash "$out/drive.sh" "$BIN" "$out"
rc=$?
[ $rc -eq 0 ] || { echo "--- stderr:"; cat "$out/stderr" 2>/dev/null; }
[ $rc -eq 0 ] && [ -n "${KEEP_SHOT:-}" ] && cp "$out/shot.png" "$KEEP_SHOT"
exit $rc
