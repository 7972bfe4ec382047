#!/usr/bin/env bash
# Start-up time and memory of `strongroom server`, started the ways an operator can start it (issue #23):
#   bench/startup/measure.sh [RUNS] LABEL=COMMAND... (each COMMAND is run as `COMMAND server --data-dir D --listen ...`)
# e.g. bench/startup/measure.sh 5 "single-file=dist/strongroom-linux-x64/strongroom" \
#        "dll=dotnet src/Strongroom/bin/Release/net10.0/strongroom.dll" "dotnet-run=dotnet run --project src/Strongroom -c Release --no-build --"
# For each: the time from exec to the first 200 from /health/ready on an initialised SQLite data directory (median
# of RUNS), and the process's RSS (VmRSS of the server process, the newest child for `dotnet run`) when ready and
# after 200 API calls made with curl (unsigned: each is parsed, refused with an authentication error and audited).
set -uo pipefail
runs=${1:-5}; shift
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
data=$(mktemp -d); rm -rf "$data"
# Initialise the data directory once, with the first command.
first=${1#*=}
p=$(free_port); $first server --data-dir "$data" --listen 127.0.0.1:$p >/dev/null 2>&1 & pid=$!
until curl -sf http://127.0.0.1:$p/health/ready >/dev/null; do sleep 0.2; done; kill $pid; wait $pid 2>/dev/null
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores"
printf '%-14s %10s %10s %12s\n' label ready_ms rss_ready rss_after_200
for spec in "$@"; do
  label=${spec%%=*} cmd=${spec#*=}
  times=() rss1=() rss2=()
  for _ in $(seq 1 "$runs"); do
    p=$(free_port)
    start=$(date +%s%N)
    $cmd server --data-dir "$data" --listen 127.0.0.1:$p >/dev/null 2>&1 & pid=$!
    until curl -sf http://127.0.0.1:$p/health/ready >/dev/null 2>&1; do sleep 0.02; done
    end=$(date +%s%N)
    server=$pid
    child=$(pgrep -n -P $pid strongroom || pgrep -n -P $pid dotnet || true); [ -z "$child" ] || server=$child
    rss1+=("$(awk '/VmRSS/{print $2}' /proc/$server/status)")
    for _ in $(seq 1 200); do curl -s -o /dev/null -X POST -H 'X-Amz-Target: secretsmanager.ListSecrets' -H 'Content-Type: application/x-amz-json-1.1' -d '{}' http://127.0.0.1:$p/; done
    rss2+=("$(awk '/VmRSS/{print $2}' /proc/$server/status)")
    kill $pid; wait $pid 2>/dev/null
    times+=($(( (end - start) / 1000000 )))
  done
  med() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
  printf '%-14s %10s %9sM %11sM\n' "$label" "$(med "${times[@]}")" "$(( $(med "${rss1[@]}") / 1024 ))" "$(( $(med "${rss2[@]}") / 1024 ))"
done
rm -rf "$data"
