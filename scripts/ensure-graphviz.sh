#!/bin/sh
# Make sure Graphviz's `dot` program is on PATH: the Python `graphviz` package only writes
# DOT text and calls `dot` to render it.
command -v dot >/dev/null 2>&1 && exit 0
echo "Graphviz's 'dot' is missing; installing it with apt-get..."
if command -v apt-get >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else SUDO=none; fi
    if [ "$SUDO" != none ]; then
        export DEBIAN_FRONTEND=noninteractive
        $SUDO apt-get update -qq && $SUDO apt-get install -y -qq graphviz >/dev/null && command -v dot >/dev/null 2>&1 && exit 0
    fi
fi
echo "Could not install Graphviz automatically. Install it, then run make again:" >&2
echo "  Debian/Ubuntu: sudo apt-get install graphviz   macOS: brew install graphviz" >&2
echo "  Windows: winget install graphviz   others: https://graphviz.org/download/" >&2
exit 1
