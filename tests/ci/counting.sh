# How test.sh adds up its suites; sourced by test.sh and by tests/ci/selftest.sh, which proves each rule below
# against real and fake suite outputs. Nothing here runs on its own.
#
# A suite's passed, failed and skipped tests come from its own report, and the suite counts one more failure when:
#   - its exit status is not 0 although its report shows no failure;
#   - its report is missing or does not add up (no summary line, Total above Passed + Failed + Skipped, ...);
#   - a .NET test run aborted (test host crash) or a test project expected from Strongroom.slnx reported nothing;
#   - Node reports cancelled (timed out, pending) or todo tests: each counts as failed;
#   - a test was skipped and tests/skips.allowed does not list it with a reason (one failure per such skip);
#   - it was declared with ci_expect and never reported (a branch that did not run it).
# The last line is always `tests: N passed, N failed`, and the status is 0 only when N failed is 0.
#
# State: ci_passed ci_failed ci_skipped, ci_expected ci_reported (labels), ci_logs (a directory for logs),
# ci_skips_file (the allow-list). ci_reset starts over.

ci_reset() {
  ci_passed=0
  ci_failed=0
  ci_skipped=0
  ci_expected=()
  ci_reported=()
  ci_finished=""
}

# ci_count LABEL PASSED FAILED [SKIPPED [NOTE]]: adds one suite's counts (or one check's) to the totals.
ci_count() {
  local label=$1 p=$2 f=$3 s=${4:-0} note=${5:-}
  echo "== $label: $p passed, $f failed, $s skipped${note:+ -- $note}"
  ci_passed=$((ci_passed + p))
  ci_failed=$((ci_failed + f))
  ci_skipped=$((ci_skipped + s))
  ci_reported+=("$label")
}

# ci_expect LABEL...: suites that must report before ci_finish; one that never does counts as failed.
ci_expect() { ci_expected+=("$@"); }

# ci_not_run LABEL REASON: a suite that could not run counts as failed, with the reason.
ci_not_run() { ci_count "$1" 0 1 0 "did not run: $2"; }

# ci_finish: fails each expected suite that never reported, prints the last line, returns 0 only if nothing failed.
ci_finish() {
  local label seen
  for label in "${ci_expected[@]}"; do
    seen=""
    for r in "${ci_reported[@]}"; do [ "$r" = "$label" ] && seen=1; done
    [ -n "$seen" ] || ci_count "$label" 0 1 0 "never ran"
  done
  [ "$ci_skipped" -eq 0 ] || echo "skipped: $ci_skipped (only those listed in ${ci_skips_file:-the allow-list} pass)"
  ci_finished=1
  echo "tests: $ci_passed passed, $ci_failed failed"
  [ "$ci_failed" -eq 0 ]
}

