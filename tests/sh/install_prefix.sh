#!/usr/bin/env bash
# make install into a scratch PREFIX + DESTDIR: the expected files (binary,
# lessons, themes, nets, fetch script, man page, .desktop validating clean, icon); the
# installed binary works from another folder (lessons-check, a short training
# on fake data, --version); make uninstall leaves no file behind.
source tests/sh/cli_lib.bash
N_LESSONS=$(ls lessons/*.lesson | wc -l) # from the source tree, before any cd
command -v help2man >/dev/null || { echo "help2man is not installed (make deps)"; exit 77; }
PREFIX=/opt/convlab-test DEST="$WORK/stage"
make -s install PREFIX=$PREFIX DESTDIR="$DEST" >"$WORK/make.out" 2>&1 || die "make install: $(tail -n 5 "$WORK/make.out")"
root="$DEST$PREFIX"
n=$(find "$DEST" -type f | wc -l)
want=$(( $(ls lessons/*.lesson | wc -l) + 1 + $(ls assets/theme-*.theme | wc -l) + $(ls assets/nets/*.net | wc -l) + 1 + 5 ))
[ "$n" -eq "$want" ] || die "installed $n files, expected $want: $(find "$DEST" -type f)"
for f in bin/convlab share/convlab/lessons/02_convolution.lesson share/convlab/assets/theme-dark.theme \
         share/convlab/assets/nets/cnnnet.net share/convlab/assets/nets/README.md \
         share/convlab/scripts/fetch-cifar10.sh share/man/man1/convlab.1 share/applications/convlab.desktop \
         share/icons/hicolor/scalable/apps/convlab.svg; do
    [ -s "$root/$f" ] || die "missing $root/$f"
done
[ -x "$root/bin/convlab" ] && [ -x "$root/share/convlab/scripts/fetch-cifar10.sh" ] || die "not executable"
if command -v desktop-file-validate >/dev/null; then
    out=$(desktop-file-validate "$root/share/applications/convlab.desktop" 2>&1) && [ -z "$out" ] || die "desktop-file-validate: $out"
fi
grep -q '^\.TH CONVLAB "1"' "$root/share/man/man1/convlab.1" && grep -q 'fetch\\-data' "$root/share/man/man1/convlab.1" || die "man page lacks its header or fetch-data"

# From another folder, with no source tree in sight (DESTDIR staging: found as EXE/../share/convlab).
make_fake_data "$WORK/cifar"
cd "$WORK" || die "cd"
v=$("$root/bin/convlab" --version | head -n 1) && [ "$v" = "convlab $(sed -n 's/^#define CONVLAB_VERSION "\(.*\)"/\1/p' "$OLDPWD/src/engine/version.h")" ] || die "--version said: $v"
out=$(env -u CONVLAB_DATA HOME="$WORK/h" XDG_DATA_HOME="$WORK/x" "$root/bin/convlab" --batch lessons-check 2>/dev/null) || die "installed lessons-check: $out"
printf '%s' "$out" | grep -q "^OK: $N_LESSONS lesson files" || die "installed lessons-check said: $out"
out=$("$root/bin/convlab" --batch train --data "$WORK/cifar" --train-limit 16 --test-limit 16 --epochs 1 2>&1) || die "installed train: $out"
printf '%s' "$out" | grep -q "Finished Training" || die "installed train said: $out"
out=$(env -u CONVLAB_DATA HOME="$WORK/h" XDG_DATA_HOME="$WORK/x" CIFAR10_URL="file://$WORK/none.tar.gz" "$root/bin/convlab" --batch fetch-data 2>&1)
printf '%s' "$out" | grep -q "download of file://$WORK/none.tar.gz failed" || die "installed fetch-data did not run its script: $out"
cd "$OLDPWD" || die "cd back"

make -s uninstall PREFIX=$PREFIX DESTDIR="$DEST" >"$WORK/make.out" 2>&1 || die "make uninstall: $(cat "$WORK/make.out")"
left=$(find "$DEST" -type f)
[ -z "$left" ] || die "left after uninstall: $left"
[ ! -e "$root/share/convlab" ] || die "share/convlab left after uninstall"
echo "ok ($n files)"
