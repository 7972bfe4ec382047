#!/usr/bin/python3
"""The server's own cost per GetSecretValue (issue #18): one request signed once by botocore's SigV4Auth and
replayed by wrk inside SigV4's 5-minute window, so the client costs almost nothing and the figure is the server's.

In one run on this machine, each target its own process, one at a time:
  ceiling      the bench suite's bare Kestrel (`Strongroom.Bench ceiling-server`, a fixed 200-byte JSON answer)
  durable      Strongroom as shipped: every call's audit record durable before its answer
  not-awaited  the record written but not waited for   (bench-only host mode, see ServerOptions.AuditTrail)
  off          no audit record at all                    (bench-only host mode)
  postgres     one Strongroom node on PostgreSQL, durable (only with --postgres; needs initdb/pg_ctl)

Each is measured with `wrk -t1 -c32` (throughput, p99) and `wrk -t1 -c1` (p50). Targets: durable >= 0.3 x the
ceiling at 32 connections with p99 <= 10 ms; p50 <= 0.5 ms at one connection; durable / off >= 0.7; the PostgreSQL
node >= 0.6 x the SQLite node.

Usage: /usr/bin/python3 bench/presigned.py [--seconds 10] [--modes ceiling,durable,off] [--postgres]
Build first: dotnet build bench/Strongroom.Bench -c Release
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "e2e", "python"))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "applications"))
import boto3  # noqa: E402
from botocore.auth import SigV4Auth  # noqa: E402
from botocore.awsrequest import AWSRequest  # noqa: E402
from botocore.credentials import Credentials  # noqa: E402
from databases import SUPERUSER_PASSWORD, Postgres, free_port  # noqa: E402

REGION = "us-east-1"
HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.join(HERE, "Strongroom.Bench", "bin", "Release", "net10.0", "Strongroom.Bench.dll")


def wait_ready(url, what, timeout=120):
    deadline = time.monotonic() + timeout
    while True:
        try:
            if urllib.request.urlopen(url, timeout=2).status == 200:
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"{what} did not become ready")
        time.sleep(0.2)


def admin_credentials(data_dir):
    values = {}
    with open(os.path.join(data_dir, "admin.credentials")) as f:
        for line in f:
            if "=" in line:
                k, v = line.split("=", 1)
                values[k.strip()] = v.strip()
    return values["aws_access_key_id"], values["aws_secret_access_key"]


def lua_script(path, endpoint, key, secret, body):
    request = AWSRequest(method="POST", url=endpoint + "/", data=body, headers={
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "secretsmanager.GetSecretValue",
    })
    SigV4Auth(Credentials(key, secret), "secretsmanager", REGION).add_auth(request)
    lines = ['wrk.method = "POST"', f"wrk.body = {json.dumps(body)}"]
    for name, value in request.headers.items():
        lines.append(f'wrk.headers[{json.dumps(name)}] = {json.dumps(value)}')
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def wrk(url, seconds, connections, script=None):
    args = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if script:
        args += ["-s", script]
    out = subprocess.run(args + [url], capture_output=True, text=True, check=True).stdout

    def ms(label):
        m = re.search(label + r"\s+([\d.]+)(us|ms|s)\b", out)
        return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50": ms("50%"), "p99": ms("99%"), "non2xx": int(non2xx.group(1)) if non2xx else 0}


def cpu_seconds(pid):
    """User + system CPU seconds the process has used (from /proc; clock ticks of 1/100 s)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(pid, url, seconds, connections, script):
    """wrk's figures plus the server's CPU per answer (µs): steadier than req/s on a busy machine."""
    before = cpu_seconds(pid)
    result = wrk(url, seconds, connections, script)
    result["cpu_us"] = (cpu_seconds(pid) - before) / max(1, result["rps"] * seconds) * 1e6
    return result


EXTRA_ENV = {}


def start(args, log):
    return subprocess.Popen(["dotnet", BENCH] + args, stdout=log, stderr=subprocess.STDOUT, env=dict(os.environ, **EXTRA_ENV))


def stop(process):
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


