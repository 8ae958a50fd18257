#!/usr/bin/env bash
# Issue 7 in the window: no display, no font, the window resized very small,
# and the data directory missing. Expected: a one-line message and exit 1 when
# the app cannot run at all (no display, no font); otherwise the app keeps
# working (keys still step, F12 still writes a screenshot of the window's real
# size) and quits with exit 0. Never a crash or a hang.
# Skips (77) without xvfb-run or xdotool.
cd "$(dirname "$0")/../.." || exit 1
source tests/sh/window_lib.bash
window_test_begin
fail() { echo "FAIL: $*"; exit 1; }

# ---- no display: SDL would fall back to an invisible driver; the app must refuse ----
timeout 20 env -u DISPLAY -u WAYLAND_DISPLAY -u SDL_VIDEODRIVER "$BIN" --lesson lessons/02_convolution.lesson \
    >"$out/stdout" 2>"$out/stderr"
rc=$?
[ $rc -eq 124 ] && fail "without a display the app ran (invisibly) until killed"
[ $rc -eq 1 ] || fail "without a display: exit $rc, expected 1: $(cat "$out/stderr")"
tail -n 1 "$out/stderr" | grep -q "no display to open a window on.*xvfb-run, or use --batch" ||
    fail "without a display: $(cat "$out/stderr")"

# ---- no font installed: fontconfig with an empty configuration -------------------------
printf '<?xml version="1.0"?>\n<fontconfig><dir>/nonexistent</dir><cachedir>%s/fc</cachedir></fontconfig>\n' "$out" >"$out/empty.conf"
FONTCONFIG_FILE="$out/empty.conf" timeout 30 xvfb-run -a -s "-screen 0 1280x800x24" \
    "$BIN" --lesson lessons/02_convolution.lesson >"$out/stdout" 2>"$out/stderr"
rc=$?
[ $rc -eq 1 ] || fail "without fonts: exit $rc, expected 1: $(cat "$out/stderr")"
[ "$(wc -l <"$out/stderr")" -eq 1 ] || fail "without fonts: expected one line, got: $(cat "$out/stderr")"
grep -q "no Latin font.*HINT: apt-get install fonts-dejavu-core" "$out/stderr" || fail "without fonts: $(cat "$out/stderr")"

# ---- a very small window, without data --------------------------------------------------
cat > "$out/drive.sh" <<'EOS'
#!/usr/bin/env bash
source "$WINDOW_LIB"
# runs inside xvfb-run: $1 = binary, $2 = scratch dir
BIN=$1; OUT=$2
CONVLAB_SCREENSHOT="$OUT/shot.png" "$BIN" --lesson lessons/05_multichannel.lesson --data "$OUT/no-data" --size 1024x640 \
    >"$OUT/stdout" 2>"$OUT/stderr" &
pid=$!
fail() { echo "FAIL: $1"; kill $pid 2>/dev/null; wait $pid 2>/dev/null; exit 1; }
alive() { kill -0 $pid 2>/dev/null || fail "the app died $1: $(cat "$OUT/stderr")"; }
window_find || fail "no window appeared"
title() { window_title; }
wait_title() {
    for i in $(seq 1 50); do title | grep -Eq "$1" && return 0; sleep 0.1; done
    fail "title is '$(title)', expected /$1/"
}
wait_title "step 1/"
sleep 1                                       # the (missing) data is looked for after the first frame
alive "without its data directory"
xdotool windowsize "$win" 50 40
sleep 0.5
alive "after resizing to 50x40"
xdotool key --window "$win" Right Right
wait_title "step 3/"
xdotool key --window "$win" F12
for i in $(seq 1 50); do [ -s "$OUT/shot.png" ] && break; sleep 0.1; done
[ -s "$OUT/shot.png" ] || fail "F12 wrote no screenshot at 50x40"
python3 -c 'import struct,sys; d=open(sys.argv[1],"rb").read(24); sys.exit(struct.unpack(">II", d[16:24]) != (50, 40))' \
    "$OUT/shot.png" || fail "the screenshot is not 50x40"
# smaller still, then every screen and overlay the keys reach
xdotool windowsize "$win" 1 1
sleep 0.3
xdotool key --window "$win" End question Escape Down l p p plus minus n t
sleep 1
alive "at 1x1 with keys (help, lessons, language, auto-play, training screen)"
xdotool windowsize "$win" 900 560
xdotool key --window "$win" t                # on the training screen: start (no data: a message, no crash)
sleep 0.5
alive "after growing back"
xdotool key --window "$win" q
for i in $(seq 1 100); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
kill -0 $pid 2>/dev/null && fail "Q did not quit"
wait $pid
rc=$?
[ $rc -eq 0 ] || { echo "FAIL: exit status $rc"; cat "$OUT/stderr"; exit 1; }
echo "ok: 50x40 and 1x1 windows: keys step, screenshot 50x40, quit 0"
EOS
xvfb-run -a -s "-screen 0 1280x800x24" bash "$out/drive.sh" "$BIN" "$out"
rc=$?
[ $rc -eq 0 ] || { echo "--- stderr:"; cat "$out/stderr" 2>/dev/null; exit 1; }
echo ok
