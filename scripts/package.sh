#!/usr/bin/env bash
# Builds the Debian package, checks it (lintian, desktop-file-validate, appstreamcli),
# installs it, runs the installed programs with the bundled model, and removes it again.
# Needs root (or sudo) to install. Leaves the package in build/.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${ODDIGIT_BUILD_DIR:-build}"
scripts/install-deps.sh lintian desktop-file-utils appstream
scripts/build.sh -DCMAKE_INSTALL_PREFIX=/usr
(cd "$build_dir" && cpack -G DEB >/dev/null)
deb=$(ls -t "$build_dir"/oddigit_*.deb | head -1)
echo "package: $deb"

echo "== validators"
desktop-file-validate packaging/io.github.oddigit.oddigit.desktop
appstreamcli validate --no-net --pedantic "$build_dir/packaging/io.github.oddigit.oddigit.metainfo.xml"
# Errors fail the script; warnings are printed for the record.
lintian --tag-display-limit 0 "$deb" | tee "$build_dir/lintian.txt" || true
if grep -q '^E:' "$build_dir/lintian.txt"; then
    echo "lintian reports errors" >&2
    exit 1
fi

echo "== install, try, remove"
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "./$deb" >/dev/null
trap 'DEBIAN_FRONTEND=noninteractive $sudo apt-get remove -y -q oddigit >/dev/null' EXIT
installed_version=$(/usr/bin/oddigit-cli --version)
echo "$installed_version"
[ "$installed_version" = "oddigit-cli $(dpkg-deb -f "$deb" Version)" ]
QT_QPA_PLATFORM=offscreen /usr/bin/oddigit --version
/usr/bin/oddigit-cli info /usr/share/oddigit/default.safetensors | head -3
/usr/bin/oddigit-cli protocol drawn --model /usr/share/oddigit/default.safetensors --samples 5 | sed -n 2,4p
man -w oddigit oddigit-cli
for file in /usr/share/applications/io.github.oddigit.oddigit.desktop /usr/share/metainfo/io.github.oddigit.oddigit.metainfo.xml \
            /usr/share/icons/hicolor/256x256/apps/io.github.oddigit.oddigit.png /usr/share/mime/packages/oddigit.xml; do
    [ -f "$file" ] || { echo "missing: $file" >&2; exit 1; }
done
echo "package: installed, ran and removed cleanly"