def measure_strongroom(name, host_args, data_dir, work, seconds, results):
    port = free_port()
    log = open(os.path.join(work, name + ".log"), "w")
    server = start(host_args + ["--port", str(port)], log)
    try:
        endpoint = f"http://127.0.0.1:{port}"
        wait_ready(endpoint + "/health/ready", name)
        key, secret = admin_credentials(data_dir)
        sm = boto3.client("secretsmanager", endpoint_url=endpoint, region_name=REGION, aws_access_key_id=key, aws_secret_access_key=secret)
        sm.create_secret(Name="bench/presigned", SecretString=json.dumps({"username": "app", "password": "x" * 32, "host": "db.example", "port": 5432}))
        sm.get_secret_value(SecretId="bench/presigned")  # the day's LastAccessedDate write happens here, not in the timed reads
        script = os.path.join(work, name + ".lua")
        lua_script(script, endpoint, key, secret, json.dumps({"SecretId": "bench/presigned"}))
        wrk(endpoint + "/", 2, 32, script)  # warm-up: JIT, connection pools, caches
        results[name] = timed(server.pid, endpoint + "/", seconds, 32, script)
        results[name]["p50_1"] = wrk(endpoint + "/", seconds, 1, script)["p50"]
        if results[name]["non2xx"]:
            raise SystemExit(f"{name}: {results[name]['non2xx']} non-2xx answers; see {log.name}")
    finally:
        stop(server)
        log.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--modes", default="ceiling,durable,not-awaited,off")
    parser.add_argument("--postgres", action="store_true", help="also one node on PostgreSQL (durable)")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--bench-dll", help="another build's Strongroom.Bench.dll (A/B of two commits: copy one build's bin aside first)")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE", help="runtime setting for the Strongroom hosts (A/B of e.g. DOTNET_gcServer=1)")
    args = parser.parse_args()
    EXTRA_ENV.update(e.split("=", 1) for e in args.env)
    if args.bench_dll:
        global BENCH
        BENCH = os.path.abspath(args.bench_dll)
    if not os.path.exists(BENCH):
        raise SystemExit(f"{BENCH} is missing: dotnet build bench/Strongroom.Bench -c Release")
    work = tempfile.mkdtemp(prefix="strongroom-presigned-")
    results = {}
    try:
        for mode in args.modes.split(","):
            if mode == "ceiling":
                port = free_port()
                log = open(os.path.join(work, "ceiling.log"), "w")
                ceiling = start(["ceiling-server", "--port", str(port)], log)
                try:
                    wait_ready(f"http://127.0.0.1:{port}/ready", "the ceiling")
                    url = f"http://127.0.0.1:{port}/"
                    script = os.path.join(work, "ceiling.lua")
                    lua_script(script, url.rstrip("/"), "AKIDEXAMPLE", "secret", json.dumps({"SecretId": "bench/presigned"}))
                    wrk(url, 2, 32, script)
                    results["ceiling"] = timed(ceiling.pid, url, args.seconds, 32, script)
                    results["ceiling"]["p50_1"] = wrk(url, args.seconds, 1, script)["p50"]
                finally:
                    stop(ceiling)
                    log.close()
            else:
                data_dir = os.path.join(work, "data-" + mode)
                measure_strongroom(mode, ["strongroom-host", "--audit", mode, "--data-dir", data_dir], data_dir, work, args.seconds, results)
        if args.postgres:
            measure_postgres(work, args.seconds, results)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    report(results)


def measure_postgres(work, seconds, results):
    cluster = Postgres()
    try:
        data_dir = os.path.join(work, "data-postgres")
        store = f"Host=127.0.0.1;Port={cluster.port};Username=postgres;Password={SUPERUSER_PASSWORD};Database=postgres"
        measure_strongroom("postgres", ["strongroom-host", "--audit", "durable", "--data-dir", data_dir, "--postgres", store], data_dir, work, seconds, results)
    finally:
        cluster.destroy()


def report(results):
    ceiling = results.get("ceiling")
    print("| target | req/s (32 conns) | p99 ms | p50 ms (1 conn) | ÷ ceiling | server CPU µs/answer |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, r in results.items():
        ratio = f"{r['rps'] / ceiling['rps']:.2f}" if ceiling else ""
        print(f"| {name} | {r['rps']:.0f} | {r['p99']:.2f} | {r['p50_1']:.3f} | {ratio} | {r['cpu_us']:.0f} |")
    if "durable" in results and "off" in results:
        print(f"durable ÷ off: {results['durable']['rps'] / results['off']['rps']:.2f} (target >= 0.7)")
    if "postgres" in results and "durable" in results:
        print(f"postgres ÷ sqlite: {results['postgres']['rps'] / results['durable']['rps']:.2f} (target >= 0.6)")


if __name__ == "__main__":
    main()
