#!/usr/bin/python3
"""Zero-downtime rotation, measured with real parts (issue #19).

A real PostgreSQL, a real `strongroom server`, the built-in rotators, and `strongroom agent` in front of it. A client
opens a fresh database connection every ~50 ms with credentials read from the agent over HTTP (the way AWS's agent
documentation shows it), while the secret is rotated again and again:

  multi   postgresql-multi-user (alternating users): the client reads once per connection and never retries;
          the target is 0 failed connections.
  single  postgresql-single-user: the client follows the documented pattern "on an authentication failure,
          refresh now (refreshNow=true) and retry once"; the target is 0 failed requests.

Rotations are started with RotateSecret as soon as the previous one has succeeded and --gap seconds have passed
(AWS's schedules are at least hours apart: this is the same rotation, only more often).

Usage: /usr/bin/python3 tests/applications/zero_downtime.py [--seconds 60] [--rotations 5] [--mode both|multi|single]
Last line: `zero-downtime: N passed, N failed` (one check per mode), as test.sh counts it.
"""
import argparse
import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e", "python"))
import boto3  # noqa: E402
import pg  # noqa: E402  (Debian's python3-pygresql)
from databases import Postgres, free_port  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DLL = os.path.join(ROOT, "src", "Strongroom", "bin", "Release", "net10.0", "strongroom.dll")
CONFIG_APP = os.path.join(ROOT, "tests", "Strongroom.ConfigApp", "bin", "Release", "net10.0", "Strongroom.ConfigApp.dll")
REGION = "us-east-1"
ENV = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_REGION=REGION, AWS_DEFAULT_REGION=REGION)


