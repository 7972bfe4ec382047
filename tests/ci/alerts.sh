#!/usr/bin/env bash
# The alerting rules in docs/operations/alerts.yml: `promtool check rules` (syntax, templates) and
# `promtool test rules` (each rule fires on its condition, docs/operations/alerts.test.yml). Last line:
# `alerts: N passed, N failed`. promtool is Debian's prometheus package (.ci/run installs it).
set -u
cd "$(dirname "$0")/../.."
passed=0 failed=0
for step in "check rules docs/operations/alerts.yml" "test rules docs/operations/alerts.test.yml"; do
  echo "== promtool $step"
  # shellcheck disable=SC2086
  if promtool $step; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
done
echo "alerts: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
