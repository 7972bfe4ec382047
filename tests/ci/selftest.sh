#!/usr/bin/env bash
# Self-test of tests/ci/counting.sh, the rules by which test.sh adds up its suites: each case feeds a suite's output
# (a real `dotnet test` log from tests/ci/fixtures, a real `node --test` or run.py run on throw-away test files made
# here, or a fake report with a chosen exit status) to the counting and compares passed, failed and skipped with what
# the rule says. test.sh runs it as a counted suite. Last line: `ci-selftest: N passed, N failed`.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
fixtures=$here/fixtures
# shellcheck source=counting.sh
source "$here/counting.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ci_logs=$work
ok=0
bad=0

# check NAME "PASSED FAILED SKIPPED" [--says TEXT] COMMAND...: runs COMMAND with fresh counts in a subshell and
# compares the counts it leaves (and, with --says, that its output holds TEXT).
check() {
  local name=$1 want=$2 says="" got
  shift 2
  if [ "$1" = "--says" ]; then says=$2; shift 2; fi
  got=$( (ci_reset; "$@" > "$work/case.out" 2>&1; echo "$ci_passed $ci_failed $ci_skipped") )
  if [ "$got" = "$want" ] && { [ -z "$says" ] || grep -qF -- "$says" "$work/case.out"; }; then
    echo "ok - $name"
    ok=$((ok + 1))
  else
    echo "not ok - $name: want \"$want\"${says:+ saying \"$says\"}, got \"$got\"; output:"
    sed 's/^/    /' "$work/case.out"
    bad=$((bad + 1))
  fi
}

# allow LINE...: the allow-list for the next cases.
allow() {
  ci_skips_file=$work/skips.allowed
  printf '%s\n' "# suite | test | reason" "$@" > "$ci_skips_file"
}

# replay FILE STATUS: prints FILE and exits with STATUS, as the suite's command would.
replay() { cat "$1"; return "$2"; }

fake=(Crashy.dll Early.dll Good.dll Skippy.dll)

# --- dotnet test (VSTest), real logs of four throw-away projects (see fixtures/README.md) ---
allow "dotnet | Skippy.T.Skipped | fixture: skipped on purpose"
check "dotnet: every project passed" "6 0 1" ci_dotnet d "$fixtures/dotnet-passed.txt" 0 "${fake[@]}"
check "dotnet: exit status read through tee" "6 0 1" ci_suite d dotnet "${fake[@]}" -- replay "$fixtures/dotnet-passed.txt" 0
check "dotnet: non-zero exit, nothing failed" "6 1 1" --says "exit status 1 with no failure reported" \
  ci_suite d dotnet "${fake[@]}" -- replay "$fixtures/dotnet-passed.txt" 1
check "dotnet: Failed! line" "5 1 1" ci_suite d dotnet "${fake[@]}" -- replay "$fixtures/dotnet-failed.txt" 1
check "dotnet: test host crashed part-way" "4 2 1" --says "Crashy.dll reported nothing" \
  ci_dotnet d "$fixtures/dotnet-crashed-midway.txt" 1 "${fake[@]}"
check "dotnet: project crashed before reporting" "5 2 1" --says "Early.dll reported nothing" \
  ci_dotnet d "$fixtures/dotnet-crashed-before-reporting.txt" 1 "${fake[@]}"
cat "$fixtures/dotnet-passed.txt" > "$work/aborted-after-passed.txt"
echo "Test Run Aborted." >> "$work/aborted-after-passed.txt"
check "dotnet: aborted after printing Passed!" "6 1 1" --says "1 test run(s) aborted" ci_dotnet d "$work/aborted-after-passed.txt" 0 "${fake[@]}"
check "dotnet: a project of the solution missing" "6 1 1" --says "Ghost.dll reported nothing" \
  ci_dotnet d "$fixtures/dotnet-passed.txt" 0 "${fake[@]}" Ghost.dll
