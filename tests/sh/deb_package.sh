#!/usr/bin/env bash
# make deb: build/convlab_VERSION_ARCH.deb has the control fields (library
# dependencies from dpkg-shlibdeps), the expected contents (binary, lessons,
# themes, fetch script, gzipped man page, .desktop, icon, owned by root); unpacked
# into a scratch root with dpkg-deb -x it runs lessons-check and a short
# training from another folder.
source tests/sh/cli_lib.bash
N_LESSONS=$(ls lessons/*.lesson | wc -l) # from the source tree, before any cd
command -v dpkg-deb >/dev/null && command -v dpkg-shlibdeps >/dev/null || { echo "dpkg-dev is not installed (make deps)"; exit 77; }
make -s deb >"$WORK/make.out" 2>&1 || die "make deb: $(tail -n 5 "$WORK/make.out")"
version=$(sed -n 's/^#define CONVLAB_VERSION "\(.*\)"/\1/p' src/engine/version.h)
deb="build/convlab_${version}_$(dpkg --print-architecture).deb"
[ -s "$deb" ] || die "$deb was not built"
info=$(dpkg-deb -f "$deb" Package Version Architecture Depends)
printf '%s' "$info" | grep -q "^Version: $version$" || die "control Version: $info"
for dep in libc6 libsdl2-2.0-0 libsdl2-ttf-2.0-0 libsdl2-image-2.0-0 libcjson1 libfontconfig1 libcairo2 libpangocairo-1.0-0 libgif7 libimagequant0 curl fonts-dejavu-core; do
    printf '%s' "$info" | grep -q "Depends:.*\b$dep\b" || die "Depends lacks $dep: $info"
done
list=$(dpkg-deb -c "$deb")
for f in ./usr/bin/convlab ./usr/share/convlab/lessons/09_training.lesson ./usr/share/convlab/assets/theme-light.theme \
         ./usr/share/convlab/scripts/fetch-cifar10.sh ./usr/share/man/man1/convlab.1.gz \
         ./usr/share/applications/convlab.desktop ./usr/share/icons/hicolor/scalable/apps/convlab.svg; do
    printf '%s\n' "$list" | grep -q " $f$" || die "$deb lacks $f"
done
printf '%s\n' "$list" | grep -v ' root/root ' | grep -q . && die "files not owned by root/root in $deb"

dpkg-deb -x "$deb" "$WORK/root" || die "dpkg-deb -x failed"
make_fake_data "$WORK/cifar"
cd "$WORK" || die "cd"
out=$(env -u CONVLAB_DATA HOME="$WORK/h" XDG_DATA_HOME="$WORK/x" "$WORK/root/usr/bin/convlab" --batch lessons-check 2>/dev/null) \
    && printf '%s' "$out" | grep -q "^OK: $N_LESSONS lesson files" || die "packaged lessons-check: $out"
out=$(CONVLAB_DATA="$WORK/cifar" "$WORK/root/usr/bin/convlab" --batch train --train-limit 16 --test-limit 16 --epochs 1 2>&1) \
    && printf '%s' "$out" | grep -q "Finished Training" || die "packaged train: $out"
echo "ok ($(stat -c %s "$OLDPWD/$deb") bytes, $(printf '%s\n' "$list" | grep -c '^-') files)"
