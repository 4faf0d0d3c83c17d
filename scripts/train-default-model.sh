#!/usr/bin/env bash
# Trains the bundled default model exactly as shipped in resources/: all ten digits
# normal, the engine's default recipe, seed 1. About 51 minutes on 2 CPU cores.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${ODDIGIT_BUILD_DIR:-build}"
"$build_dir/app/cli/oddigit-cli" train --normal all --seed 1 --out resources/default.safetensors "$@"
rm -f resources/default.resume.safetensors
