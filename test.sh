#!/usr/bin/env bash
# Runs every test: the .NET unit, store and process tests, then the end-to-end suites (boto3, AWS CLI v1
# and v2, AWS SDK for JavaScript v3, AWS SDK for .NET) against a real `strongroom server --dev` on SQLite, the web
# console's unit and browser tests (Chromium),
# and all of the end-to-end suites again against one on PostgreSQL (a throw-away cluster). Last line:
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

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Everything started here is stopped at exit, by the ids recorded here.
server=""
pg_server=""
pg_dir=""
pg_bin=""
as_pg=()
cleanup() {
  for pid in $server $pg_server; do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
  if [ -n "$pg_dir" ]; then
    [ -f "$pg_dir/data/postmaster.pid" ] && "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast -w stop >/dev/null 2>&1
    rm -rf "$pg_dir"
  fi
}
trap cleanup EXIT

# start_server LOG [extra flags...]: a dev server on a free loopback port; sets $started_pid and $started_endpoint.
start_server() {
  local log=$1; shift
  local p; p=$(free_port)
  dotnet src/Strongroom/bin/Release/net10.0/strongroom.dll server --dev --listen "127.0.0.1:$p" --rotation-interval 1s --rotation-retry-base 2s "$@" > "$log" 2>&1 &
  started_pid=$!
  started_endpoint="http://127.0.0.1:$p"
  for _ in $(seq 1 300); do
    curl -sf "$started_endpoint/health/ready" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  curl -sf "$started_endpoint/health/ready" >/dev/null
}

# e2e LABEL SERVER_LOG: the Python (boto3, AWS CLI v1 and v2) and JavaScript suites against $STRONGROOM_ENDPOINT.
e2e() {
  local label=$1 server_log=$2
  echo "== Python end-to-end (boto3, AWS CLI v1 and v2) against $STRONGROOM_ENDPOINT ($label)"
  python3 tests/e2e/python/run.py > "$logs/python-$label.log" 2>&1
  tail -n 40 "$logs/python-$label.log"
  local line
  line=$(grep -E "^python-e2e: [0-9]+ passed, [0-9]+ failed" "$logs/python-$label.log" | tail -1)
  if [ -n "$line" ]; then
    count "python-$label" "$(echo "$line" | sed -E 's/.*: ([0-9]+) passed.*/\1/')" "$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')"
  else
    count "python-$label" 0 1
  fi

  echo "== JavaScript end-to-end (AWS SDK v3) ($label)"
  (cd tests/e2e/js && { [ -d node_modules ] || npm ci --no-audit --no-fund >/dev/null 2>&1; } && node --test) > "$logs/js-$label.log" 2>&1
  grep -E "^# (tests|pass|fail)" "$logs/js-$label.log" || tail -n 40 "$logs/js-$label.log"
  grep -E "^not ok|^    not ok" "$logs/js-$label.log" | head -40
  local jp jf
  jp=$(grep -E "^# pass [0-9]+" "$logs/js-$label.log" | awk '{print $3}')
  jf=$(grep -E "^# fail [0-9]+" "$logs/js-$label.log" | awk '{print $3}')
  if [ -n "$jp" ] && [ -n "$jf" ]; then count "js-$label" "$jp" "$jf"; else count "js-$label" 0 1; fi

  if grep -q "CANARY\|golden-plaintext\|Sup3r-Secret-Master\|Init-[0-9a-f]\{32\}" "$server_log"; then
    echo "the $label server log holds a test plaintext"; count "leak-$label" 0 1
  fi
}

# count_dotnet LABEL LOG: adds the summary lines of a `dotnet test` log.
count_dotnet() {
  local label=$1 log=$2 line
  while read -r line; do
    count "$label" "$(echo "$line" | sed -E 's/.*Passed: +([0-9]+).*/\1/')" "$(echo "$line" | sed -E 's/.*Failed: +([0-9]+),.*/\1/')"
  done < <(grep -E "(Passed|Failed)! +- Failed: +[0-9]+, Passed: +[0-9]+" "$log")
  if ! grep -qE "(Passed|Failed)! +- Failed" "$log"; then count "$label" 0 1; fi
}

# One dev server on SQLite (the default store) serves every end-to-end suite, the .NET SDK tests included.
if start_server "$logs/server.log"; then :; else
  echo "server did not start:"; cat "$logs/server.log"; count server 0 1
fi
server=$started_pid
export STRONGROOM_ENDPOINT=$started_endpoint

