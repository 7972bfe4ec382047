#!/usr/bin/env bash
# The Debian package, installed for real (issue #23): builds it (linux-x64 only, to save CI time), `dpkg -i`,
# `systemd-analyze verify` of the installed unit, starts the installed binary as the strongroom user with the
# unit's ExecStart and Environment (systemd does not run in CI), drives it with the AWS CLI v2, stops it, builds a
# second package with a bumped version, upgrades in place, reads the same secret again, purges, and finds the data
# directory still there. Needs root (it installs a package and creates a system user) and a machine without a
# Strongroom installation: it refuses to run when /var/lib/strongroom exists, and removes what it created at the end.
# Last line: `deb-install: N passed, N failed` (counted by test.sh with ci_tally).
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok   $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else fail "$name"; fi; }
finish() { echo "deb-install: $passed passed, $failed failed"; [ "$failed" -eq 0 ]; exit $?; }

[ "$(id -u)" = 0 ] || { fail "needs root (dpkg -i, a system user)"; finish; }
if [ -e /var/lib/strongroom ] || dpkg -s strongroom >/dev/null 2>&1; then
  fail "refusing to run: Strongroom is installed here (/var/lib/strongroom or the strongroom package exists)"
  finish
fi
user_existed=""
getent passwd strongroom >/dev/null && user_existed=1

work=$(mktemp -d)
server_pid=""
cleanup() {
  [ -z "$server_pid" ] || { kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; }
  dpkg -s strongroom >/dev/null 2>&1 && dpkg --purge strongroom >/dev/null 2>&1
  rm -rf /var/lib/strongroom "$work"
  [ -n "$user_existed" ] || { userdel strongroom 2>/dev/null; groupdel strongroom 2>/dev/null; } || true
}
trap cleanup EXIT

base=$(grep -m1 -o "<Version>[0-9.]*</Version>" src/Strongroom/Strongroom.csproj | sed "s:</\?Version>::g")
v1="$base"
v2="$base.1"
unit=/lib/systemd/system/strongroom.service

# start_installed LOG: the installed binary as the strongroom user, with the unit's ExecStart and Environment
# (read from the installed unit, and its UMask) and nothing else from this shell, on a free port (STRONGROOM_LISTEN wins over the
# config file's listen, which another program here may hold).
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
endpoint="http://127.0.0.1:$port"
start_installed() {
  local log=$1 exec_start user
  exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
  user=$(sed -n 's/^User=//p' "$unit")
  mapfile -t unit_env < <(sed -n 's/^Environment=//p' "$unit")
  umask_=$(sed -n 's/^UMask=//p' "$unit")
  # shellcheck disable=SC2086 # ExecStart is a plain word list
  (cd / && umask "$umask_" && exec runuser -u "$user" -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "${unit_env[@]}" STRONGROOM_LISTEN="127.0.0.1:$port" $exec_start) > "$log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 150); do
    curl -sf "$endpoint/health/ready" >/dev/null 2>&1 && return 0
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.2
  done
  echo "--- server log"; cat "$log"; return 1
}
# SIGTERM to the server itself (runuser's child, as systemd would send it), then runuser's exit status: the server's.
stop_installed() {
  local child; child=$(pgrep -n -P "$server_pid" || echo "$server_pid")
  kill -TERM "$child"; wait "$server_pid"; local status=$?; server_pid=""; return $status
}
aws_() { AWS_SHARED_CREDENTIALS_FILE=/var/lib/strongroom/admin.credentials AWS_DEFAULT_REGION=us-east-1 AWS_CONFIG_FILE=/dev/null /usr/bin/aws --endpoint-url "$endpoint" "$@"; }

t0=$(date +%s)
echo "== packaging/build.sh --arch x64 --version $v1"
if ! ./packaging/build.sh --arch x64 --version "$v1" > "$work/build1.log" 2>&1; then
  cat "$work/build1.log"; fail "build.sh --arch x64 --version $v1"; finish
fi
ok "build.sh built and lintian passed dist/strongroom_${v1}_amd64.deb ($(du -h "dist/strongroom_${v1}_amd64.deb" | cut -f1); binary $(du -h dist/strongroom-linux-x64/strongroom | cut -f1)) in $(( $(date +%s) - t0 )) s"
cp "dist/strongroom_${v1}_amd64.deb" "$work/"

echo "== dpkg -i strongroom_${v1}_amd64.deb"
check "dpkg -i $v1" dpkg -i "$work/strongroom_${v1}_amd64.deb"
check "strongroom system user" bash -c 'getent passwd strongroom | grep -q ":/usr/sbin/nologin$"'
check "/var/lib/strongroom is 0700 strongroom:strongroom" bash -c '[ "$(stat -c "%a %U %G" /var/lib/strongroom)" = "700 strongroom strongroom" ]'
check "/etc/strongroom/strongroom.json is a conffile, 0640 root:strongroom" bash -c '[ "$(stat -c "%a %U %G" /etc/strongroom/strongroom.json)" = "640 root strongroom" ] && dpkg-query -W -f="\${Conffiles}" strongroom | grep -q /etc/strongroom/strongroom.json'
check "strongroom --version says $v1 and a commit" bash -c "/usr/bin/strongroom --version | grep -E '^strongroom $v1 \\(commit [0-9a-f]{40}'"
check "systemd-analyze verify $unit" bash -c "systemd-analyze verify $unit 2>&1 | tee $work/verify.log; [ ! -s $work/verify.log ]"
check "the unit is hardened as issue #23 asks" bash -c "for k in NoNewPrivileges=yes ProtectSystem=strict ProtectHome=yes PrivateTmp=yes ReadWritePaths=/var/lib/strongroom CapabilityBoundingSet= LimitCORE=0; do grep -qx \"\$k\" $unit || { echo missing \$k; exit 1; }; done"

