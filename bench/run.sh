#!/usr/bin/env bash
# The benchmark suite in one command (see bench/README.md):
#   bench/run.sh                       everything: load, scale (to 1,000,000 secrets), audit, nodes and micro
#   bench/run.sh load|scale|audit|nodes|micro|all [options]
#   bench/run.sh --duration 5 --connections 1,32 --max-secrets 100000    a shorter "all"
# Builds Release, starts the servers it needs on loopback ports, and writes
# bench/results/<yyyy-mm-dd>-<host>.md and .csv (pass --name to choose another name).
set -euo pipefail
cd "$(dirname "$0")/.."

command=all
if [[ $# -gt 0 && "$1" != -* ]]; then
  command="$1"
  shift
fi

echo "bench/run.sh: building Release" >&2
dotnet build -c Release -nologo -v:q src/Strongroom/Strongroom.csproj >&2
dotnet build -c Release -nologo -v:q bench/Strongroom.Bench/Strongroom.Bench.csproj >&2

name="$(date +%Y-%m-%d)-$(hostname)"
exec dotnet bench/Strongroom.Bench/bin/Release/net10.0/Strongroom.Bench.dll "$command" \
  --out bench/results --name "$name" \
  --strongroom src/Strongroom/bin/Release/net10.0/strongroom.dll "$@"
