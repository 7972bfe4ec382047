#!/usr/bin/env bash
# Coverage-guided fuzzing of the parsers and decoders that meet untrusted bytes (fuzz/README.md):
#   fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]     default: 15 s for each of json query sigv4 policy ciphertext schedule
# Builds fuzz/Strongroom.Fuzz into a temporary folder, instruments the Strongroom assemblies there with SharpFuzz
# (the sharpfuzz dotnet tool pinned in .config/dotnet-tools.json), replays the committed corpus and regression inputs,
# then runs AFL++ (Debian's afl++) on each target for the given time. A crash is copied to fuzz/findings/TARGET/ (add it
# to fuzz/regressions/TARGET/ once fixed). Last line: "fuzz: N passed, N failed" (one per target).
set -uo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-15}
[ $# -gt 0 ] && shift
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(json query sigv4 policy ciphertext schedule)
passed=0
failed=0
work=$(mktemp -d /tmp/strongroom-fuzz-XXXXXX)
trap 'rm -rf "$work"' EXIT

finish() { echo "fuzz: $passed passed, $failed failed"; [ "$failed" -eq 0 ]; exit $?; }

command -v afl-fuzz >/dev/null || { echo "afl-fuzz is missing (apt-get install afl++)"; failed=1; finish; }
# Replays run the plain build (instrumented code writes to AFL's shared memory, which exists only under afl-fuzz).
if ! dotnet build fuzz/Strongroom.Fuzz -c Release -nologo -v q -o "$work/plain" > "$work/build.log" 2>&1; then
  tail -20 "$work/build.log"; failed=1; finish
fi
cp -r "$work/plain" "$work/bin"
dotnet tool restore > "$work/tool.log" 2>&1 || { cat "$work/tool.log"; failed=1; finish; }
for dll in Strongroom.Protocol.Aws.dll Strongroom.Core.dll Strongroom.Crypto.dll; do
  dotnet tool run sharpfuzz "$work/bin/$dll" > "$work/instrument.log" 2>&1 || { cat "$work/instrument.log"; failed=1; finish; }
done

# AFL++ runs the .NET process as its target; SharpFuzz speaks AFL's fork-server protocol from inside it.
export AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1 AFL_QUIET=1
for target in "${targets[@]}"; do
  regressions=()
  [ -d "fuzz/regressions/$target" ] && regressions=("fuzz/regressions/$target")
  if ! dotnet "$work/plain/Strongroom.Fuzz.dll" "$target" --replay "fuzz/corpus/$target" "${regressions[@]}"; then
    echo "fuzz $target: a committed input fails"; failed=$((failed + 1)); continue
  fi

  out="$work/out-$target"
  timeout $((seconds + 120)) afl-fuzz -V "$seconds" -i "fuzz/corpus/$target" -o "$out" -t 10000 -m none -- dotnet "$work/bin/Strongroom.Fuzz.dll" "$target" > "$work/afl-$target.log" 2>&1
  stats="$out/default/fuzzer_stats"
  if [ ! -f "$stats" ]; then
    echo "fuzz $target: AFL++ did not run:"; tail -30 "$work/afl-$target.log"; failed=$((failed + 1)); continue
  fi

  execs=$(awk -F: '/^execs_done/ {gsub(/ /, "", $2); print $2}' "$stats")
  paths=$(awk -F: '/^corpus_count/ {gsub(/ /, "", $2); print $2}' "$stats")
  crashes=$(find "$out/default/crashes" -type f ! -name README.txt 2>/dev/null | wc -l)
  hangs=$(find "$out/default/hangs" -type f 2>/dev/null | wc -l)
  echo "fuzz $target: ${seconds}s, $execs executions, $paths inputs in the queue, $crashes crashes, $hangs hangs"
  if [ "$crashes" -gt 0 ]; then
    mkdir -p "fuzz/findings/$target"
    cp "$out"/default/crashes/id* "fuzz/findings/$target/"
    for crash in "$out"/default/crashes/id*; do dotnet "$work/plain/Strongroom.Fuzz.dll" "$target" --replay "$crash" 2>&1 | head -8; done
    failed=$((failed + 1))
  elif [ "${execs:-0}" -lt 100 ]; then
    echo "fuzz $target: too few executions to count"; tail -20 "$work/afl-$target.log"; failed=$((failed + 1))
  else
    passed=$((passed + 1))
  fi
done
finish
