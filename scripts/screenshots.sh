#!/bin/sh
# Screenshots of the three views in the light and the dark scheme, at 1x and 2x scaling,
# taken by the UI tests of each view at their key moments: docs/screenshots/<scheme>-<scale>x/<name>.png
# (draw, draw-letter, train, explore), and of the window on a 1366x768 laptop screen at 1x
# (small-screen-draw, -train, -explore).
# Needs a build with the GUI (scripts/build.sh) and MNIST; takes about 5 minutes.
set -eu
cd "$(dirname "$0")/.."
build=${ODDIGIT_BUILD_DIR:-build}
for scheme in light dark; do
    for scale in 1 2; do
        shots=$(mktemp -d)
        out=docs/screenshots/$scheme-${scale}x
        mkdir -p "$out"
        for program in "ui_draw_view_tests" "ui_training_tests TrainViewTest" "ui_explore_view_tests"; do
            # shellcheck disable=SC2086 # the program's name, then the test class it runs
            set -- $program
            ODDIGIT_SCREENSHOT_DIR=$shots ODDIGIT_SCREENSHOT_SCHEME=$scheme QT_SCALE_FACTOR=$scale \
                QT_QPA_PLATFORM=offscreen OMP_NUM_THREADS=1 "$build/tests/oddigit_$1" ${2:-} \
                >"$shots/log" 2>&1 || { cat "$shots/log"; exit 1; }
        done
        for name in draw draw-letter train explore; do cp "$shots/$name.png" "$out/"; done
        small=""
        if [ "$scale" = 1 ]; then
            ODDIGIT_SCREENSHOT_DIR=$shots ODDIGIT_SCREENSHOT_SCHEME=$scheme OMP_NUM_THREADS=1 \
                QT_QPA_PLATFORM=offscreen:configfile=$PWD/tests/ui/screen-1366x768.json \
                "$build/tests/oddigit_ui_small_screen_tests" >"$shots/log" 2>&1 || { cat "$shots/log"; exit 1; }
            for name in draw train explore; do cp "$shots/small-screen-$name.png" "$out/"; done
            small=", small-screen-draw, -train, -explore"
        fi
        rm -rf "$shots"
        echo "$out: draw, draw-letter, train, explore$small"
    done
done