def wait(predicate, what, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except (OSError, urllib.error.URLError):
            pass
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def start(args, log, env=ENV):
    return subprocess.Popen(["dotnet", DLL, *args], stdout=log, stderr=subprocess.STDOUT, env=env)


class Agent:
    def __init__(self, port, token):
        self.base = f"http://127.0.0.1:{port}"
        self.token = token

    def get(self, secret_id, refresh=False, stage=None):
        """(version id, parsed SecretString) from the agent."""
        url = f"{self.base}/secretsmanager/get?secretId={urllib.request.quote(secret_id)}" + ("&refreshNow=true" if refresh else "") + (f"&versionStage={stage}" if stage else "")
        request = urllib.request.Request(url, headers={"X-Aws-Parameters-Secrets-Token": self.token})
        with urllib.request.urlopen(request, timeout=5) as response:
            answer = json.loads(response.read())
            return answer["VersionId"], json.loads(answer["SecretString"])


def connect(value):
    db = pg.DB(dbname=value["dbname"], host=value["host"], port=value["port"], user=value["username"], passwd=value["password"], opt="-c statement_timeout=5000")
    try:
        return db.query("SELECT 1").getresult()[0][0] == 1
    finally:
        db.close()


def load(agent, arn, stop, retry_once, stats):
    """Opens a fresh connection every ~50 ms until stop is set; counts attempts, failures, retries."""
    while not stop.is_set():
        began = time.monotonic()
        stats["attempted"] += 1
        try:
            version, value = agent.get(arn)
            try:
                connect(value)
            except pg.InternalError as e:  # authentication failed
                if not retry_once:
                    raise
                # The pattern: refresh now and retry once. A refreshed AWSCURRENT that is still the version that failed
                # means single-user rotation is between setSecret and finishSecret: the database already has AWSPENDING.
                stats["retried"] += 1
                stats["first_errors"].append(str(e).strip().splitlines()[0])
                fresh_version, fresh = agent.get(arn, refresh=True)
                if fresh_version == version:
                    stats["pending"] += 1
                    _, fresh = agent.get(arn, refresh=True, stage="AWSPENDING")
                connect(fresh)
        except Exception as e:  # noqa: BLE001 - every failure counts and is shown
            stats["failed"] += 1
            stats["errors"].append(f"{type(e).__name__}: {str(e).strip().splitlines()[0] if str(e).strip() else ''}")
        time.sleep(max(0.0, 0.05 - (time.monotonic() - began)))


def load_app(url, stop, stats):
    """The ASP.NET Core app's /db (a fresh connection with the credentials its configuration holds) every ~50 ms."""
    while not stop.is_set():
        began = time.monotonic()
        stats["attempted"] += 1
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                stats["users"].add(response.read().decode().split(" ", 1)[1])
        except Exception as e:  # noqa: BLE001 - every failure counts and is shown
            stats["failed"] += 1
            body = e.read().decode() if hasattr(e, "read") else str(e)
            stats["errors"].append(body.strip().splitlines()[0] if body.strip() else type(e).__name__)
        time.sleep(max(0.0, 0.05 - (time.monotonic() - began)))


def run_mode(mode, sm, db, agent, seconds, rotations, gap, endpoint, work):
    user = "u" + uuid.uuid4().hex[:8]
    password = "Init-" + uuid.uuid4().hex
    db.create_user(user, password)
    value = {"engine": "postgres", "host": "127.0.0.1", "port": db.port, "username": user, "password": password, "dbname": "postgres"}
    function = "strongroom-postgresql-multi-user" if mode == "multi" else "strongroom-postgresql-single-user"
    if mode == "multi":
        master = sm.create_secret(Name=f"zd/{user}/master", SecretString=json.dumps(db.master_secret()))["ARN"]
        value["masterarn"] = master
    arn = sm.create_secret(Name=f"zd/{user}/db", SecretString=json.dumps(value))["ARN"]
    account = arn.split(":")[4]
    lambda_arn = f"arn:aws:lambda:{REGION}:{account}:function:{function}"

    stats = {"attempted": 0, "failed": 0, "retried": 0, "pending": 0, "errors": [], "first_errors": []}
    app_stats = {"attempted": 0, "failed": 0, "errors": [], "users": set()}
    stop = threading.Event()
    workers = [threading.Thread(target=load, args=(agent, arn, stop, mode == "single", stats), daemon=True)]
    app = None
    if mode == "multi":
        # The second application: ASP.NET Core, its connection string from AddStrongroomSecrets, no retry at all.
        app_port = free_port()
        app = subprocess.Popen(["dotnet", CONFIG_APP], stdout=open(os.path.join(work, "app.log"), "w"), stderr=subprocess.STDOUT,
                               env=dict(ENV, STRONGROOM_ENDPOINT=endpoint, DB_SECRET_ID=arn, LISTEN=f"127.0.0.1:{app_port}"))
        wait(lambda: urllib.request.urlopen(f"http://127.0.0.1:{app_port}/ping", timeout=2).status == 200, "the ASP.NET Core app")
        workers.append(threading.Thread(target=load_app, args=(f"http://127.0.0.1:{app_port}/db", stop, app_stats), daemon=True))
    started = time.monotonic()
    for worker in workers:
        worker.start()
    done = 0
    rotation_times = []
    kwargs = {"RotationLambdaARN": lambda_arn, "RotationRules": {"AutomaticallyAfterDays": 30}}
    while done < rotations or time.monotonic() - started < seconds:
        time.sleep(gap)
        begun = time.monotonic()
        version = sm.rotate_secret(SecretId=arn, **kwargs)["VersionId"]
        kwargs = {}

        def finished():
            stages = sm.describe_secret(SecretId=arn)["VersionIdsToStages"]
            return "AWSCURRENT" in stages.get(version, [])

        wait(finished, f"rotation {done + 1} of {arn}", timeout=120)
        rotation_times.append(time.monotonic() - begun)
        done += 1
    time.sleep(2)  # connections after the last finishSecret
    stop.set()
    for worker in workers:
        worker.join()
    if app is not None:
        app.terminate()
        app.wait(timeout=30)
    elapsed = time.monotonic() - started
    users = {sm.get_secret_value(SecretId=arn, VersionStage=s)["SecretString"] and json.loads(sm.get_secret_value(SecretId=arn, VersionStage=s)["SecretString"])["username"] for s in ("AWSCURRENT", "AWSPREVIOUS")}
    print(f"{mode}: {elapsed:.0f} s, {done} rotations (each {min(rotation_times):.1f}-{max(rotation_times):.1f} s), users {sorted(users)}, "
          f"connections attempted {stats['attempted']}, failed {stats['failed']}, refreshed-and-retried {stats['retried']} (of which with AWSPENDING {stats['pending']})")
    for error in stats["errors"][:5]:
        print(f"  failed: {error}")
    for error in sorted(set(stats["first_errors"]))[:3]:
        print(f"  first attempt (then retried): {error}")
    ok = stats["failed"] == 0 and done >= rotations and stats["attempted"] >= seconds * 2
    if app is not None:
        print(f"{mode} (ASP.NET Core app, AddStrongroomSecrets + IOptionsMonitor): requests {app_stats['attempted']}, failed {app_stats['failed']}, connected as {sorted(app_stats['users'])}")
        for error in app_stats["errors"][:5]:
            print(f"  failed: {error}")
        # It must have followed the rotations: both alternating users seen.
        ok = ok and app_stats["failed"] == 0 and app_stats["attempted"] >= seconds * 2 and len(app_stats["users"]) == 2
    return ok


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--rotations", type=int, default=5)
    parser.add_argument("--gap", type=float, default=5, help="seconds between one rotation's end and the next RotateSecret")
    parser.add_argument("--mode", choices=["both", "multi", "single"], default="both")
    args = parser.parse_args()
    for built in (DLL, CONFIG_APP):
        if not os.path.exists(built):
            raise SystemExit(f"{built} is missing: dotnet build Strongroom.slnx -c Release")

    work = __import__("tempfile").mkdtemp(prefix="strongroom-zd-")
    server_port, agent_port = free_port(), free_port()
    token = uuid.uuid4().hex
    server_log = open(os.path.join(work, "server.log"), "w")
    agent_log = open(os.path.join(work, "agent.log"), "w")
    db = server = agent = None
    passed = failed = 0
    try:
        db = Postgres()
        server = start(["server", "--dev", "--listen", f"127.0.0.1:{server_port}", "--rotation-interval", "1s", "--log-format", "text"], server_log)
        endpoint = f"http://127.0.0.1:{server_port}"
        wait(lambda: urllib.request.urlopen(endpoint + "/health/ready", timeout=2).status == 200, "the server")
        agent = start(["agent", "--endpoint-url", endpoint, "--listen", f"127.0.0.1:{agent_port}"], agent_log, dict(ENV, AWS_TOKEN=token))
        wait(lambda: urllib.request.urlopen(f"http://127.0.0.1:{agent_port}/ping", timeout=2).status == 200, "the agent")
        sm = boto3.client("secretsmanager", endpoint_url=endpoint, region_name=REGION, aws_access_key_id="test", aws_secret_access_key="test")
        for mode in (["multi", "single"] if args.mode == "both" else [args.mode]):
            if run_mode(mode, sm, db, Agent(agent_port, token), args.seconds, args.rotations, args.gap, endpoint, work):
                passed += 1
            else:
                failed += 1
        agent_log.flush()
        with open(os.path.join(work, "agent.log")) as f:
            text = f.read()
        if "Init-" in text or "password" in text.lower():
            print("the agent's log mentions a password")
            failed += 1
    finally:
        for process in (agent, server):
            if process is not None:
                process.terminate()
                process.wait(timeout=30)
        if db is not None:
            db.destroy()
        server_log.close()
        agent_log.close()
        if failed or passed == 0:
            print(f"logs kept in {work}")
        else:
            __import__("shutil").rmtree(work, ignore_errors=True)
    print(f"zero-downtime: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