check "dotnet: no output at all" "0 4 0" ci_suite d dotnet "${fake[@]}" -- false
check "dotnet: no output, no project list" "0 1 0" --says "no summary line" ci_dotnet d /dev/null 0
echo "Passed!  - Failed:     0, Passed:     2, Skipped:     0, Total:     3, Duration: 1 s - Odd.dll (net10.0)" > "$work/odd.txt"
check "dotnet: Total above the sum" "2 1 0" --says "Total is more than" ci_dotnet d "$work/odd.txt" 0 Odd.dll
allow
check "dotnet: skip not in the allow-list" "6 1 1" --says "dotnet | Skippy.T.Skipped" ci_dotnet d "$fixtures/dotnet-passed.txt" 0 "${fake[@]}"
allow "dotnet | Skippy.T.Skipped |   "
check "dotnet: allow-list line without a reason" "6 1 1" ci_dotnet d "$fixtures/dotnet-passed.txt" 0 "${fake[@]}"
allow "dotnet | Skippy.T.Other | a reason"
check "dotnet: allow-list names another test" "6 1 1" ci_dotnet d "$fixtures/dotnet-passed.txt" 0 "${fake[@]}"
allow "js | Skippy.T.Skipped | a reason"
check "dotnet: allow-list entry of another suite" "6 1 1" ci_dotnet d "$fixtures/dotnet-passed.txt" 0 "${fake[@]}"

# --- node --test, run for real on throw-away test files ---
node_case() { # NAME BODY: writes $work/NAME.test.mjs
  printf "import { test } from 'node:test';\nimport assert from 'node:assert';\n%s\n" "$2" > "$work/$1.test.mjs"
}
node_run() { node --test --test-reporter=tap "$work/$1.test.mjs"; }
node_case pass "test('one', () => {}); test('two', () => {});"
node_case fail "test('one', () => {}); test('two', () => { assert.equal(1, 2); });"
node_case cancelled "test('one', () => {}); test('slow', { timeout: 50 }, async () => { await new Promise(r => setTimeout(r, 500).unref()); });"
node_case skip "test('one', () => {}); test('skipped one', { skip: 'not today' }, () => {});"
node_case todo "test('one', () => {}); test('later', { todo: 'some day' }, () => {});"
allow
check "node: all passed" "2 0 0" ci_suite n node -- node_run pass
check "node: a failure" "1 1 0" ci_suite n node -- node_run fail
check "node: a timed-out test is cancelled" "1 1 0" --says "1 cancelled" ci_suite n node -- node_run cancelled
check "node: skip not in the allow-list" "1 1 1" --says "js | skipped one" ci_suite n node -- node_run skip
allow "js | skipped one | fixture: skipped on purpose"
check "node: skip in the allow-list" "1 0 1" ci_suite n node -- node_run skip
allow
check "node: todo" "1 1 0" --says "1 todo" ci_suite n node -- node_run todo
node_run pass > "$work/node-pass.txt" 2>&1
check "node: non-zero exit, nothing failed" "2 1 0" --says "exit status 3" ci_suite n node -- replay "$work/node-pass.txt" 3
check "node: no summary" "0 1 0" --says "no TAP summary" ci_suite n node -- bash -c 'echo "TAP version 13"; exit 1'
sed 's/^# tests 2$/# tests 3/' "$work/node-pass.txt" > "$work/node-odd.txt"
check "node: counts that do not add up" "2 1 0" --says "is not pass + fail" ci_suite n node -- replay "$work/node-odd.txt" 0

