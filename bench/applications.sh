#!/usr/bin/env bash
# Issue #19's long run and benchmarks for the application side. Needs a Release build (dotnet build src/Strongroom -c Release),
# PostgreSQL (Debian postgresql-15), python3-pygresql, python3-boto3, wrk.
#   bench/applications.sh zero-downtime   ≥ 60 s per rotator, ≥ 5 rotations each, connection every ~50 ms
#   bench/applications.sh agent           wrk: cached agent reads at 32 connections vs the same-run ceiling; finishSecret→agent p99
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-all}" in
  zero-downtime) exec /usr/bin/python3 tests/applications/zero_downtime.py --seconds 60 --rotations 5 --gap 5 ;;
  agent) exec /usr/bin/python3 bench/agent_bench.py ;;
  all) /usr/bin/python3 tests/applications/zero_downtime.py --seconds 60 --rotations 5 --gap 5; /usr/bin/python3 bench/agent_bench.py ;;
  *) echo "usage: $0 [zero-downtime|agent|all]" >&2; exit 2 ;;
esac
