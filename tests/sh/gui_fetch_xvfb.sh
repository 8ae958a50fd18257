#!/usr/bin/env bash
# The window without CIFAR-10 (an empty $XDG_DATA_HOME, started from a scratch
# folder), under Xvfb, keys sent with xdotool:
#  1. the step that needs images offers D; D downloads CIFAR-10 (the runner of
#     --batch fetch-data, from CIFAR10_URL) into $XDG_DATA_HOME/convlab/ under a
#     progress card; then the step shows its image, pixel for pixel as a window
#     started with the data does, and the training screen trains (T): no restart;
#  2. a download that fails shows its one-line error on the card; Esc closes it;
#  3. Esc in the middle of a download (the source is a FIFO that stalls) cancels
#     it: the window stays, the partial download is kept for resume, nothing that
#     looks like data is left, curl is gone.
# The tarball: $CIFAR10_URL if it is a file:// that exists (CI points it at
# ../shared), else ../shared/cifar-10-binary.tar.gz beside the clone, else a
# small fake one (tests/sh/data_lib.bash). CONVLAB_TEST_SHOTS=DIR keeps
# screenshots of the offer, the progress card and the error there.
# Skips (77) without xvfb-run or xdotool.
cd "$(dirname "$0")/../.." || exit 1
export WINDOW_LIB=$PWD/tests/sh/window_lib.bash
command -v xvfb-run >/dev/null || { echo "xvfb-run not installed"; exit 77; }
command -v xdotool >/dev/null || { echo "xdotool not installed"; exit 77; }
source tests/sh/data_lib.bash
CONVLAB=${CONVLAB:-./convlab}
[ -x "$CONVLAB" ] || die "$CONVLAB not built"
BIN=$(cd "$(dirname "$CONVLAB")" && pwd)/$(basename "$CONVLAB")