# --- run.py (the Python suite's runner), run for real on throw-away test files ---
py_case() { # NAME BODY: a directory with run.py and test_case.py
  mkdir -p "$work/py-$1"
  cp "$repo/tests/e2e/python/run.py" "$work/py-$1/"
  printf "import unittest\nclass T(unittest.TestCase):\n%s\n" "$2" > "$work/py-$1/test_case.py"
}
py_run() { STRONGROOM_ENDPOINT=http://127.0.0.1:9 python3 "$work/py-$1/run.py"; }
py_case pass "    def test_a(self): pass
    def test_b(self): pass"
py_case mixed "    def test_a(self): pass
    def test_b(self): self.fail('no')
    @unittest.skip('not today')
    def test_c(self): pass"
check "python: all passed" "2 0 0" ci_suite p tally python-e2e -- py_run pass
check "python: a failure and a skip both fail" "1 2 0" ci_suite p tally python-e2e -- py_run mixed
check "python: summary line missing" "0 1 0" --says "no 'python-e2e: N passed, N failed' line" \
  ci_suite p tally python-e2e -- python3 -c 'raise SystemExit("crashed before the summary")'
check "python: non-zero exit, nothing failed" "3 1 0" ci_suite p tally python-e2e -- bash -c 'echo "python-e2e: 3 passed, 0 failed"; exit 1'
check "python: the last summary line counts" "3 1 0" ci_suite p tally python-e2e -- bash -c 'echo "python-e2e: 9 passed, 0 failed"; echo "python-e2e: 3 passed, 1 failed"; exit 1'

# --- suites that did not run, and the last line ---
not_run_case() { ci_expect a b; ci_suite a tally x -- echo "x: 1 passed, 0 failed"; ci_finish; }
check "a suite never run is a failure" "1 1 0" --says "== b: 0 passed, 1 failed, 0 skipped -- never ran" not_run_case
check "a suite that could not run" "0 1 0" --says "did not run: server died" ci_not_run b "server died"
last_line_case() { ci_expect a; ci_suite a tally x -- echo "x: 4 passed, 0 failed"; ci_finish && echo "finish returned 0"; }
check "clean run: last line and status 0" "4 0 0" --says "tests: 4 passed, 0 failed
finish returned 0" last_line_case
red_case() { ci_count a 4 1; ci_finish || echo "finish returned $?"; }
check "red run: last line and status 1" "4 1 0" --says "tests: 4 passed, 1 failed
finish returned 1" red_case

# --- which .NET projects must report ---
mkdir -p "$work/sln/tests/A" "$work/sln/tests/B" "$work/sln/tests/Host" "$work/sln/src/Lib"
echo '<Project Sdk="Microsoft.NET.Sdk"><PropertyGroup><IsTestProject>true</IsTestProject></PropertyGroup></Project>' > "$work/sln/tests/A/A.Tests.csproj"
echo '<Project Sdk="Microsoft.NET.Sdk"><PropertyGroup><AssemblyName>b-tests</AssemblyName></PropertyGroup></Project>' > "$work/sln/tests/B/B.csproj"
echo '<Project Sdk="Microsoft.NET.Sdk"><PropertyGroup><IsTestProject>false</IsTestProject></PropertyGroup></Project>' > "$work/sln/tests/Host/Host.csproj"
echo '<Project Sdk="Microsoft.NET.Sdk" />' > "$work/sln/src/Lib/Lib.csproj"
cat > "$work/sln/x.slnx" <<'EOF'
<Solution>
  <Folder Name="/src/"><Project Path="src/Lib/Lib.csproj" /></Folder>
  <Folder Name="/tests/"><Project Path="tests/A/A.Tests.csproj" /><Project Path="tests/Host/Host.csproj" /></Folder>
  <Folder Name="/tests/more/"><Project Path="tests/B/B.csproj" /></Folder>
</Solution>
EOF
slnx_case() { [ "$(ci_slnx_test_assemblies "$1" | tr '\n' ' ')" = "$2" ] && ci_count slnx 1 0 || ci_count slnx 0 1 0 "got: $(ci_slnx_test_assemblies "$1" | tr '\n' ' ')"; }
check "slnx: test projects of /tests/ folders, opt-outs left out" "1 0 0" slnx_case "$work/sln/x.slnx" "A.Tests.dll b-tests.dll "
real_slnx_case() {
  local list
  list=" $(ci_slnx_test_assemblies "$repo/Strongroom.slnx" | tr '\n' ' ')"
  echo "Strongroom.slnx:$list"
  if [[ $list == *" Strongroom.FaultHost.dll "* ]]; then
    ci_count slnx 0 1 0 "the fault host is not a test project"
  elif [[ $list == *" Strongroom.Tests.dll "* && $list == *" Strongroom.E2E.Sdk.dll "* ]]; then
    ci_count slnx 1 0
  else
    ci_count slnx 0 1 0 "test projects missing"
  fi
}
check "slnx: Strongroom.slnx's test projects, not the fault host" "1 0 0" real_slnx_case

echo "ci-selftest: $ok passed, $bad failed"
[ "$bad" -eq 0 ]