ci_trim() {
  local v=$1
  v="${v#"${v%%[![:space:]]*}"}"
  printf '%s' "${v%"${v##*[![:space:]]}"}"
}

# ci_skip_allowed KIND NAME: 0 when the allow-list has the line `KIND | NAME | REASON` with a reason that is not
# empty (KIND: dotnet or js; NAME as the report prints it; lines starting with # are comments).
ci_skip_allowed() {
  local kind=$1 name=$2 k n r
  [ -n "${ci_skips_file:-}" ] && [ -f "$ci_skips_file" ] || return 1
  while IFS='|' read -r k n r; do
    k=$(ci_trim "$k") n=$(ci_trim "$n") r=$(ci_trim "$r")
    [ "${k:0:1}" = "#" ] && continue
    [ "$k" = "$kind" ] && [ "$n" = "$name" ] && [ -n "$r" ] && return 0
  done < "$ci_skips_file"
  return 1
}

# ci_unallowed_skips KIND COUNT [NAME...]: prints how many of COUNT skips are not allowed (a skip whose name the
# report does not give is never allowed) and names them on standard error.
ci_unallowed_skips() {
  local kind=$1 count=$2 name allowed=0; shift 2
  for name in "$@"; do
    if ci_skip_allowed "$kind" "$name"; then allowed=$((allowed + 1)); else echo "   skipped, not in the allow-list: $kind | $name" >&2; fi
  done
  [ $# -ge "$count" ] || echo "   $((count - $#)) skipped test(s) without a name in the report" >&2
  local bad=$((count - allowed))
  echo $((bad < 0 ? 0 : bad))
}

# ci_dotnet LABEL LOG STATUS [ASSEMBLY...]: a `dotnet test` (VSTest) log; each ASSEMBLY (e.g. Strongroom.Tests.dll)
# must print its `Passed!/Failed! - Failed: N, Passed: N, Skipped: N, Total: N, ... - ASSEMBLY (tfm)` line.
ci_dotnet() {
  local label=$1 log=$2 status=$3; shift 3
  local p=0 f=0 s=0 line notes=() reported=() skipped_names=() name
  local re='^(Passed|Failed)! +- Failed: +([0-9]+), Passed: +([0-9]+), Skipped: +([0-9]+), Total: +([0-9]+), .* - ([^ ]+) \('
  while IFS= read -r line; do
    if [[ $line =~ $re ]]; then
      f=$((f + BASH_REMATCH[2])) p=$((p + BASH_REMATCH[3])) s=$((s + BASH_REMATCH[4]))
      reported+=("${BASH_REMATCH[6]}")
      if [ "${BASH_REMATCH[5]}" -gt $((BASH_REMATCH[2] + BASH_REMATCH[3] + BASH_REMATCH[4])) ]; then
        f=$((f + 1)) notes+=("${BASH_REMATCH[6]}: Total is more than Failed + Passed + Skipped")
      fi
    fi
  done < <(grep -E '^(Passed|Failed)! +- ' "$log" 2>/dev/null)
  local aborted
  aborted=$(grep -cE '^Test Run (Aborted|Canceled)' "$log" 2>/dev/null)
  [ "${aborted:-0}" -gt 0 ] && f=$((f + aborted)) notes+=("$aborted test run(s) aborted (test host crash)")
  for name in "$@"; do
    local seen=""
    for r in "${reported[@]}"; do [ "$r" = "$name" ] && seen=1; done
    [ -n "$seen" ] || { f=$((f + 1)) notes+=("$name reported nothing"); }
  done
  [ ${#reported[@]} -gt 0 ] || [ $# -gt 0 ] || { f=$((f + 1)) notes+=("no summary line"); }
  [ "$status" -eq 0 ] || [ "$f" -gt 0 ] || { f=$((f + 1)) notes+=("exit status $status with no failure reported"); }
  while IFS= read -r name; do skipped_names+=("$name"); done < <(sed -nE 's/^  Skipped (.+) \[[^]]*\]$/\1/p' "$log" 2>/dev/null)
  if [ "$s" -gt 0 ]; then
    local bad
    bad=$(ci_unallowed_skips dotnet "$s" "${skipped_names[@]}")
    [ "$bad" -eq 0 ] || { f=$((f + bad)) notes+=("$bad skip(s) not in the allow-list"); }
  fi
  ci_count "$label" "$p" "$f" "$s" "$(IFS=';'; echo "${notes[*]}")"
}

# ci_tap LOG WORD: N from the last `# WORD N` line of a TAP log, or nothing.
ci_tap() { grep -E "^# $2 [0-9]+\$" "$1" 2>/dev/null | tail -1 | awk '{print $3}'; }

# ci_node LABEL LOG STATUS: a `node --test --test-reporter=tap` log (its `# tests/pass/fail/cancelled/skipped/todo` summary).
ci_node() {
  local label=$1 log=$2 status=$3 notes=() skipped_names=() name
  local tests pass fail cancelled skipped todo
  tests=$(ci_tap "$log" tests) pass=$(ci_tap "$log" pass) fail=$(ci_tap "$log" fail)
  cancelled=$(ci_tap "$log" cancelled) skipped=$(ci_tap "$log" skipped) todo=$(ci_tap "$log" todo)
  if [ -z "$tests" ] || [ -z "$pass" ] || [ -z "$fail" ]; then
    ci_count "$label" 0 1 0 "no TAP summary (# tests, # pass, # fail); exit status $status"
    return
  fi
  cancelled=${cancelled:-0} skipped=${skipped:-0} todo=${todo:-0}
  local f=$((fail + cancelled + todo))
  [ "$cancelled" -eq 0 ] || notes+=("$cancelled cancelled (timed out or never finished)")
  [ "$todo" -eq 0 ] || notes+=("$todo todo")
  if [ "$tests" -ne $((pass + fail + cancelled + skipped + todo)) ]; then
    f=$((f + 1)) notes+=("# tests $tests is not pass + fail + cancelled + skipped + todo")
  fi
  [ "$status" -eq 0 ] || [ "$f" -gt 0 ] || { f=$((f + 1)) notes+=("exit status $status with no failure reported"); }
  while IFS= read -r name; do skipped_names+=("$name"); done < <(sed -nE 's/^ *ok [0-9]+ - (.*) # SKIP( .*)?$/\1/p' "$log")
  if [ "$skipped" -gt 0 ]; then
    local bad
    bad=$(ci_unallowed_skips js "$skipped" "${skipped_names[@]}")
    [ "$bad" -eq 0 ] || { f=$((f + bad)) notes+=("$bad skip(s) not in the allow-list"); }
  fi
  ci_count "$label" "$pass" "$f" "$skipped" "$(IFS=';'; echo "${notes[*]}")"
}

# ci_tally LABEL LOG STATUS NAME: a suite whose last report line is `NAME: N passed, N failed` (run.py prints
# `python-e2e: ...` and counts its own skips as failures; tests/ci/selftest.sh prints `ci-selftest: ...`).
ci_tally() {
  local label=$1 log=$2 status=$3 name=$4 line
  line=$(grep -E "^$name: [0-9]+ passed, [0-9]+ failed\$" "$log" 2>/dev/null | tail -1)
  if [ -z "$line" ]; then
    ci_count "$label" 0 1 0 "no '$name: N passed, N failed' line; exit status $status"
    return
  fi
  local p f
  p=$(echo "$line" | sed -E 's/.*: ([0-9]+) passed.*/\1/') f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed$/\1/')
  if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
    ci_count "$label" "$p" 1 0 "exit status $status with no failure reported"
  else
    ci_count "$label" "$p" "$f" 0
  fi
}

ci_show_dotnet() { :; } # shown while it runs
ci_show_tally() { tail -n 40 "$1"; }
ci_show_node() {
  grep -E "^# (tests|pass|fail|cancelled|skipped|todo) " "$1" || tail -n 40 "$1"
  grep -E "^ *not ok " "$1" | head -40
}

# ci_suite LABEL KIND [ARG...] -- COMMAND...: runs COMMAND with its output in $ci_logs/LABEL.log, then counts it with
# ci_KIND LABEL LOG STATUS ARG... (KIND: dotnet, node or tally). The one way test.sh adds a counted suite.
ci_suite() {
  local label=$1 kind=$2 args=() status
  shift 2
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do args+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  local log="$ci_logs/$label.log"
  if [ "$kind" = dotnet ]; then
    "$@" 2>&1 | tee "$log"
    status=${PIPESTATUS[0]}
  else
    "$@" > "$log" 2>&1
    status=$?
  fi
  "ci_show_$kind" "$log"
  "ci_$kind" "$label" "$log" "$status" "${args[@]}"
}

# ci_slnx_test_assemblies SLNX: the assembly file of every project in the solution's /tests/ folders (and below)
# that does not say <IsTestProject>false</IsTestProject>, one a line: what `dotnet test SLNX` must report.
ci_slnx_test_assemblies() {
  python3 - "$1" <<'PY'
import os, re, sys, xml.etree.ElementTree as ET
slnx = sys.argv[1]
root = ET.parse(slnx).getroot()
for folder in root.iter("Folder"):
    if not folder.get("Name", "").startswith("/tests/"):
        continue
    for project in folder.findall("Project"):
        path = os.path.join(os.path.dirname(os.path.abspath(slnx)), project.get("Path").replace("\\", "/"))
        text = open(path, encoding="utf-8").read()
        if re.search(r"<IsTestProject>\s*false\s*</IsTestProject>", text, re.I):
            continue
        name = re.search(r"<AssemblyName>\s*([^<\s]+)\s*</AssemblyName>", text)
        print((name.group(1) if name else os.path.splitext(os.path.basename(path))[0]) + ".dll")
PY
}
