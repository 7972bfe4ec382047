#!/usr/bin/env bash
# Runs every test: the self-test of this script's counting, the .NET unit, store and process tests, then the
# end-to-end suites (boto3, AWS CLI v1 and v2, AWS SDK for JavaScript v3, AWS SDK for .NET) against a real
# `strongroom server --dev` on SQLite, the web console's unit and browser tests (Chromium), and all of the end-to-end suites again against a real (not dev) server on
# PostgreSQL (a throw-away cluster). How the suites are added up, and what counts as a failure (exit status,
# missing or aborted reports, cancelled tests, skips not in tests/skips.allowed, a suite that never ran), is in
# tests/ci/counting.sh. Add a suite with ci_suite (and its label to ci_expect). Last line:
#   tests: N passed, N failed
set -uo pipefail
cd "$(dirname "$0")"
root=$(pwd)
# shellcheck source=tests/ci/counting.sh
source tests/ci/counting.sh
logs=$(mktemp -d)
ci_logs=$logs
ci_skips_file=$root/tests/skips.allowed
ci_reset
ci_expect ci-selftest alerts fuzz deb-install console-unit console-browser zero-downtime guides dotnet python-sqlite js-sqlite leak-sqlite dotnet-e2e-postgres python-postgres js-postgres leak-postgres

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Everything started here is stopped at exit, by the ids recorded here. A script that stops early still ends
# with the last line, one failure more.
server=""
pg_server=""
pg_dir=""
pg_node=""
pg_bin=""
as_pg=()
cleanup() {
  for pid in $server $pg_server; do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
  if [ -n "$pg_dir" ]; then
    [ -f "$pg_dir/data/postmaster.pid" ] && "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast -w stop >/dev/null 2>&1
    rm -rf "$pg_dir"
  fi
  [ -z "$pg_node" ] || rm -rf "$pg_node"
  if [ -z "$ci_finished" ]; then
    echo "test.sh stopped before its end"
    ci_count test.sh 0 1 0 "stopped early"
    ci_finish
    exit 1
  fi
}
trap cleanup EXIT

echo "== self-test of the counting (tests/ci/selftest.sh)"
ci_suite ci-selftest tally ci-selftest -- bash tests/ci/selftest.sh

echo "== building (Release, warnings are errors)"
dotnet build Strongroom.slnx -c Release -nologo -v q 2>&1 | tee "$logs/build.log" | grep -E "error|Warn"
build_status=${PIPESTATUS[0]}
if [ "$build_status" -ne 0 ] || ! grep -q " 0 Error(s)" "$logs/build.log"; then
  echo "build failed (exit status $build_status)"
  ci_count build 0 1 0 "build failed"
  ci_finish
  exit 1
fi

echo "== alerting rules (promtool check/test rules docs/operations/alerts.yml)"
ci_suite alerts tally alerts -- bash tests/ci/alerts.sh

strongroom=(dotnet src/Strongroom/bin/Release/net10.0/strongroom.dll)

# start_server LOG FLAGS...: a server on a free loopback port; sets $started_pid and $started_endpoint.
start_server() {
  local log=$1; shift
  local p; p=$(free_port)
  "${strongroom[@]}" server --listen "127.0.0.1:$p" --rotation-interval 1s --rotation-retry-base 2s "$@" > "$log" 2>&1 &
  started_pid=$!
  started_endpoint="http://127.0.0.1:$p"
  for _ in $(seq 1 300); do
    curl -sf "$started_endpoint/health/ready" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  curl -sf "$started_endpoint/health/ready" >/dev/null
}

js_suite() ( cd tests/e2e/js && { [ -d node_modules ] || npm ci --no-audit --no-fund >/dev/null 2>&1; } && node --test --test-reporter=tap )

# e2e LABEL SERVER_LOG DEV: the Python (boto3, AWS CLI v1 and v2) and JavaScript suites against $STRONGROOM_ENDPOINT,
# then the server log's leak check. DEV=1 for a dev server (unknown access keys are the admin), 0 for a normal one.
e2e() {
  local label=$1 server_log=$2 dev=$3
  echo "== Python end-to-end (boto3, AWS CLI v1 and v2) against $STRONGROOM_ENDPOINT ($label)"
  ci_suite "python-$label" tally python-e2e -- env STRONGROOM_E2E_DEV="$dev" python3 tests/e2e/python/run.py
  echo "== JavaScript end-to-end (AWS SDK v3) ($label)"
  ci_suite "js-$label" node -- js_suite
  if grep -q "CANARY\|golden-plaintext\|Sup3r-Secret-Master\|Init-[0-9a-f]\{32\}" "$server_log"; then
    ci_count "leak-$label" 0 1 0 "the $label server log holds a test plaintext"
  else
    ci_count "leak-$label" 1 0
  fi
}

# e2e_not_run LABEL REASON
e2e_not_run() { for suite in python js leak; do ci_not_run "$suite-$1" "$2"; done; }

# One dev server on SQLite (the default store) serves every end-to-end suite, the .NET SDK tests included.
if start_server "$logs/server.log" --dev; then
  server_up=1
else
  server_up=""
  echo "server did not start:"; cat "$logs/server.log"
fi
server=$started_pid
export STRONGROOM_ENDPOINT=$started_endpoint

