"""Signed, reliable event webhooks (docs/operations/events.md, ADR 0028), against servers of their own.

Each test starts its own server process (SQLite; a throw-away PostgreSQL when STRONGROOM_STORAGE=postgres, as in
test.sh's PostgreSQL run) with webhook endpoints pointing at HTTP receivers the test runs, and drives it with boto3 and the `strongroom` CLI. Delivery is
asynchronous, so the tests wait for receivers with a deadline.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.request

import boto3
import botocore.exceptions

import databases
from helpers import REGION

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
DLL = os.path.join(ROOT, "src", "Strongroom", "bin", "Release", "net10.0", "strongroom.dll")
FAULT_HOST = os.path.join(ROOT, "tests", "Strongroom.FaultHost", "bin", "Release", "net10.0", "Strongroom.FaultHost.dll")
DOC = os.path.join(ROOT, "docs", "operations", "events.md")
RULES = os.path.join(ROOT, "docs", "operations", "alerts.yml")
DEADLINE = 60


def documented_snippet():
    """The verification snippet of docs/operations/events.md, executed: its verify() and handle()."""
    text = read(DOC)
    block = re.search(r"<!-- verify-snippet[^>]*-->\s*```python\n(.*?)```", text, re.S)
    assert block, "docs/operations/events.md lost its verification snippet"
    namespace = {"json": json}
    exec(compile(block.group(1), DOC, "exec"), namespace)  # noqa: S102 - our own documentation, tested as written
    return namespace


def read(path, binary=False):
    with open(path, "rb" if binary else "r", **({} if binary else {"encoding": "utf-8", "errors": "replace"})) as f:
        return f.read()


def wait_for(predicate, what, timeout=DEADLINE):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what} (last: {last!r})")


class Receiver:
    """A webhook receiver: records every POST (headers, raw body) and answers from `statuses` (then 200)."""

    def __init__(self, test, statuses=(), hang_first=False):
        import http.server

        self.requests = []
        self.statuses = list(statuses)
        self.release = threading.Event()
        self.hang_first = hang_first
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with lock:
                    receiver.requests.append((dict(self.headers), body))
                    first = len(receiver.requests) == 1
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                if first and receiver.hang_first:
                    receiver.release.wait(120)  # the delivery stays in flight until the test lets go
                    return
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        lock = threading.Lock()
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        test.addCleanup(self.close)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def events(self):
        return [json.loads(body) for _, body in self.requests]

    def acknowledged_ids(self):
        return [json.loads(body)["id"] for _, body in self.requests]


class EventsBase:
    storage = "sqlite"

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="strongroom-events-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.data = os.path.join(self.dir, "data")
        self.port = databases.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = None
        self.postgres = None
        if self.storage == "postgres":
            self.postgres = databases.Postgres()
            self.addCleanup(self.postgres.destroy)

    def start(self, endpoints, urls=(), extra=(), fault_at=None):
        """Starts the server with `endpoints` (the config file's event-webhooks) and `urls` (--event-webhook); with
        `fault_at`, on the test host Strongroom.FaultHost, which kills the process at that fault point
        (self.server_argv is then the real server's command line, for the restart)."""
        config = os.path.join(self.dir, "strongroom.json")
        with open(config, "w") as f:
            json.dump({"event-webhooks": endpoints}, f)
        self.argv = ["dotnet", DLL, "server", "--data-dir", self.data, "--listen", f"127.0.0.1:{self.port}", "--config", config,
                     "--rotation-interval", "1s", *extra]
        for url in urls:
            self.argv += ["--event-webhook", url]
        self.server_argv = self.argv
        if fault_at:
            self.argv = ["dotnet", FAULT_HOST, "--fault-at", fault_at, *self.argv[2:]]
        # A server of its own: nothing from the environment of test.sh's shared server (its store, its config).
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("STRONGROOM_")}
        if self.postgres:
            self.env["STRONGROOM_STORAGE"] = "postgres"
            self.env["STRONGROOM_POSTGRES"] = (f"Host=127.0.0.1;Port={self.postgres.port};Username=postgres;"
                                               f"Password={databases.SUPERUSER_PASSWORD};Database=postgres")
        self.launch()
        creds = dict(line.replace(" ", "").strip().split("=", 1) for line in read(os.path.join(self.data, "admin.credentials")).splitlines() if "=" in line)
        self.key, self.secret = creds["aws_access_key_id"], creds["aws_secret_access_key"]
        self.sm = boto3.client("secretsmanager", endpoint_url=self.url, region_name=REGION, aws_access_key_id=self.key, aws_secret_access_key=self.secret)
        self.kms = boto3.client("kms", endpoint_url=self.url, region_name=REGION, aws_access_key_id=self.key, aws_secret_access_key=self.secret)

    def launch(self):
        with open(os.path.join(self.dir, "server.log"), "a") as log:
            self.server = subprocess.Popen(self.argv, stdout=log, stderr=subprocess.STDOUT, env=self.env)
        self.addCleanup(self.stop)

        def ready():
            try:
                with urllib.request.urlopen(f"{self.url}/health/ready", timeout=2) as answer:
                    return answer.status == 200
            except OSError:
                return self.server.poll() is not None

        wait_for(ready, "the server to become ready")
        self.assertIsNone(self.server.poll(), self.log()[-3000:])

    def stop(self):
        if self.server and self.server.poll() is None:
            self.server.terminate()
            self.server.wait(30)

    def log(self):
        return read(os.path.join(self.dir, "server.log"))

    def cli(self, *args):
        env = dict(self.env, AWS_SHARED_CREDENTIALS_FILE=os.path.join(self.data, "admin.credentials"), AWS_REGION=REGION)
        done = subprocess.run(["dotnet", DLL, *args, "--endpoint-url", self.url], capture_output=True, text=True, timeout=120, env=env)
        self.assertEqual(done.returncode, 0, done.stderr)
        return json.loads(done.stdout)

    def metric(self, name):
        with urllib.request.urlopen(f"{self.url}/metrics", timeout=10) as answer:
            text = answer.read().decode()
        found = re.search(rf"^{name} (\S+)$", text, re.M)
        self.assertIsNotNone(found, f"{name} missing from /metrics")
        return float(found.group(1))

    def assert_dead_letter_rule(self, dead):
        """StrongroomEventsDeadLettered's expression (docs/operations/alerts.yml) over this server's real scrape, with
        promtool: it selects the gauge with `dead` entries, or nothing when there are none."""
        rules = dict(re.findall(r"- alert: (\S+)\n\s+expr: (.+)\n", read(RULES)))
        with urllib.request.urlopen(f"{self.url}/metrics", timeout=10) as answer:
            scraped = re.findall(r"^(strongroom_events_\w+)(?:\{[^}]*\})? (\S+)$", answer.read().decode(), re.M)
        series = [{"series": f'{name}{{instance="real"}}', "values": f"{float(value):g}x5"} for name, value in scraped if "{" not in name]
        expected = [{"labels": 'strongroom_events_dead_lettered{instance="real"}', "value": dead}] if dead else []
        test = {"rule_files": [RULES], "evaluation_interval": "1m", "tests": [{
            "interval": "1m", "input_series": series,
            "promql_expr_test": [{"expr": rules["StrongroomEventsDeadLettered"], "eval_time": "3m", "exp_samples": expected}]}]}
        path = os.path.join(self.dir, "scraped.test.yml")
        with open(path, "w") as f:
            json.dump(test, f)  # JSON is YAML
        result = subprocess.run(["promtool", "test", "rules", path], capture_output=True, text=True, timeout=120)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    # ------------------------------------------------------------------ tests

    def test_endpoints_receive_only_their_filtered_events_signed_and_without_values(self):
        snippet = documented_snippet()
        everything, kms_only, prod_only, plain = Receiver(self), Receiver(self), Receiver(self), Receiver(self)
        secrets = {"all": "s3cret-for-everything-0001", "kms": "s3cret-for-kms-only-000002", "prod": "s3cret-for-prod-prefix-003"}
        self.start([
            {"name": "all", "url": everything.url, "secret": secrets["all"]},
            {"name": "kms", "url": kms_only.url, "secret": secrets["kms"], "sources": ["strongroom.kms"]},
            {"name": "prod", "url": prod_only.url, "secret": secrets["prod"], "resource-prefixes": [f"arn:aws:secretsmanager:{REGION}:"],
             "detail-types": ["Secrets Manager Secret Deleted", "Secrets Manager Secret Restored"]},
        ], urls=[plain.url])
        self.assertNotIn(secrets["all"], self.log())

        first_value, second_value = "first-plaintext-7f3a9c", "second-plaintext-c9b21e"
        created = self.sm.create_secret(Name="prod/db", SecretString=json.dumps({"password": first_value}))
        arn, first = created["ARN"], created["VersionId"]
        second = self.sm.put_secret_value(SecretId=arn, SecretString=json.dumps({"password": second_value}))["VersionId"]
        self.sm.delete_secret(SecretId=arn, RecoveryWindowInDays=7)
        self.sm.restore_secret(SecretId=arn)
        key = self.kms.create_key()["KeyMetadata"]
        self.kms.disable_key(KeyId=key["KeyId"])
        self.kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)

        wait_for(lambda: len(everything.requests) >= 6 and len(plain.requests) >= 6 and len(kms_only.requests) >= 2 and len(prod_only.requests) >= 2,
                 "every endpoint to receive its events")
        time.sleep(2)  # nothing more arrives
        types = [e["detail-type"] for e in everything.events()]
        self.assertEqual(types, ["Secrets Manager Secret Value Changed", "Secrets Manager Secret Value Changed", "Secrets Manager Secret Deleted",
                                 "Secrets Manager Secret Restored", "KMS Key Disabled", "KMS Key Pending Deletion"])
        self.assertEqual([e["detail-type"] for e in plain.events()], types)
        self.assertEqual([e["detail-type"] for e in kms_only.events()], ["KMS Key Disabled", "KMS Key Pending Deletion"])
        self.assertEqual([e["detail-type"] for e in prod_only.events()], ["Secrets Manager Secret Deleted", "Secrets Manager Secret Restored"])

        # EventBridge's shape; the value-changed events name the new AWSCURRENT version, never the value.
        changed = everything.events()[:2]
        for event in everything.events():
            self.assertEqual(list(event), ["version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"])
            self.assertEqual((event["version"], event["region"]), ("0", REGION))
        self.assertEqual([(e["source"], e["resources"], e["detail"]["versionId"], e["detail"].get("previousVersionId")) for e in changed],
                         [("strongroom.secretsmanager", [arn], first, None), ("strongroom.secretsmanager", [arn], second, first)])
        self.assertEqual(kms_only.events()[1]["resources"], [key["Arn"]])
        self.assertEqual(kms_only.events()[1]["detail"]["keyState"], "PendingDeletion")

        # Signatures verify with the documented snippet and the endpoint's secret, and with nothing else.
        for receiver, name in ((everything, "all"), (kms_only, "kms"), (prod_only, "prod")):
            for headers, body in receiver.requests:
                self.assertEqual(headers["Strongroom-Event-Id"], json.loads(body)["id"])
                self.assertTrue(snippet["verify"](secrets[name], headers["Strongroom-Signature"], body), f"{name}: {headers}")
                self.assertFalse(snippet["verify"]("the-wrong-secret-000000000", headers["Strongroom-Signature"], body))
                self.assertFalse(snippet["verify"](secrets[name], headers["Strongroom-Signature"], body + b" "))
                # A captured delivery replayed later than the tolerance is refused.
                self.assertFalse(snippet["verify"](secrets[name], headers["Strongroom-Signature"], body, now=time.time() + 301))
        self.assertTrue(all("Strongroom-Signature" not in headers for headers, _ in plain.requests))

        # The documented handler acknowledges a repeat without processing it twice.
        processed = []
        snippet["SECRET"], snippet["process"] = secrets["all"], processed.append
        headers, body = everything.requests[0]
        self.assertEqual([snippet["handle"](headers, body), snippet["handle"](headers, body)], [200, 200])
        self.assertEqual(len(processed), 1)
        self.assertEqual(snippet["handle"]({**headers, "Strongroom-Signature": "t=1,v1=00"}, body), 401)

        # No value, and no signing secret, in any payload, in the server's log or in the data directory's files.
        self.stop()
        bodies = b"".join(body for r in (everything, kms_only, prod_only, plain) for _, body in r.requests)
        for plaintext in (first_value, second_value, *secrets.values()):
            self.assertNotIn(plaintext.encode(), bodies)
            self.assertNotIn(plaintext, self.log())
        for path in [os.path.join(d, f) for d, _, fs in os.walk(self.data) for f in fs]:
            content = read(path, binary=True)
            for plaintext in (first_value, second_value):
                self.assertNotIn(plaintext.encode(), content, f"{plaintext} found in {path}")

    def test_a_failing_rotation_sends_started_and_failed_to_the_endpoint_filtering_for_them(self):
        rotations, values = Receiver(self), Receiver(self)
        types = ["Secrets Manager Rotation Started", "Secrets Manager Rotation Succeeded", "Secrets Manager Rotation Failed"]
        self.start([{"name": "rotations", "url": rotations.url, "secret": "rotation-endpoint-secret-1", "detail-types": types},
                    {"name": "values", "url": values.url, "secret": "values-endpoint-secret-001", "detail-types": ["Secrets Manager Secret Value Changed"]}],
                   extra=["--rotation-retry-base", "1h"])
        function = self.cli("function", "create", "--name", "fails", "--command", "cat > /dev/null; exit 3")["Function"]["Arn"]
        arn = self.sm.create_secret(Name="rotated", SecretString="rotation-plaintext-5150")["ARN"]
        pending = self.sm.rotate_secret(SecretId=arn, RotationLambdaARN=function, RotationRules={"AutomaticallyAfterDays": 30})["VersionId"]
        wait_for(lambda: len(rotations.requests) >= 2, "the rotation's start and failure")
        started, failed = rotations.events()[:2]
        self.assertEqual([started["detail-type"], failed["detail-type"]], ["Secrets Manager Rotation Started", "Secrets Manager Rotation Failed"])
        for event in (started, failed):
            self.assertEqual((event["source"], event["resources"], event["detail"]["versionId"], event["detail"]["secretArn"]),
                             ("strongroom.secretsmanager", [arn], pending, arn))
        self.assertEqual((started["detail"]["outcome"], failed["detail"]["outcome"], failed["detail"]["step"]), ("Running", "Failed", "createSecret"))
        self.assertIn("retryAt", failed["detail"])
        # The value endpoint heard the first value only: a failed rotation leaves AWSCURRENT where it was.
        wait_for(lambda: values.requests, "the value-changed event")
        time.sleep(1.5)
        self.assertEqual([e["detail-type"] for e in values.events()], ["Secrets Manager Secret Value Changed"])
        bodies = b"".join(body for r in (rotations, values) for _, body in r.requests)
        self.assertNotIn(b"rotation-plaintext-5150", bodies)

    def admin_api(self, operation, body, key, secret):
        """A signed call to Strongroom.<operation>; returns (HTTP status, answer)."""
        import botocore.auth
        import botocore.awsrequest
        import botocore.credentials
        import urllib.error

        request = botocore.awsrequest.AWSRequest(method="POST", url=self.url + "/", data=json.dumps(body).encode(),
                                                 headers={"X-Amz-Target": "Strongroom." + operation, "Content-Type": "application/x-amz-json-1.1"})
        botocore.auth.SigV4Auth(botocore.credentials.Credentials(key, secret), "strongroom", REGION).add_auth(request)
        prepared = request.prepare()
        try:
            with urllib.request.urlopen(urllib.request.Request(prepared.url, data=prepared.body, headers=dict(prepared.headers), method="POST"), timeout=30) as answer:
                return answer.status, json.loads(answer.read() or b"{}")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"{}")

    def test_the_outbox_admin_operations_are_for_the_administrator_only(self):
        receiver = Receiver(self, statuses=[500] * 1000)
        self.start([{"name": "down", "url": receiver.url, "secret": "down-endpoint-secret-00002"}], extra=["--event-retry-window", "2s", "--event-retry-base", "1s"])
        self.sm.create_secret(Name="guarded", SecretString="guarded-plaintext-0007")
        event_id = wait_for(lambda: self.cli("events", "list", "--dead")["Events"], "the event to be dead-lettered")[0]["EventId"]

        # A user allowed everything by IAM policy (strongroom:* and *) is still not the administrator.
        iam = boto3.client("iam", endpoint_url=self.url, region_name=REGION, aws_access_key_id=self.key, aws_secret_access_key=self.secret)
        iam.create_user(UserName="almighty")
        iam.put_user_policy(UserName="almighty", PolicyName="all", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["strongroom:*", "*"], "Resource": "*"}]}))
        user = iam.create_access_key(UserName="almighty")["AccessKey"]
        time.sleep(1.5)  # IAM changes reach the request path's caches within the change poll
        for operation, body in (("ListEvents", {"Dead": True}), ("RedeliverEvent", {"EventId": event_id}), ("ListEvents", {})):
            status, answer = self.admin_api(operation, body, user["AccessKeyId"], user["SecretAccessKey"])
            self.assertEqual((status, answer.get("__type")), (400, "AccessDeniedException"), f"{operation}: {answer}")
            self.assertNotIn(event_id, json.dumps(answer))
        # The dead event stayed dead: the refused redelivery changed nothing.
        self.assertEqual([e["State"] for e in self.cli("events", "list")["Events"]], ["dead"])
        # Bad input gets a clear error, not a 5xx.
        status, answer = self.admin_api("ListEvents", {"MaxResults": 0}, self.key, self.secret)
        self.assertEqual((status, answer.get("__type")), (400, "ValidationException"))
        status, answer = self.admin_api("RedeliverEvent", {}, self.key, self.secret)
        self.assertEqual(status, 400, answer)

    def test_an_endpoint_answering_500_then_200_gets_the_event_again_until_acknowledged(self):
        receiver = Receiver(self, statuses=[500, 503])
        self.start([{"name": "flaky", "url": receiver.url, "secret": "flaky-endpoint-secret-0001"}], extra=["--event-retry-base", "1s"])
        arn = self.sm.create_secret(Name="flaky", SecretString="v")["ARN"]
        wait_for(lambda: len(receiver.requests) >= 3, "the third attempt")
        time.sleep(3)
        ids = receiver.acknowledged_ids()
        self.assertEqual(len(ids), 3, "acknowledged once, then never sent again")
        self.assertEqual(len(set(ids)), 1, "every attempt carries the same event id")
        self.assertEqual(receiver.events()[0]["resources"], [arn])
        listed = self.cli("events", "list")["Events"]
        self.assertEqual([(e["EventId"], e["Endpoint"], e["State"], e["Attempts"]) for e in listed], [(ids[0], "flaky", "delivered", 3)])
        self.assertEqual(self.cli("events", "list", "--dead")["Events"], [])
        self.assertEqual((self.metric("strongroom_events_pending"), self.metric("strongroom_events_dead_lettered")), (0, 0))

    def test_an_endpoint_that_always_fails_dead_letters_the_event_which_redeliver_sends_again(self):
        receiver = Receiver(self, statuses=[500] * 1000)
        self.start([{"name": "down", "url": receiver.url, "secret": "down-endpoint-secret-00001"}],
                   extra=["--event-retry-window", "4s", "--event-retry-base", "1s"])
        self.sm.create_secret(Name="doomed", SecretString="v")
        dead = wait_for(lambda: self.cli("events", "list", "--dead")["Events"], "the event to be dead-lettered")
        self.assertEqual([(e["Endpoint"], e["State"], e["LastError"]) for e in dead], [("down", "dead", "HTTP 500")])
        event_id = dead[0]["EventId"]
        self.assertGreaterEqual(dead[0]["Attempts"], 2)
        self.assertEqual(self.metric("strongroom_events_dead_lettered"), 1)
        self.assert_dead_letter_rule(1)
        self.assertIn(event_id, self.log())
        attempts = len(receiver.requests)
        time.sleep(2.5)
        self.assertEqual(len(receiver.requests), attempts, "a dead-lettered event is not retried")

        # An unknown id is refused; the endpoint comes back and redelivery sends the same event.
        env = dict(self.env, AWS_SHARED_CREDENTIALS_FILE=os.path.join(self.data, "admin.credentials"), AWS_REGION=REGION)
        unknown = subprocess.run(["dotnet", DLL, "events", "redeliver", "no-such-event", "--endpoint-url", self.url], capture_output=True, text=True, env=env, timeout=120)
        self.assertNotEqual(unknown.returncode, 0)
        self.assertIn("ResourceNotFoundException", unknown.stderr)
        receiver.statuses.clear()
        self.assertEqual(self.cli("events", "redeliver", event_id)["Entries"], 1)
        wait_for(lambda: receiver.requests and receiver.acknowledged_ids()[-1] == event_id and len(receiver.requests) > attempts, "the redelivery")
        wait_for(lambda: [e["State"] for e in self.cli("events", "list")["Events"]] == ["delivered"], "the entry to be delivered")
        self.assertEqual(self.cli("events", "list", "--dead")["Events"], [])
        self.assertEqual(self.metric("strongroom_events_dead_lettered"), 0)
        self.assert_dead_letter_rule(0)

    def test_a_server_killed_while_a_delivery_is_in_flight_delivers_it_after_restart(self):
        receiver = Receiver(self, hang_first=True)
        self.start([{"name": "slow", "url": receiver.url, "secret": "slow-endpoint-secret-00001"}])
        arn = self.sm.create_secret(Name="killed", SecretString="value-before-kill")["ARN"]
        wait_for(lambda: receiver.requests, "the delivery to reach the receiver")
        in_flight = json.loads(receiver.requests[0][1])["id"]

        self.server.send_signal(signal.SIGKILL)
        self.server.wait(30)
        receiver.release.set()
        self.launch()

        wait_for(lambda: len(receiver.requests) >= 2, "the event to arrive after the restart")
        headers, body = receiver.requests[1]
        event = json.loads(body)
        self.assertEqual((event["id"], headers["Strongroom-Event-Id"], event["resources"]), (in_flight, in_flight, [arn]))
        self.assertTrue(documented_snippet()["verify"]("slow-endpoint-secret-00001", headers["Strongroom-Signature"], body))
        wait_for(lambda: [e["State"] for e in self.cli("events", "list")["Events"]] == ["delivered"], "the entry to be delivered")

    def test_an_event_committed_just_before_a_kill_is_delivered_after_restart(self):
        # The endpoint is down when the event commits; the server dies before any retry succeeds.
        receiver = Receiver(self, statuses=[500] * 1000)
        self.start([{"name": "later", "url": receiver.url, "secret": "later-endpoint-secret-0001"}], extra=["--event-retry-base", "1s"])
        version = self.sm.create_secret(Name="pending", SecretString="value-pending")["VersionId"]
        wait_for(lambda: receiver.requests, "a first (refused) attempt")
        self.assertGreaterEqual(self.metric("strongroom_events_pending"), 1)
        self.server.send_signal(signal.SIGKILL)
        self.server.wait(30)
        receiver.statuses.clear()
        self.launch()
        wait_for(lambda: [e["State"] for e in self.cli("events", "list")["Events"]] == ["delivered"], "the pending event to be delivered")
        self.assertEqual(len(set(receiver.acknowledged_ids())), 1)
        self.assertEqual(receiver.events()[-1]["detail"]["versionId"], version)

    ROTATION_TYPES = ["Secrets Manager Rotation Started", "Secrets Manager Rotation Succeeded", "Secrets Manager Rotation Failed"]

    def killed_right_after_the_run_commits(self, point):
        """Runs a failing rotation on the test host Strongroom.FaultHost, which dies (SIGKILL) at `point`: right after
        the run's row committed, before anything else. Restarts the real server; returns (arn, pending version,
        receiver, the killed run as `strongroom rotation runs` shows it)."""
        receiver = Receiver(self)
        self.start([{"name": "rotations", "url": receiver.url, "secret": "rotation-kill-secret-00001", "detail-types": self.ROTATION_TYPES}],
                   extra=["--rotation-retry-base", "1h"], fault_at=point)
        function = self.cli("function", "create", "--name", "fails", "--command", "cat > /dev/null; exit 3")["Function"]["Arn"]
        arn = self.sm.create_secret(Name="rotating", SecretString="rotation-kill-plaintext-4242")["ARN"]
        try:
            self.sm.rotate_secret(SecretId=arn, RotationLambdaARN=function, RotationRules={"AutomaticallyAfterDays": 30})
        except botocore.exceptions.ConnectionError:
            pass  # the run may start, and the process die, before the answer is sent
        self.assertEqual(self.server.wait(60), -signal.SIGKILL, self.log()[-3000:])
        self.assertIn(f"fault host: killed at {point}", self.log())
        self.argv = self.server_argv
        self.launch()
        pending = next(v for v, stages in self.sm.describe_secret(SecretId=arn)["VersionIdsToStages"].items() if "AWSPENDING" in stages)
        run = self.cli("rotation", "runs", "--secret-id", arn, "--output", "json")["Runs"][-1]
        return arn, pending, receiver, run

    def assert_signed_without_values(self, receiver):
        for headers, body in receiver.requests:
            self.assertTrue(documented_snippet()["verify"]("rotation-kill-secret-00001", headers["Strongroom-Signature"], body))
        self.assertNotIn(b"rotation-kill-plaintext-4242", b"".join(body for _, body in receiver.requests))

    def events_of_run(self, receiver, run):
        return {e["detail-type"]: e for e in receiver.events() if e["detail"]["runId"] == str(run["RunId"])}

    def test_a_server_killed_right_after_a_run_started_delivers_its_started_event_after_restart(self):
        arn, pending, receiver, run = self.killed_right_after_the_run_commits("rotation-run-started")
        # The killed run's start (stored with its row), then its end as Interrupted when the restarted server takes it up.
        wait_for(lambda: len(self.events_of_run(receiver, run)) == 2, "the killed run's started and failed events")
        events = self.events_of_run(receiver, run)
        started, failed = events["Secrets Manager Rotation Started"], events["Secrets Manager Rotation Failed"]
        self.assertEqual((started["detail"]["outcome"], failed["detail"]["outcome"]), ("Running", "Interrupted"))
        for event in (started, failed):
            self.assertEqual((event["resources"], event["detail"]["versionId"], event["detail"]["trigger"]), ([arn], pending, "RotateSecret"))
        self.assert_signed_without_values(receiver)

    def test_a_server_killed_right_after_a_run_failed_delivers_its_failed_event_after_restart(self):
        arn, pending, receiver, run = self.killed_right_after_the_run_commits("rotation-run-finished")
        self.assertEqual((run["Outcome"], run["StepReached"]), ("Failed", "createSecret"))
        wait_for(lambda: len(self.events_of_run(receiver, run)) == 2, "the killed run's started and failed events")
        failed = self.events_of_run(receiver, run)["Secrets Manager Rotation Failed"]
        self.assertEqual((failed["detail"]["outcome"], failed["detail"]["step"], failed["resources"]), ("Failed", "createSecret", [arn]))
        self.assertIn("retryAt", failed["detail"])
        self.assert_signed_without_values(receiver)

    def test_a_parameter_notification_is_stored_once_with_its_marker_and_delivered_after_a_kill_and_restart(self):
        # The endpoint refuses until the kill: the notification is only in the outbox when the server dies.
        receiver = Receiver(self, statuses=[500] * 1000)
        self.start([{"name": "ssm", "url": receiver.url, "secret": "parameter-kill-secret-0001", "sources": ["strongroom.ssm"]}],
                   extra=["--maintenance-interval", "1s", "--event-retry-base", "1s"])
        ssm = boto3.client("ssm", endpoint_url=self.url, region_name=REGION, aws_access_key_id=self.key, aws_secret_access_key=self.secret)
        expires = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600 + 3))
        policies = json.dumps([{"Type": "Expiration", "Attributes": {"Timestamp": expires}},
                               {"Type": "ExpirationNotification", "Attributes": {"Before": "1", "Unit": "Hours"}}])
        ssm.put_parameter(Name="/kill/notified", Value="parameter-plaintext-9090", Type="String", Tier="Advanced", Policies=policies)
        wait_for(lambda: receiver.requests, "a first (refused) attempt of the notification")
        outbox = self.cli("events", "list")["Events"]
        self.assertEqual([(e["DetailType"], e["State"]) for e in outbox], [("Parameter Store Policy Action", "pending")])
        self.server.send_signal(signal.SIGKILL)
        self.server.wait(30)
        receiver.statuses.clear()
        self.launch()

        wait_for(lambda: [e["State"] for e in self.cli("events", "list")["Events"]] == ["delivered"], "the notification to be delivered")
        # Several maintenance passes later (and one restart) there is still one notification: its marker was stored
        # with it, so neither the restart nor the next passes notify again.
        time.sleep(4)
        self.assertEqual(len(self.cli("events", "list")["Events"]), 1)
        self.assertEqual({json.loads(body)["id"] for _, body in receiver.requests}, {outbox[0]["EventId"]})
        event = receiver.events()[-1]
        self.assertEqual((event["detail-type"], event["detail"]["policyType"], event["detail"]["parameterName"]),
                         ("Parameter Store Policy Action", "ExpirationNotification", "/kill/notified"))
        self.assertNotIn(b"parameter-plaintext-9090", b"".join(body for _, body in receiver.requests))




class EventsTests(EventsBase, unittest.TestCase):
    """On SQLite, or — in test.sh's PostgreSQL run (STRONGROOM_STORAGE=postgres) — on a throw-away PostgreSQL of the
    test's own, where the outbox and its delivery owner live in the shared database."""

    storage = "postgres" if os.environ.get("STRONGROOM_STORAGE") == "postgres" else "sqlite"
