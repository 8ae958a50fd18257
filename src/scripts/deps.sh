#!/usr/bin/env bash
# deps.sh: installs the Debian/Ubuntu packages convlab needs to build, test and
# run (`make deps`). Fast and silent when everything is installed (one
# dpkg-query); otherwise apt-get update + install, through sudo when not root.
# On a system without apt it prints what to install.
set -u

# ---- the package list: extend it here ----------------------------------------
PACKAGES=(
    # build
    build-essential pkg-config curl
    libsdl2-dev libsdl2-ttf-dev libsdl2-image-dev libcglm-dev libcjson-dev
    libfontconfig-dev
    # export for slides: GIF (giflib), PDF with selectable text (cairo + pango)
    libgif-dev libimagequant-dev libcairo2-dev libpango1.0-dev
    # make install / make deb: the man page, the .desktop check, dpkg-shlibdeps
    help2man desktop-file-utils dpkg-dev fakeroot
    # fonts for the window and the rendered PNGs (Latin and CJK)
    fonts-dejavu-core fonts-noto-cjk
    # tests: the unit-test framework, then the window tests
    libcriterion-dev
    xvfb xauth xdotool imagemagick
    # the export tests read the PDFs (pdfinfo, pdftotext, pdftoppm)
    poppler-utils
    # the portable binary on older CPUs (tests/sh/qemu_x86_tiers.sh)
    qemu-user
    # make check: libFuzzer targets (clang + its runtime) and the leak run
    clang libclang-rt-14-dev valgrind
)
# ------------------------------------------------------------------------------

me="deps"
if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
    echo "$me: this system has no apt; install the equivalents of: ${PACKAGES[*]}" >&2
    exit 1
fi

# One dpkg-query for the whole list: a package counts as installed only when its
# status is "install ok installed" (not half-installed, not just configured-off)
# and it is built for this machine (or for all): make test-aarch64 installs
# libcjson-dev:arm64, which must not stand in for the host's libcjson-dev.
native=$(dpkg --print-architecture)
installed=" $(dpkg-query -W -f='${Package} ${Architecture} ${Status}\n' "${PACKAGES[@]}" 2>/dev/null |
              awk -v native="$native" '($2 == native || $2 == "all") && $3 " " $4 " " $5 == "install ok installed" { print $1 }' |
              tr '\n' ' ') "
missing=()
for p in "${PACKAGES[@]}"; do
    [[ $installed == *" $p "* ]] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
    sudo=()
elif command -v sudo >/dev/null 2>&1; then
    sudo=(sudo)
else
    echo "$me: missing packages: ${missing[*]}; run as root: apt-get install ${missing[*]}" >&2
    exit 1
fi

echo "$me: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
if ! "${sudo[@]}" apt-get update -qq; then
    echo "$me: apt-get update failed; check the network and /etc/apt/sources.list, then run 'make deps' again" >&2
    exit 1
fi
if ! "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"; then
    echo "$me: apt-get install failed for: ${missing[*]}; read apt's message above, fix it, then run 'make deps' again" >&2
    exit 1
fi
