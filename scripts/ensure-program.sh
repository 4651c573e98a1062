#!/bin/sh
# Make sure PROGRAM is on PATH, installing the Debian PACKAGEs with apt-get when it is not
# (as root, or through `sudo -n`). With --font, NAME is instead a font family fontconfig must
# know (several may be given as "A|B": any one will do).
# Usage: ensure-program.sh [--optional] [--font] NAME PACKAGE...
# With --optional a failed install only warns: what needs the program says so when it runs.
optional=no
font=no
while true; do
    case "$1" in
        --optional) optional=yes; shift ;;
        --font) font=yes; shift ;;
        *) break ;;
    esac
done
name=$1; shift
present() {
    if [ "$font" = yes ]; then
        fc-list : family 2>/dev/null | grep -qiE "^($name)(,|\$)"
    else
        command -v "$name" >/dev/null 2>&1
    fi
}
present && exit 0
echo "'$name' is missing; installing $* with apt-get..."
if command -v apt-get >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else SUDO=none; fi
    if [ "$SUDO" != none ]; then
        export DEBIAN_FRONTEND=noninteractive
        $SUDO apt-get update -qq && $SUDO apt-get install -y -qq "$@" >/dev/null && present && exit 0
    fi
fi
echo "Could not install $* automatically. Install it, then run make again:" >&2
echo "  Debian/Ubuntu: sudo apt-get install $*" >&2
if [ "$name" = dot ]; then
    echo "  macOS: brew install graphviz   Windows: winget install graphviz   others: https://graphviz.org/download/" >&2
fi
if [ "$optional" = yes ]; then
    if [ "$font" = yes ]; then
        echo "(optional: without it Graphviz and the browser both fall back to another sans-serif font)" >&2
    else
        echo "(optional: the tests that need '$name' are skipped and say so)" >&2
    fi
    exit 0
fi
exit 1