echo "== .NET tests (unit, store, process, AWS SDK for .NET against $STRONGROOM_ENDPOINT)"
dotnet test Strongroom.slnx -c Release --no-build -nologo 2>&1 | tee "$logs/dotnet.log"
count_dotnet dotnet "$logs/dotnet.log"

if curl -sf "$STRONGROOM_ENDPOINT/health/ready" >/dev/null; then
  e2e sqlite "$logs/server.log"
fi
kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; server=""

# ---- Web console (issue #20): its unit tests (node:test), then its browser tests in Debian's Chromium, which start
# their own servers. Both runners' exit status is checked; one line: "== console: N passed, N failed".
console_suite() {
  local unit=$logs/console-unit.log browser=$logs/console-browser.log p=0 f=0 np nf
  (cd src/Strongroom.Console && npm test) > "$unit" 2>&1; local unit_status=$?
  (cd tests/e2e/console && { [ -d node_modules ] || npm ci --no-audit --no-fund >/dev/null 2>&1; } && node --test --test-concurrency=1) > "$browser" 2>&1; local browser_status=$?
  grep -E "^# (secrets list|  )" "$browser"
  for run in "$unit:$unit_status" "$browser:$browser_status"; do
    local log=${run%:*} status=${run##*:}
    grep -E "^not ok|^    not ok" "$log" | head -20
    np=$(grep -E "^# pass [0-9]+" "$log" | tail -1 | awk '{print $3}')
    nf=$(grep -E "^# fail [0-9]+" "$log" | tail -1 | awk '{print $3}')
    # A runner that exited non-zero without counting a failure (a type error, a crash) counts as one.
    if [ "$status" -ne 0 ] && [ "${nf:-0}" -eq 0 ]; then nf=1; tail -n 20 "$log"; fi
    p=$((p + ${np:-0})); f=$((f + ${nf:-0}))
  done
  count console "$p" "$f"
}
echo "== Web console: unit tests, then browser tests in Chromium"
console_suite

# The same suites again against a dev server on PostgreSQL: a throw-away cluster (initdb in a temp directory, a free
# port, password authentication over TCP; as root it runs as the postgres OS user, since PostgreSQL refuses root).
echo "== PostgreSQL store: starting a throw-away cluster"
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -z "$pg_bin" ] || [ ! -x "$pg_bin/initdb" ]; then
  echo "PostgreSQL server binaries are missing (install postgresql)"; count postgres 0 1
else
  pg_dir=$(mktemp -d)
  if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$pg_dir"; as_pg=(runuser -u postgres --); fi
  pg_port=$(free_port)
  pg_password=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
  (umask 077 && printf '%s\n' "$pg_password" > "$pg_dir/pw")
  [ "$(id -u)" = 0 ] && chown postgres "$pg_dir/pw"
  if "${as_pg[@]}" "$pg_bin/initdb" -D "$pg_dir/data" -U postgres --pwfile="$pg_dir/pw" --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 --no-sync > "$logs/pg-initdb.log" 2>&1 &&
     rm -f "$pg_dir/pw" &&
     "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w -t 60 -o "-p $pg_port -k $pg_dir -c listen_addresses=127.0.0.1 -c fsync=off" start > "$logs/pg-start.log" 2>&1; then
    # The connection string goes through the environment: a flag would show the password in the process list.
    if STRONGROOM_POSTGRES="Host=127.0.0.1;Port=$pg_port;Username=postgres;Password=$pg_password;Database=postgres" start_server "$logs/server-pg.log" --storage postgres; then
      pg_server=$started_pid
      export STRONGROOM_ENDPOINT=$started_endpoint
      echo "== AWS SDK for .NET against $STRONGROOM_ENDPOINT (postgres)"
      dotnet test tests/Strongroom.E2E.Sdk -c Release --no-build -nologo 2>&1 | tee "$logs/dotnet-pg.log"
      count_dotnet dotnet-e2e-postgres "$logs/dotnet-pg.log"
      e2e postgres "$logs/server-pg.log"
      if grep -qF "$pg_password" "$logs/server-pg.log"; then
        echo "the PostgreSQL server log holds the database password"; count leak-postgres 0 1
      fi
    else
      echo "server on PostgreSQL did not start:"; cat "$logs/server-pg.log"; count server-postgres 0 1
    fi
  else
    echo "PostgreSQL did not start:"; cat "$logs/pg-initdb.log" "$logs/pg-start.log" "$pg_dir/server.log" 2>/dev/null; count postgres 0 1
  fi
fi

echo "logs: $logs"
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
