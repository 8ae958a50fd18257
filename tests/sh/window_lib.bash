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
