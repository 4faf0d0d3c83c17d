#!/usr/bin/env bash
# Builds the libFuzzer targets in tests/fuzz/ with clang, AddressSanitizer and UBSan (the
# whole engine instrumented), then runs each for SECONDS (default 60) from its committed
# seed corpus. Exits non-zero when any target finds a crash, a leak or a timeout; the input
# that did it is left in build-fuzz/artifacts/. The targets' own stderr is closed (OpenCV warns of
# every image it cannot read); libFuzzer's lines and the sanitizers' reports stay in the log.
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]
# Targets: fuzz_idx fuzz_safetensors fuzz_image fuzz_image_folder fuzz_drawing fuzz_run_settings;
# ODDIGIT_FUZZ_RUNS stops each after that many executions instead (-runs).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
[ $# -gt 0 ] && shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_idx fuzz_safetensors fuzz_image fuzz_image_folder fuzz_drawing fuzz_run_settings)

scripts/install-deps.sh --headless clang libfuzzer-14-dev
build_dir="${ODDIGIT_FUZZ_BUILD_DIR:-build-fuzz}"
flags="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
cmake -S . -B "$build_dir" -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DODDIGIT_GUI=OFF -DODDIGIT_BENCH=OFF -DBUILD_TESTING=OFF -DODDIGIT_FUZZ=ON \
      -DCMAKE_CXX_FLAGS="$flags" >/dev/null
cmake --build "$build_dir" -j "$(nproc)" --target "${targets[@]}"

export ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export LSAN_OPTIONS="suppressions=$PWD/tests/fuzz/lsan.supp"
export OMP_NUM_THREADS=1
failed=()
for target in "${targets[@]}"; do
    work="$build_dir/corpus/$target"
    mkdir -p "$work" "$build_dir/artifacts"
    echo "== $target: $seconds s"
    status=0
    "$build_dir/tests/fuzz/$target" "$work" "tests/fuzz/corpus/$target" -max_total_time="$seconds" ${ODDIGIT_FUZZ_RUNS:+-runs="$ODDIGIT_FUZZ_RUNS"} \
        -timeout=10 -rss_limit_mb=4096 -max_len=65536 -print_final_stats=1 -close_fd_mask=2 \
        -artifact_prefix="$build_dir/artifacts/$target-" >"$build_dir/$target.log" 2>&1 || status=$?
    grep -E "^stat::(number_of_executed_units|average_exec_per_sec|new_units_added)|ERROR|SUMMARY" \
        "$build_dir/$target.log" || true
    [ $status -eq 0 ] || failed+=("$target")
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz: findings in ${failed[*]} (logs in $build_dir/, inputs in $build_dir/artifacts/)"
    exit 1
fi
echo "fuzz: no crash, leak or timeout"
