#!/usr/bin/env bash
# Trains the bundled default model's recipe from scratch: all ten digits normal, the
# engine's default recipe (the digit reader included), seed 1. About an hour on 2 CPU cores.
# The shipped file was made in steps over the releases (docs/model-format.md, "The bundled model").
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${ODDIGIT_BUILD_DIR:-build}"
"$build_dir/app/cli/oddigit-cli" train --normal all --seed 1 --out resources/default.safetensors "$@"
rm -f resources/default.resume.safetensors
