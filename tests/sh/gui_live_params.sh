#!/usr/bin/env bash
# The real window under Xvfb: on lesson 4's live step, the A key (padding up)
# changes the frame, R resets it to the lesson's frame exactly, a step change
# drops the override, and clicking the bar's chip (left up, right down) acts
# like the key (F12 screenshots compared). Skips (77) without
# xvfb-run or xdotool.
cd "$(dirname "$0")/../.." || exit 1
source tests/sh/window_lib.bash
window_test_begin
[ -n "$KEEP_SHOTS" ] && trap 'cp "$out"/*.png "$KEEP_SHOTS"/; rm -rf "$out"' EXIT

cat > "$out/drive.sh" <<'EOS'
#!/usr/bin/env bash
source "$WINDOW_LIB"
BIN=$1; OUT=$2
n=0
shot() { # F12 -> $OUT/$1.png (the window saves to CONVLAB_SCREENSHOT)
    n=$((n + 1)); rm -f "$OUT/shot.png"
    sleep 0.8   # animations (<= 400 ms) settle
    xdotool key --window "$win" F12
    for i in $(seq 1 50); do [ -s "$OUT/shot.png" ] && break; sleep 0.1; done
    [ -s "$OUT/shot.png" ] || { echo "F12 wrote no screenshot"; kill $pid; exit 1; }
    sleep 0.2; mv "$OUT/shot.png" "$OUT/$1.png"
}
CONVLAB_SCREENSHOT="$OUT/shot.png" "$BIN" --lesson lessons/04_padding.lesson --size 1024x640 >"$OUT/stdout" 2>"$OUT/stderr" &
pid=$!
window_find || { echo "no window appeared"; kill $pid; exit 1; }
wait_title() { window_wait_title "$1" 50; }
xdotool key --window "$win" End Left
wait_title "step 8/" || { kill $pid; exit 1; }
shot lesson
xdotool key --window "$win" a
shot padding2
xdotool key --window "$win" r
shot reset
xdotool key --window "$win" a Right Left
wait_title "step 8/" || { kill $pid; exit 1; }
shot back
# the A chip of the bar (lesson layout at 1280x800: x 44, y 693; the window is 1024x640)
xdotool mousemove --window "$win" 35 554 click 1
shot clicked
xdotool mousemove --window "$win" 35 554 click 3
shot unclicked
xdotool mousemove --window "$win" 1000 20
xdotool key --window "$win" question
shot help
xdotool key --window "$win" F1
xdotool key --window "$win" q
wait $pid; rc=$?
[ $rc -eq 0 ] || { echo "exit status $rc"; cat "$OUT/stderr"; exit 1; }
EOS
xvfb-run -a -s "-screen 0 1280x800x24" bash "$out/drive.sh" "$BIN" "$out" || { echo "--- stderr:"; cat "$out/stderr" 2>/dev/null; exit 1; }
python3 - "$out" <<'PY' || exit 1
import sys, zlib, struct
def pixels(path):  # decode a PNG (8-bit RGB/RGBA, no interlace) into raw rows
    d = open(path, 'rb').read(); pos = 8; idat = b''; w = h = 0; ct = 0
    while pos < len(d):
        ln, = struct.unpack('>I', d[pos:pos+4]); typ = d[pos+4:pos+8]; body = d[pos+8:pos+8+ln]; pos += 12 + ln
        if typ == b'IHDR': w, h, _, ct = struct.unpack('>IIBB', body[:10])
        elif typ == b'IDAT': idat += body
    return zlib.decompress(idat)  # filtered rows: equal images give equal bytes from one encoder
d = sys.argv[1]
lesson, pad, reset, back, clicked, unclicked = (pixels(f'{d}/{n}.png') for n in
                                                ('lesson', 'padding2', 'reset', 'back', 'clicked', 'unclicked'))
assert lesson != pad, 'the A key did not change the frame'
assert lesson == reset, 'R did not restore the lesson frame'
assert lesson == back, 'a step change did not drop the override'
assert clicked == pad, 'a click on the padding chip should raise padding like A'
assert unclicked == lesson, 'a right-click on the chip should lower it again'
print('ok: A changes the frame, R resets, step change drops the override, chips click')
PY