echo "== .NET tests (unit, store, process, AWS SDK for .NET against $STRONGROOM_ENDPOINT)"
mapfile -t dotnet_projects < <(ci_slnx_test_assemblies Strongroom.slnx)
if [ ${#dotnet_projects[@]} -eq 0 ]; then
  ci_not_run dotnet "no test project found in Strongroom.slnx's /tests/ folder"
else
  echo "expecting a report from each of: ${dotnet_projects[*]}"
  ci_suite dotnet dotnet "${dotnet_projects[@]}" -- dotnet test Strongroom.slnx -c Release --no-build -nologo
fi

if [ -z "$server_up" ]; then
  e2e_not_run sqlite "the dev server on SQLite did not start"
elif curl -sf "$STRONGROOM_ENDPOINT/health/ready" >/dev/null; then
  e2e sqlite "$logs/server.log" 1
else
  echo "the dev server on SQLite stopped answering during the .NET tests:"; tail -n 40 "$logs/server.log"
  e2e_not_run sqlite "the dev server on SQLite stopped answering during the .NET tests"
fi
kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; server=""

# ---- Web console (issue #20): its unit tests (node:test, after a type check and a build of the tests) and its
# browser tests in Debian's Chromium, which start their own servers.
echo "== Web console: unit tests, then browser tests in Chromium"
console_unit() ( cd src/Strongroom.Console && npx --no-install tsc --noEmit -p . && node build.mjs --tests && node --test --test-reporter=tap .test-build/ )
console_browser() ( cd tests/e2e/console && { [ -d node_modules ] || npm ci --no-audit --no-fund >/dev/null 2>&1; } && node --test --test-concurrency=1 --test-reporter=tap )
ci_suite console-unit node -- console_unit
ci_suite console-browser node -- console_browser

# ---- Applications through rotation (issue #19): a real PostgreSQL, the built-in rotators, `strongroom agent`, and a
# client opening a connection every ~50 ms; 0 failed connections. The >= 60 s run is bench/applications.sh.
echo "== Applications through rotation (tests/applications/zero_downtime.py, short run)"
ci_suite zero-downtime tally zero-downtime -- /usr/bin/python3 tests/applications/zero_downtime.py --seconds 20 --rotations 3 --gap 2

# ---- Guides (issue #26): every `sh` block of docs/guides/*.md, in order, as a newcomer runs them, each guide against
# a fresh server of its own (and a throw-away PostgreSQL where the guide says `needs: postgresql`).
echo "== Guides (tests/guides/run_guides.py)"
ci_suite guides tally guides -- python3 tests/guides/run_guides.py

# The same suites again against a normal server on PostgreSQL (`--dev` runs only on its own temporary SQLite): a
# throw-away cluster (initdb in a temp directory, a free port, password authentication over TCP; as root it runs
# as the postgres OS user, since PostgreSQL refuses root), a node data directory for the root key, and the
# suites' access key test/test imported for the admin.
pg_not_run() { ci_not_run dotnet-e2e-postgres "$1"; e2e_not_run postgres "$1"; }
echo "== PostgreSQL store: starting a throw-away cluster"
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -z "$pg_bin" ] || [ ! -x "$pg_bin/initdb" ]; then
  echo "PostgreSQL server binaries are missing (install postgresql)"
  pg_not_run "PostgreSQL server binaries are missing"
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
    pg_node=$(mktemp -d)
    # The connection string goes through the environment: a flag would show the password in the process list.
    export STRONGROOM_STORAGE=postgres STRONGROOM_POSTGRES="Host=127.0.0.1;Port=$pg_port;Username=postgres;Password=$pg_password;Database=postgres"
    if start_server "$logs/server-pg.log" --data-dir "$pg_node/data" &&
       "${strongroom[@]}" admin import-access-key --data-dir "$pg_node/data" --access-key-id test --secret-access-key test > "$logs/pg-import.log" 2>&1; then
      unset STRONGROOM_STORAGE STRONGROOM_POSTGRES
      pg_server=$started_pid
      export STRONGROOM_ENDPOINT=$started_endpoint
      echo "== AWS SDK for .NET against $STRONGROOM_ENDPOINT (postgres)"
      ci_suite dotnet-e2e-postgres dotnet Strongroom.E2E.Sdk.dll -- dotnet test tests/Strongroom.E2E.Sdk -c Release --no-build -nologo
      e2e postgres "$logs/server-pg.log" 0
      if grep -qF "$pg_password" "$logs/server-pg.log"; then
        ci_count leak-postgres-password 0 1 0 "the PostgreSQL server log holds the database password"
      fi
    else
      unset STRONGROOM_STORAGE STRONGROOM_POSTGRES
      pg_server=$started_pid
      echo "server on PostgreSQL did not start or took no access key:"; cat "$logs/server-pg.log" "$logs/pg-import.log" 2>/dev/null
      pg_not_run "the server on PostgreSQL did not start"
    fi
  else
    echo "PostgreSQL did not start:"; cat "$logs/pg-initdb.log" "$logs/pg-start.log" "$pg_dir/server.log" 2>/dev/null
    pg_not_run "PostgreSQL did not start"
  fi
fi

# --- The Debian package (issue #23): built (linux-x64), installed with dpkg -i, run as the strongroom user with the
# unit's command line and environment, driven with the AWS CLI, upgraded in place, purged (data directory kept).
echo "== Debian package: build, install, run, upgrade, purge (tests/packaging/deb_install.sh)"
ci_suite deb-install tally deb-install -- tests/packaging/deb_install.sh

# --- Fuzzing (issue #16): AFL++ on each SharpFuzz target for a bounded time; one count per target. -----------------
echo "== fuzzing (fuzz/run.sh: 12 s per target)"
ci_suite fuzz tally fuzz -- fuzz/run.sh 12

echo "logs: $logs"
ci_finish
