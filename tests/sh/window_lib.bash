# Finding convlab's window under Xvfb, for the tests that drive it with xdotool.
# Source it inside the script that runs under xvfb-run, then:
#   window_find [TENTHS]   sets $win to the visible convlab window (default 10 s)
#   window_title           prints its title; looks the window up again if it went
#                          away (SDL replaces a window whose renderer needs another
#                          kind, e.g. on a display without GLX; convlab maps only
#                          the one that stays, this is the belt to those braces)
#   window_wait_title RE [TENTHS]   until the title matches the extended regex RE
window_find() {
    win=""
    for _ in $(seq 1 "${1:-100}"); do
        win=$(xdotool search --onlyvisible --class convlab 2>/dev/null | tail -n 1)
        [ -n "$win" ] && xdotool getwindowname "$win" >/dev/null 2>&1 && return 0
        win=""; sleep 0.1
    done
    return 1
}
window_title() {
    xdotool getwindowname "$win" 2>/dev/null && return 0
    window_find 10 && xdotool getwindowname "$win" 2>/dev/null
}
window_wait_title() {
    for _ in $(seq 1 "${2:-100}"); do window_title | grep -Eq "$1" && return 0; sleep 0.1; done
    echo "title is '$(window_title)', expected /$1/"
    return 1
}

# For the outer script of a window test, run from the repo root (before
# xvfb-run): window_test_begin [data] [TOOL ...] checks xvfb-run, xdotool and
# the TOOLs are installed and, with `data`, that CIFAR-10 is in data/ (else
# skips with 77); sets BIN (CONVLAB or ./convlab, which must be built),
# WINDOW_LIB for the script inside, and a scratch folder $out removed at exit.
window_test_begin() {
    export WINDOW_LIB=$PWD/tests/sh/window_lib.bash
    BIN=${CONVLAB:-./convlab}
    local t need_data=0
    for t in xvfb-run xdotool "$@"; do
        [ "$t" = data ] && { need_data=1; continue; }
        command -v "$t" >/dev/null || { echo "$t not installed"; exit 77; }
    done
    [ "$need_data" = 0 ] || [ -f data/cifar-10-batches-bin/data_batch_1.bin ] || { echo "no CIFAR-10 in data/ (make data)"; exit 77; }
    [ -x "$BIN" ] || { echo "$BIN not built"; exit 1; }
    out=$(mktemp -d)
    trap 'rm -rf "$out"' EXIT
}
