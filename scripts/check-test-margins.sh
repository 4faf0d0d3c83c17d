#!/usr/bin/env bash
# Runs the tests that train over many seeds and under other CPU kernels, and prints the
# figures they assert margins on, so a margin is known to hold on machines CI never sees.
#   scripts/check-test-margins.sh [SEEDS] [CORETYPES] [CAPABILITIES]
# SEEDS: "1 2 ... 10" by default. CORETYPES: OpenBLAS kernels ("unset Haswell SkylakeX").
# CAPABILITIES: LibTorch's own kernels ("default avx2"; ATEN_CPU_CAPABILITY).
# Needs a build (scripts/build.sh) and MNIST (scripts/fetch-mnist.sh). Exits non-zero when
# any run fails.
set -uo pipefail
cd "$(dirname "$0")/.."
seeds=${1:-"1 2 3 4 5 6 7 8 9 10"}
coretypes=${2:-"unset Haswell SkylakeX"}
capabilities=${3:-"default avx2"}
tests="Train.ShortRun*"
binary="${ODDIGIT_BUILD_DIR:-build}/tests/oddigit_core_tests"
[ -x "$binary" ] || { echo "no $binary: run scripts/build.sh first" >&2; exit 1; }

failures=0
for capability in $capabilities; do
  for coretype in $coretypes; do
    for seed in $seeds; do
      environment=(ODDIGIT_TEST_SEED="$seed" ATEN_CPU_CAPABILITY="$capability" OMP_NUM_THREADS=1)
      if [ "$coretype" = unset ]; then
        output=$(env -u OPENBLAS_CORETYPE "${environment[@]}" "$binary" --gtest_filter="$tests" 2>&1)
      else
        output=$(env OPENBLAS_CORETYPE="$coretype" "${environment[@]}" "$binary" --gtest_filter="$tests" 2>&1)
      fi
      status=$?
      figures=$(grep '\[ measured \]' <<<"$output" | sed 's/.*\[ measured \] //' | paste -sd';' -)
      verdict=passed
      if [ $status -ne 0 ]; then verdict=FAILED; failures=$((failures + 1)); fi
      echo "kernels $capability/$coretype seed $seed: $verdict; $figures"
    done
  done
done
echo "runs failed: $failures"
[ $failures -eq 0 ]
