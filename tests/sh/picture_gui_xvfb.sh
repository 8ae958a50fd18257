#!/usr/bin/env bash
# The window under Xvfb with --image FILE: a magenta-and-green picture goes
# through lesson 5 (the picture and its R, G, B planes), V toggles to the
# CIFAR image and back, lesson 8 runs it through the network, lesson 11
# shows its conversion and Grad-CAM, and the
# training screen opens; each state is captured with `import` and checked for
# the picture's magenta (present with the picture, absent with CIFAR); the
# training screen's "Inside the network" and predictions show it with its
# saliency and Grad-CAM, also while it trains for a few seconds.
# PICTURE_SHOTS=DIR keeps the screenshots. Skips (77) without xvfb-run,
# xdotool or ImageMagick.
cd "$(dirname "$0")/../.." || exit 1
source tests/sh/window_lib.bash
window_test_begin import convert
# 480x320: a magenta disc on green; the centred 320x320 square is what the network sees
convert -size 480x320 xc:'#20a040' -fill '#ff00ff' -draw 'circle 240,160 240,60' "$out/pic.png"

cat > "$out/drive.sh" <<'EOS'
#!/usr/bin/env bash
source "$WINDOW_LIB"
BIN=$1; OUT=$2
CONVLAB_AUTOSAVE="$OUT/auto.safetensors" "$BIN" --lesson 5 --image "$OUT/pic.png" --size 1024x640 >"$OUT/stdout" 2>"$OUT/stderr" &
pid=$!
window_find || { echo "no window appeared"; kill $pid; exit 1; }
fail() { echo "$*"; kill $pid 2>/dev/null; exit 1; }
title() { window_title; }
wait_title() { for i in $(seq 1 50); do title | grep -q "$1" && return 0; sleep 0.1; done; fail "title is '$(title)', expected '$1'"; }
shot() { sleep 0.6; import -window root "$OUT/$1.png" || fail "import failed"; }
# magenta pixels (the picture's disc) in a screenshot
magenta() { convert "$OUT/$1.png" -fuzz 15% -fill black +opaque '#ff00ff' -fill white -opaque '#ff00ff' -format '%[fx:int(mean*w*h)]' info:; }
wait_title "Lesson 5/.*step 1/"
shot lesson5_picture
xdotool key --window "$win" v
shot lesson5_cifar
xdotool key --window "$win" v
shot lesson5_picture_again
xdotool key --window "$win" 8
wait_title "Lesson 8/"
for i in 1 2 3 4 5; do xdotool key --window "$win" Right; done
wait_title "step 6/"
shot lesson8_conv2
xdotool key --window "$win" Down Down Down Down Down Down Down Down
wait_title "Lesson 16/.*step 1/"
shot lesson16_original
xdotool key --window "$win" End
wait_title "Lesson 16/.*step 6/"
shot lesson16_gradcam
xdotool key --window "$win" t
wait_title "Training"
sleep 1.5   # the session publishes the picture's maps after the screen activates
shot training
xdotool key --window "$win" t   # train a few seconds: the picture's maps follow the weights
sleep 5
shot training_running
xdotool key --window "$win" t
kill -0 $pid 2>/dev/null || fail "the window died"
xdotool key --window "$win" q
for i in $(seq 1 50); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
kill -0 $pid 2>/dev/null && fail "Q did not quit"
wait $pid || { cat "$OUT/stderr"; echo "exit status $?"; exit 1; }
a=$(magenta lesson5_picture) b=$(magenta lesson5_cifar) c=$(magenta lesson5_picture_again) d=$(magenta lesson8_conv2)
e=$(magenta training) f=$(magenta lesson16_original) g=$(magenta training_running)
echo "magenta pixels: picture $a, CIFAR $b, picture again $c, lesson 8 $d, lesson 16 $f, training screen $e"
[ "$a" -gt 20000 ] || fail "lesson 5 does not show the picture ($a magenta pixels)"
[ "$b" -lt 200 ] || fail "V did not switch to CIFAR ($b magenta pixels)"
[ "$c" -eq "$a" ] || fail "V back did not restore the picture ($c vs $a)"
[ "$d" -gt 2000 ] || fail "lesson 8 does not show the picture ($d magenta pixels)"
[ "$f" -gt 5000 ] || fail "lesson 16 does not show the picture ($f magenta pixels)"
[ "$e" -gt 500 ] || fail "the training screen does not show the picture ($e magenta pixels)"
[ "$g" -gt 500 ] || fail "the training screen lost the picture while training ($g magenta pixels)"
echo "ok: --image through lessons 5 and 8, V toggles, training screen, quit 0"
EOS
xvfb-run -a -s "-screen 0 1280x800x24" bash "$out/drive.sh" "$BIN" "$out"
rc=$?
[ $rc -eq 0 ] || { echo "--- stderr:"; cat "$out/stderr" 2>/dev/null; }
if [ -n "${PICTURE_SHOTS:-}" ]; then mkdir -p "$PICTURE_SHOTS" && cp "$out"/*.png "$PICTURE_SHOTS"/; fi
exit $rc
