#!/bin/sh
# Make sure PROGRAM is on PATH, installing the Debian PACKAGEs with apt-get when it is not
# (as root, or through `sudo -n`).
# Usage: ensure-program.sh [--optional] PROGRAM PACKAGE...
# With --optional a failed install only warns: what needs the program says so when it runs.
optional=no
if [ "$1" = "--optional" ]; then optional=yes; shift; fi
program=$1; shift
command -v "$program" >/dev/null 2>&1 && exit 0
echo "'$program' is missing; installing $* with apt-get..."
if command -v apt-get >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else SUDO=none; fi
    if [ "$SUDO" != none ]; then
        export DEBIAN_FRONTEND=noninteractive
        $SUDO apt-get update -qq && $SUDO apt-get install -y -qq "$@" >/dev/null && command -v "$program" >/dev/null 2>&1 && exit 0
    fi
fi
echo "Could not install $* automatically. Install it, then run make again:" >&2
echo "  Debian/Ubuntu: sudo apt-get install $*" >&2
if [ "$program" = dot ]; then
    echo "  macOS: brew install graphviz   Windows: winget install graphviz   others: https://graphviz.org/download/" >&2
fi
if [ "$optional" = yes ]; then
    echo "(optional: the tests that need '$program' are skipped and say so)" >&2
    exit 0
fi
exit 1
