#!/usr/bin/python3
"""Benchmarks of `strongroom agent` (issue #19), in one run on this machine:

1. Cached reads: wrk, one client thread and 32 connections (`wrk -t1 -c32`, as bench/presigned.py measures the
   server, so the client takes one core of two and the figure is the agent's), GET /secretsmanager/get?secretId=… with the SSRF token, against the same-run
   ceiling: the bench suite's bare Kestrel (`Strongroom.Bench ceiling-server`, a fixed 200-byte JSON answer; see
   bench/README.md), plus, for context, the agent's own /ping and the server's /health/live. Targets: cached reads
   >= 0.5 x the ceiling, p99 <= 2 ms.
2. Freshness: UpdateSecretVersionStage moving AWSCURRENT (what rotation's finishSecret does), then the time until the
   agent serves the new version, polled every 5 ms. Target p99 <= 1 s.

Usage: /usr/bin/python3 bench/agent_bench.py [--seconds 10] [--trials 40]
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time
import urllib.request
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "e2e", "python"))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "applications"))
import boto3  # noqa: E402
from databases import free_port  # noqa: E402
from zero_downtime import ENV, start, wait  # noqa: E402

REGION = "us-east-1"
CEILING = os.path.join(os.path.dirname(os.path.abspath(__file__)), "Strongroom.Bench", "bin", "Release", "net10.0", "Strongroom.Bench.dll")


def wrk(url, seconds, token=None):
    args = ["wrk", "-t1", "-c32", f"-d{seconds}s", "--latency"]
    if token:
        args += ["-H", f"X-Aws-Parameters-Secrets-Token: {token}"]
    out = subprocess.run(args + [url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, float(p99.group(1)) * scale, int(non2xx.group(1)) if non2xx else 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--trials", type=int, default=40)
    args = parser.parse_args()
    work = __import__("tempfile").mkdtemp(prefix="strongroom-agent-bench-")
    server_port, agent_port = free_port(), free_port()
    token = uuid.uuid4().hex
    server = agent = ceiling = None
    if not os.path.exists(CEILING):
        raise SystemExit(f"{CEILING} is missing: dotnet build bench/Strongroom.Bench -c Release")
    try:
        ceiling_port = free_port()
        ceiling = subprocess.Popen(["dotnet", CEILING, "ceiling-server", "--port", str(ceiling_port)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        wait(lambda: urllib.request.urlopen(f"http://127.0.0.1:{ceiling_port}/ready", timeout=2).status == 200, "the ceiling server")
        server = start(["server", "--dev", "--listen", f"127.0.0.1:{server_port}", "--log-format", "text"], open(os.path.join(work, "server.log"), "w"))
        endpoint = f"http://127.0.0.1:{server_port}"
        wait(lambda: urllib.request.urlopen(endpoint + "/health/ready", timeout=2).status == 200, "the server")
        agent = start(["agent", "--endpoint-url", endpoint, "--listen", f"127.0.0.1:{agent_port}"], open(os.path.join(work, "agent.log"), "w"), dict(ENV, AWS_TOKEN=token))
        base = f"http://127.0.0.1:{agent_port}"
        wait(lambda: urllib.request.urlopen(base + "/ping", timeout=2).status == 200, "the agent")
        sm = boto3.client("secretsmanager", endpoint_url=endpoint, region_name=REGION, aws_access_key_id="test", aws_secret_access_key="test")
        name = "bench/" + uuid.uuid4().hex[:8]
        sm.create_secret(Name=name, SecretString=json.dumps({"username": "app", "password": "x" * 32}))
        url = f"{base}/secretsmanager/get?secretId={name}"

        def read():
            request = urllib.request.Request(url, headers={"X-Aws-Parameters-Secrets-Token": token})
            with urllib.request.urlopen(request, timeout=5) as response:
                return json.loads(response.read())["VersionId"]

        read()
        wrk(url, 2, token)  # warm-up
        bare = wrk(f"http://127.0.0.1:{ceiling_port}/", args.seconds)
        ping = wrk(base + "/ping", args.seconds)
        live = wrk(endpoint + "/health/live", args.seconds)
        cached = wrk(url, args.seconds, token)
        print(f"ceiling (bare Kestrel, 200-byte JSON): {bare[0]:.0f} req/s, p99 {bare[1]:.2f} ms")
        print(f"context: agent /ping {ping[0]:.0f} req/s (p99 {ping[1]:.2f} ms), server /health/live {live[0]:.0f} req/s (p99 {live[1]:.2f} ms)")
        print(f"cached agent reads: {cached[0]:.0f} req/s, p99 {cached[1]:.2f} ms, non-2xx {cached[2]}; ratio to the ceiling {cached[0] / bare[0]:.2f} (target >= 0.5, p99 <= 2 ms)")

        latencies = []
        for _ in range(args.trials):
            current = read()
            pending = str(uuid.uuid4())
            sm.put_secret_value(SecretId=name, ClientRequestToken=pending, SecretString=json.dumps({"username": "app", "password": uuid.uuid4().hex}), VersionStages=["AWSPENDING"])
            time.sleep(0.3)  # the agent's watch call is waiting again
            began = time.monotonic()
            sm.update_secret_version_stage(SecretId=name, VersionStage="AWSCURRENT", MoveToVersionId=pending, RemoveFromVersionId=current)
            while read() != pending:
                if time.monotonic() - began > 30:
                    raise AssertionError("the agent never served the new version")
                time.sleep(0.005)
            latencies.append(time.monotonic() - began)
        latencies.sort()

        def pct(p):
            return latencies[min(len(latencies) - 1, int(round(p / 100 * len(latencies))) - 1)]

        print(f"finishSecret -> agent serves the new version ({len(latencies)} trials): p50 {pct(50) * 1000:.0f} ms, p99 {pct(99) * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms (target p99 <= 1000 ms)")
    finally:
        for process in (agent, server, ceiling):
            if process is not None:
                process.terminate()
                process.wait(timeout=30)
        __import__("shutil").rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
