#!/usr/bin/env bash
# Runs every test: the .NET unit, store and process tests, then the end-to-end suites (boto3, AWS CLI v1
# and v2, AWS SDK for JavaScript v3) against a real `strongroom server --dev`. Last line:
#   tests: N passed, N failed
set -uo pipefail
cd "$(dirname "$0")"
root=$(pwd)
logs=$(mktemp -d)
passed=0
failed=0

count() { # name passed failed
  echo "== $1: $2 passed, $3 failed"
  passed=$((passed + $2))
  failed=$((failed + $3))
}

echo "== building (Release, warnings are errors)"
if ! dotnet build Strongroom.slnx -c Release -nologo -v q 2>&1 | tee "$logs/build.log" | grep -E "error|Warn" ; then :; fi
if ! grep -q " 0 Error(s)" "$logs/build.log"; then
  echo "build failed"; echo "tests: 0 passed, 1 failed"; exit 1
fi

# One dev server on a free loopback port serves every end-to-end suite (the .NET SDK tests included).
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
dotnet src/Strongroom/bin/Release/net10.0/strongroom.dll server --dev --listen "127.0.0.1:$port" --rotation-interval 1s --rotation-retry-base 2s > "$logs/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null' EXIT
export STRONGROOM_ENDPOINT="http://127.0.0.1:$port"
for _ in $(seq 1 300); do
  curl -sf "$STRONGROOM_ENDPOINT/health/ready" >/dev/null 2>&1 && break
  sleep 0.2
done
if ! curl -sf "$STRONGROOM_ENDPOINT/health/ready" >/dev/null; then
  echo "server did not start:"; cat "$logs/server.log"; count server 0 1
fi

echo "== .NET tests (unit, store, process, AWS SDK for .NET against $STRONGROOM_ENDPOINT)"
dotnet test Strongroom.slnx -c Release --no-build -nologo 2>&1 | tee "$logs/dotnet.log"
while read -r line; do
  count dotnet "$(echo "$line" | sed -E 's/.*Passed: +([0-9]+).*/\1/')" "$(echo "$line" | sed -E 's/.*Failed: +([0-9]+),.*/\1/')"
done < <(grep -E "(Passed|Failed)! +- Failed: +[0-9]+, Passed: +[0-9]+" "$logs/dotnet.log")
if ! grep -qE "(Passed|Failed)! +- Failed" "$logs/dotnet.log"; then count dotnet 0 1; fi

if curl -sf "$STRONGROOM_ENDPOINT/health/ready" >/dev/null; then
  echo "== Python end-to-end (boto3, AWS CLI v1 and v2) against $STRONGROOM_ENDPOINT"
  python3 tests/e2e/python/run.py > "$logs/python.log" 2>&1
  tail -n 40 "$logs/python.log"
  line=$(grep -E "^python-e2e: [0-9]+ passed, [0-9]+ failed" "$logs/python.log" | tail -1)
  if [ -n "$line" ]; then
    count python "$(echo "$line" | sed -E 's/.*: ([0-9]+) passed.*/\1/')" "$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')"
  else
    count python 0 1
  fi

  echo "== JavaScript end-to-end (AWS SDK v3)"
  (cd tests/e2e/js && { [ -d node_modules ] || npm ci --no-audit --no-fund >/dev/null 2>&1; } && node --test) > "$logs/js.log" 2>&1
  grep -E "^# (tests|pass|fail)" "$logs/js.log" || tail -n 40 "$logs/js.log"
  grep -E "^not ok|^    not ok" "$logs/js.log" | head -40
  jp=$(grep -E "^# pass [0-9]+" "$logs/js.log" | awk '{print $3}')
  jf=$(grep -E "^# fail [0-9]+" "$logs/js.log" | awk '{print $3}')
  if [ -n "$jp" ] && [ -n "$jf" ]; then count js "$jp" "$jf"; else count js 0 1; fi

  if grep -q "CANARY\|golden-plaintext\|Sup3r-Secret-Master\|Init-[0-9a-f]\{32\}" "$logs/server.log"; then
    echo "the server log holds a test plaintext"; count leak 0 1
  fi
fi

echo "logs: $logs"
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