src="" sum=""
if [ -n "${CIFAR10_URL:-}" ] && [ "${CIFAR10_URL#file://}" != "$CIFAR10_URL" ] && [ -f "${CIFAR10_URL#file://}" ]; then
    src=${CIFAR10_URL#file://} sum=${CIFAR10_SHA256:-}
elif [ -f ../shared/cifar-10-binary.tar.gz ]; then
    src=$(cd ../shared && pwd)/cifar-10-binary.tar.gz
else
    make_tarball "$WORK/fake.tar.gz"
    src=$WORK/fake.tar.gz
fi
[ -n "$sum" ] || sum=$(sha256_of "$src")
mkdir -p "$WORK/cwd" "$WORK/home"
export BIN WORK src sum SHOTS=${CONVLAB_TEST_SHOTS:-}

cat > "$WORK/drive.sh" <<'EOS'
#!/usr/bin/env bash
source "$WINDOW_LIB"
# runs inside xvfb-run
set -u
die() { echo "FAIL: $*"; [ -n "${pid:-}" ] && kill $pid 2>/dev/null; exit 1; }
# start NAME XDG URL [ARGS...]: the window from a scratch folder; sets pid, win, out
start() {
    local name=$1 xdg=$2 url=$3; shift 3
    out=$WORK/$name.out
    (cd "$WORK/cwd" && exec env -u CONVLAB_DATA -u CIFAR10_MD5 HOME="$WORK/home" XDG_DATA_HOME="$xdg" CIFAR10_URL="$url" \
        CIFAR10_SHA256="$sum" CONVLAB_SCREENSHOT="$WORK/shot.png" "$BIN" --lesson 3 --step 8 --size 1024x640 "$@" >"$out" 2>"$out.err") &
    pid=$!
    window_find || die "$name: no window appeared: $(cat "$out.err")"
    wait_title "step 8/"
    sleep 1 # CIFAR-10 is tried after the first frame
}
title() { window_title; }
wait_title() { for _ in $(seq 100); do title | grep -q "$1" && return 0; sleep 0.1; done; die "title is '$(title)', expected '$1'"; }
wait_out() { # wait_out PATTERN SECONDS: until the window's stdout has the line
    for _ in $(seq $(($2 * 10))); do grep -q "$1" "$out" && return 0; sleep 0.1; done
    die "no '$1' on stdout within $2 s: $(cat "$out") $(tail -n 3 "$out.err")"
}
shot() { # shot FILE: the current screen via F12 (the screen itself, without card or toast)
    rm -f "$WORK/shot.png"
    xdotool key --window "$win" F12
    for _ in $(seq 50); do [ -s "$WORK/shot.png" ] && break; sleep 0.1; done
    [ -s "$WORK/shot.png" ] || die "F12 wrote no screenshot"
    sleep 0.2
    mv "$WORK/shot.png" "$1"
}
keep() { [ -n "$SHOTS" ] && import -window root "$SHOTS/$1.png"; return 0; }
quit() {
    xdotool key --window "$win" q
    for _ in $(seq 50); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
    kill -0 $pid 2>/dev/null && die "Q did not quit"
    wait $pid || die "exit status $?: $(tail -n 3 "$out.err")"
    pid=""
}

# ---- 1. offer, download, the step with its image, training ----------------------------------
xdg=$WORK/xdg
start fetch "$xdg" "file://$src"
keep offer
shot "$WORK/before.png"
xdotool key --window "$win" d
wait_out "^fetch: downloading CIFAR-10 into $xdg/convlab/cifar-10-batches-bin" 5
sleep 0.3; keep progress
wait_out "^fetch: done: CIFAR-10 ready in $xdg/convlab/cifar-10-batches-bin" 120
[ "$(stat -c %s "$xdg/convlab/cifar-10-batches-bin/test_batch.bin" 2>/dev/null)" = 30730000 ] || die "no data in $xdg/convlab"
[ ! -e "$xdg/convlab/cifar-10-binary.tar.gz" ] && [ ! -e "$xdg/convlab/.fetch.headers" ] || die "the download left files behind"
sleep 1; keep done
shot "$WORK/after.png"
cmp -s "$WORK/before.png" "$WORK/after.png" && die "the step looks the same after the download"
kill -0 $pid || die "the window died"
xdotool key --window "$win" t
wait_title "Training"
xdotool key --window "$win" t
wait_title "Training.*training"   # it trains on the data it just got
xdotool key --window "$win" t BackSpace
wait_title "step 8/"
quit
start fresh "$xdg" "file://$WORK/unused.tar.gz"   # the data is there now: a plain start
shot "$WORK/fresh.png"
quit
cmp -s "$WORK/after.png" "$WORK/fresh.png" || die "after the download the step differs from a window started with the data"

# ---- 2. a failing download: the one-line error on the card ---------------------------------
start fail "$WORK/xdg-fail" "file://$WORK/missing.tar.gz" --lang zh
xdotool key --window "$win" d
wait_out "^fetch: failed: download of file://$WORK/missing.tar.gz failed" 15
sleep 0.3; keep error
xdotool key --window "$win" Escape
sleep 0.3
kill -0 $pid || die "Esc on the error card quit the window"
[ ! -e "$WORK/xdg-fail/convlab/cifar-10-batches-bin" ] || die "a failed download left data"
quit

# ---- 3. cancel in the middle --------------------------------------------------------------
mkfifo "$WORK/slow.tar.gz"
( head -c 2000000 "$src"; sleep 60 ) > "$WORK/slow.tar.gz" &
feeder=$!
xc=$WORK/xdg-cancel/convlab
start cancel "$WORK/xdg-cancel" "file://$WORK/slow.tar.gz"
xdotool key --window "$win" d
for _ in $(seq 100); do [ -s "$xc/cifar-10-binary.tar.gz.part" ] && break; sleep 0.1; done
[ -s "$xc/cifar-10-binary.tar.gz.part" ] || die "the download did not start: $(cat "$out")"
sleep 0.3; keep cancel-progress
xdotool key --window "$win" Escape
wait_out "^fetch: cancelled" 10
sleep 0.3
kill -0 $pid || die "Esc during a download quit the window"
kill $feeder 2>/dev/null; wait $feeder 2>/dev/null
[ -s "$xc/cifar-10-binary.tar.gz.part" ] || die "the partial download was not kept"
[ ! -e "$xc/cifar-10-binary.tar.gz" ] || die "a cancelled download looks complete"
[ ! -e "$xc/cifar-10-batches-bin" ] || die "a cancelled download installed data"
! ls -d "$xc"/.unpack.* >/dev/null 2>&1 || die "an unpack folder was left"
pgrep -f "cur[l].*$WORK/slow" >/dev/null && die "curl outlived the cancel"
keep cancelled
quit
echo "ok: offer, download with the card, data used without a restart, error card, cancel"
EOS
xvfb-run -a -s "-screen 0 1280x800x24" bash "$WORK/drive.sh"