echo "== the installed server, as the strongroom user"
if start_installed "$work/server1.log"; then
  ok "installed server started as strongroom"
  check "first start prints the banner with the two export lines" bash -c "grep -q '^  export AWS_SHARED_CREDENTIALS_FILE=/var/lib/strongroom/admin.credentials AWS_DEFAULT_REGION=us-east-1\$' $work/server1.log && grep -q '^  export AWS_ENDPOINT_URL=http://127.0.0.1:$port\$' $work/server1.log"
  secret_key=$(sed -n 's/^aws_secret_access_key *= *//p' /var/lib/strongroom/admin.credentials)
  check "the banner and logs never show the admin's secret key" bash -c "[ -n '$secret_key' ] && ! grep -qF -- '$secret_key' $work/server1.log"
  check "logs are JSON lines when not on a terminal" grep -qE '^\{"Timestamp":"[^"]+","EventId":101,' "$work/server1.log"
  check "process runs as strongroom" bash -c "[ \"\$(ps -o user= -p \$(pgrep -P $server_pid -n || echo $server_pid) | tr -d ' ')\" = strongroom ] || [ \"\$(ps -o user= -p $server_pid | tr -d ' ')\" = strongroom ]"
  check "data files are 0600 strongroom (the unit's UMask=0077)" bash -c 'for f in root.key admin.credentials strongroom.db strongroom-audit.db; do [ "$(stat -c "%a %U" /var/lib/strongroom/$f)" = "600 strongroom" ] || { ls -l /var/lib/strongroom; exit 1; }; done'
  check "aws secretsmanager create-secret" aws_ secretsmanager create-secret --name pkg/test --secret-string "installed-$v1" --output text --query ARN
  check "aws secretsmanager get-secret-value" bash -c "[ \"\$(AWS_SHARED_CREDENTIALS_FILE=/var/lib/strongroom/admin.credentials AWS_DEFAULT_REGION=us-east-1 AWS_CONFIG_FILE=/dev/null /usr/bin/aws --endpoint-url $endpoint secretsmanager get-secret-value --secret-id pkg/test --query SecretString --output text)\" = installed-$v1 ]"
  check "the web console is served from the single file" bash -c "curl -sf $endpoint/console/ | grep -qi '<html'"
  check "stops cleanly on SIGTERM" stop_installed
else
  fail "installed server started as strongroom"
fi
# As an operator runs it (sudo -u strongroom: HOME is the user's home, where the executable unpacks its SQLite library).
as_strongroom() { (cd / && runuser -u strongroom -- env HOME=/var/lib/strongroom /usr/bin/strongroom "$@"); }
check "strongroom doctor on the installed data directory" bash -c "$(declare -f as_strongroom); as_strongroom doctor --data-dir /var/lib/strongroom > $work/doctor.log 2>&1 || { cat $work/doctor.log; false; }"

echo "== upgrade in place to $v2"
t1=$(date +%s)
echo '// kept across the upgrade' >> /etc/strongroom/strongroom.json
if ./packaging/build.sh --arch x64 --version "$v2" --no-lintian > "$work/build2.log" 2>&1; then
  ok "build.sh --version $v2 in $(( $(date +%s) - t1 )) s"
  check "dpkg -i $v2 over $v1" dpkg -i "dist/strongroom_${v2}_amd64.deb"
  check "dpkg says $v2 is installed" bash -c "[ \"\$(dpkg-query -W -f='\${Version}' strongroom)\" = $v2 ]"
  check "strongroom --version says $v2" bash -c "/usr/bin/strongroom --version | grep -q '^strongroom $v2 '"
  check "the edited conffile was kept" grep -q '^// kept across the upgrade$' /etc/strongroom/strongroom.json
  if start_installed "$work/server2.log"; then
    ok "upgraded server started"
    check "no first-start banner on the existing data directory" bash -c "! grep -q 'export AWS_ENDPOINT_URL' $work/server2.log"
    check "the same secret reads back after the upgrade" bash -c "[ \"\$(AWS_SHARED_CREDENTIALS_FILE=/var/lib/strongroom/admin.credentials AWS_DEFAULT_REGION=us-east-1 AWS_CONFIG_FILE=/dev/null /usr/bin/aws --endpoint-url $endpoint secretsmanager get-secret-value --secret-id pkg/test --query SecretString --output text)\" = installed-$v1 ]"
    check "stops cleanly" stop_installed
  else
    fail "upgraded server started"
  fi
else
  cat "$work/build2.log"; fail "build.sh --version $v2"
fi
check "audit trail verifies after the upgrade" as_strongroom audit verify --data-dir /var/lib/strongroom

echo "== dpkg --purge"
check "dpkg --purge strongroom" dpkg --purge strongroom
check "purge removed /etc/strongroom and /usr/bin/strongroom" bash -c '[ ! -e /etc/strongroom ] && [ ! -e /usr/bin/strongroom ]'
check "purge kept the data directory (store, root key, audit trail)" bash -c '[ -f /var/lib/strongroom/strongroom.db ] && [ -f /var/lib/strongroom/root.key ] && [ -f /var/lib/strongroom/strongroom-audit.db ]'
echo "suite time: $(( $(date +%s) - t0 )) s"
finish
