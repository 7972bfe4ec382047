"""Rotation for real: PostgreSQL and MariaDB servers started by the tests, passwords rotated
through the AWS CLI and boto3 with Strongroom's built-in rotators and with Python rotation
functions written for AWS Lambda (tests/e2e/python/functions), run unmodified as command functions.

After each rotation: the new AWSCURRENT password logs in, the old single-user password is refused,
AWSPREVIOUS holds the old value; in alternating-users mode a table created and a grant added
after the first rotation work for both users. Fault tests: the database stopped during setSecret,
a function that crashes or hangs in each step — the secret stays readable with working
credentials and the rotation completes once the fault is gone.

Rotation is asynchronous (as on AWS), so these tests wait for a run's outcome with a deadline
(the dev server runs its scheduler every second and retries after 2 s, 4 s, …).
"""

import json
import os
import subprocess
import sys
import tempfile
import time
import unittest
import uuid

import botocore.auth
import botocore.awsrequest
import botocore.credentials

import databases
from helpers import ACCESS_KEY, REGION, SECRET_KEY, endpoint, run_cli, sm

HERE = os.path.dirname(os.path.abspath(__file__))
FUNCTIONS = os.path.join(HERE, "functions")
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
STRONGROOM_DLL = os.path.join(ROOT, "src", "Strongroom", "bin", "Release", "net10.0", "strongroom.dll")
# The functions run on Debian's Python with Debian's boto3, PyGreSQL and PyMySQL (as a Lambda
# runtime brings its own), never on the interpreter running these tests.
FUNCTION_PYTHON = "/usr/bin/python3"
DEADLINE = 120


def admin_call(operation, body, endpoint_url=None, access_key=ACCESS_KEY, secret_key=SECRET_KEY):
    """A signed call to Strongroom's admin API (X-Amz-Target Strongroom.*)."""
    import urllib.request

    url = endpoint_url or endpoint()
    request = botocore.awsrequest.AWSRequest(method="POST", url=url + "/", data=json.dumps(body).encode(),
                                             headers={"X-Amz-Target": "Strongroom." + operation, "Content-Type": "application/x-amz-json-1.1"})
    botocore.auth.SigV4Auth(botocore.credentials.Credentials(access_key, secret_key), "strongroom", REGION).add_auth(request)
    prepared = request.prepare()
    with urllib.request.urlopen(urllib.request.Request(prepared.url, data=prepared.body, headers=dict(prepared.headers), method="POST"), timeout=30) as answer:
        return json.loads(answer.read() or b"{}")


def runs_of(arn, endpoint_url=None, access_key=ACCESS_KEY, secret_key=SECRET_KEY):
    return admin_call("ListRotationRuns", {"SecretId": arn, "MaxResults": 100}, endpoint_url, access_key, secret_key)["Runs"]


def wait_for(predicate, what, timeout=DEADLINE):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(0.25)
    raise AssertionError(f"timed out after {timeout} s waiting for {what} (last: {last!r})")


def strongroom(*args, endpoint_url=None, access_key=ACCESS_KEY, secret_key=SECRET_KEY):
    env = dict(os.environ, AWS_ACCESS_KEY_ID=access_key, AWS_SECRET_ACCESS_KEY=secret_key, AWS_REGION=REGION)
    done = subprocess.run(["dotnet", STRONGROOM_DLL, *args, "--endpoint-url", endpoint_url or endpoint()], capture_output=True, text=True, env=env, timeout=120)
    if done.returncode != 0:
        raise AssertionError(f"strongroom {' '.join(args)} failed ({done.returncode}): {done.stdout}{done.stderr}")
    return json.loads(done.stdout) if done.stdout.strip() else None


def command_function(name, module, timeout=30, endpoint_url=None, access_key=ACCESS_KEY, secret_key=SECRET_KEY, plain=False, **env):
    """Registers tests/e2e/python/functions/<module>.py as a command function: with plain=True through the
    one-line wrapper docs/rotation.md shows, else through faults.py (which injects FAULT_* faults)."""
    wrapper = (f"{FUNCTION_PYTHON} -c 'import json,sys,{module} as f; f.lambda_handler(json.load(sys.stdin), None)'" if plain
               else f"{FUNCTION_PYTHON} -c 'import faults; faults.main(\"{module}\")'")
    args = ["function", "create", "--name", name, "--command", wrapper, "--timeout", str(timeout), "--env", f"PYTHONPATH={FUNCTIONS}"]
    for key, value in env.items():
        args += ["--env", f"{key}={value}"]
    return strongroom(*args, endpoint_url=endpoint_url, access_key=access_key, secret_key=secret_key)["Function"]["Arn"]


def lambda_arn(name):
    return f"arn:aws:lambda:{REGION}:{_account()}:function:{name}"


_ACCOUNT = []


def _account():
    if not _ACCOUNT:
        import boto3

        sts = boto3.client("sts", endpoint_url=endpoint(), region_name=REGION, aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)
        _ACCOUNT.append(sts.get_caller_identity()["Account"])
    return _ACCOUNT[0]


class RotationHarness:
    """Mixin: one database server per test class, helpers to create secrets and rotate them."""

    server_class = None

    @classmethod
    def setUpClass(cls):
        cls.db = cls.server_class()
        cls.client = sm()

    @classmethod
    def tearDownClass(cls):
        cls.db.destroy()

    def user_secret(self, extra=None):
        user = "u" + uuid.uuid4().hex[:8]
        password = "Init-" + uuid.uuid4().hex
        self.db.create_user(user, password)
        value = {"engine": self.db.engine, "host": "127.0.0.1", "port": self.db.port, "username": user, "password": password,
                 "dbname": self.db.master_secret()["dbname"]}
        value.update(extra or {})
        created = self.client.create_secret(Name=f"t-{uuid.uuid4().hex[:8]}/db/{user}", SecretString=json.dumps(value))
        self.addCleanup(self.client.delete_secret, SecretId=created["ARN"], ForceDeleteWithoutRecovery=True)
        return created["ARN"], value

    def master_secret(self):
        created = self.client.create_secret(Name=f"t-{uuid.uuid4().hex[:8]}/db/master", SecretString=json.dumps(self.db.master_secret()))
        self.addCleanup(self.client.delete_secret, SecretId=created["ARN"], ForceDeleteWithoutRecovery=True)
        return created["ARN"]

    def value(self, arn, stage="AWSCURRENT"):
        return json.loads(self.client.get_secret_value(SecretId=arn, VersionStage=stage)["SecretString"])

    def rotate_with_cli(self, arn, function_arn):
        result = run_cli(2, "secretsmanager", "rotate-secret", "--secret-id", arn, "--rotation-lambda-arn", function_arn,
                         "--rotation-rules", '{"AutomaticallyAfterDays": 30}')
        self.assertEqual(result.returncode, 0, result.describe())
        return result.json["VersionId"]

    def wait_outcome(self, arn, version_id, outcomes=("Succeeded",)):
        def finished():
            runs = [r for r in runs_of(arn) if r["VersionId"] == version_id and r["Outcome"] != "Running"]
            return runs[0] if runs and runs[0]["Outcome"] in outcomes else None

        return wait_for(finished, f"a run of {version_id} ending {outcomes}")

    def wait_succeeded(self, arn, version_id):
        def done():
            runs = [r for r in runs_of(arn) if r["VersionId"] == version_id]
            if runs and runs[0]["Outcome"] == "Abandoned":
                raise AssertionError(f"rotation abandoned: {runs[0]}")
            return runs[0] if runs and runs[0]["Outcome"] == "Succeeded" else None

        return wait_for(done, f"rotation to {version_id} to succeed")

    def assert_logs_in(self, value, sql=None):
        ok, out = self.db.login(value["username"], value["password"], sql or "SELECT 1")
        self.assertTrue(ok, f"{value['username']} cannot log in: {out}")
        return out

    def assert_refused(self, value):
        ok, out = self.db.login(value["username"], value["password"])
        self.assertFalse(ok, f"{value['username']} still logs in with the old password")

    def check_single_user_rotation(self, arn, before, version_id):
        self.wait_succeeded(arn, version_id)
        after = self.value(arn)
        self.assertEqual(after["username"], before["username"])
        self.assertNotEqual(after["password"], before["password"])
        self.assertEqual(self.value(arn, "AWSPREVIOUS"), before)
        described = self.client.describe_secret(SecretId=arn)
        self.assertIn("AWSCURRENT", described["VersionIdsToStages"][version_id])
        self.assertIsNotNone(described.get("LastRotatedDate"))
        self.assert_logs_in(after)
        self.assert_refused(before)
        return after


class SingleUserTests(RotationHarness):
    def test_builtin_single_user_rotates_through_the_cli_twice(self):
        arn, before = self.user_secret()
        builtin = lambda_arn(self.builtin_single)
        after = self.check_single_user_rotation(arn, before, self.rotate_with_cli(arn, builtin))
        # A second rotation, through boto3 this time, uses the stored function.
        version = self.client.rotate_secret(SecretId=arn)["VersionId"]
        self.check_single_user_rotation(arn, after, version)

    def test_lambda_style_python_function_rotates_unmodified(self):
        function = command_function("py-" + uuid.uuid4().hex[:8], self.python_module, plain=True)
        arn, before = self.user_secret()
        self.check_single_user_rotation(arn, before, self.rotate_with_cli(arn, function))

    def test_database_down_during_set_secret_then_rotation_completes(self):
        arn, before = self.user_secret()
        self.db.stop()
        try:
            version = self.rotate_with_cli(arn, lambda_arn(self.builtin_single))
            failed = self.wait_outcome(arn, version, ("Failed",))
            self.assertEqual(failed["StepReached"], "setSecret")
            self.assertEqual(self.value(arn), before, "AWSCURRENT must be untouched by a failed rotation")
        finally:
            self.db.start()
        # The retry (2 s, 4 s, … after the failure) completes the rotation once the database is back;
        # until it does, AWSCURRENT's password is the one the database has.
        self.check_single_user_rotation(arn, before, version)

    def test_function_crashing_in_each_step_leaves_working_credentials_then_completes(self):
        for step in ("createSecret", "setSecret", "testSecret", "finishSecret"):
            with self.subTest(step=step):
                marker = tempfile.mktemp(prefix="strongroom-heal-")
                function = command_function("crash-" + uuid.uuid4().hex[:8], self.python_module,
                                            FAULT="crash", FAULT_STEP=step, FAULT_UNLESS_FILE=marker)
                arn, before = self.user_secret()
                version = self.rotate_with_cli(arn, function)
                failed = wait_for(lambda: next((r for r in runs_of(arn) if r["VersionId"] == version and r["Outcome"] == "Failed"
                                                and r.get("StepReached") == step), None), f"a run to fail at {step}")
                self.assertEqual(failed["Error"], f"{step}: the command exited with status 1.")
                current = self.value(arn)
                self.assertEqual(current, before, "AWSCURRENT must be untouched by a failed rotation")
                if step in ("createSecret", "setSecret"):
                    self.assert_logs_in(current)
                else:
                    # Single-user rotation has one password: once setSecret changed it, the working
                    # credentials are the AWSPENDING ones until finishSecret (as on AWS; the
                    # alternating-users strategy has no such window).
                    self.assert_logs_in(json.loads(self.client.get_secret_value(SecretId=arn, VersionId=version, VersionStage="AWSPENDING")["SecretString"]))
                open(marker, "w").close()
                self.addCleanup(os.remove, marker)
                self.check_single_user_rotation(arn, before, version)

    def test_function_hanging_times_out_then_completes(self):
        marker = tempfile.mktemp(prefix="strongroom-heal-")
        # Long enough for the function's real steps on a loaded machine (Python and boto3 start-up included).
        function = command_function("hang-" + uuid.uuid4().hex[:8], self.python_module, timeout=20,
                                    FAULT="hang", FAULT_STEP="setSecret", FAULT_UNLESS_FILE=marker)
        arn, before = self.user_secret()
        version = self.rotate_with_cli(arn, function)
        # (On a very busy machine an earlier step may time out first; its retry then reaches the hang.)
        failed = wait_for(lambda: next((r for r in runs_of(arn) if r["VersionId"] == version and r["Outcome"] == "Failed"
                                        and r.get("StepReached") == "setSecret"), None), "setSecret to time out")
        self.assertEqual(failed["Error"], "setSecret: timed out after 20 s.")
        self.assert_logs_in(self.value(arn))
        open(marker, "w").close()
        self.addCleanup(os.remove, marker)
        self.check_single_user_rotation(arn, before, version)


class MultiUserTests(RotationHarness):
    def rotate_multi(self, arn):
        self.wait_succeeded(arn, self.rotate_with_cli(arn, lambda_arn(self.builtin_multi)))
        return self.value(arn)

    def test_builtin_alternating_users_share_objects_and_later_grants(self):
        master = self.master_secret()
        arn, first = self.user_secret({"masterarn": master})
        base = first["username"]

        second = self.rotate_multi(arn)
        self.assertEqual(second["username"], base + "_clone")
        self.assertEqual(self.value(arn, "AWSPREVIOUS"), first)
        self.assert_logs_in(second)
        self.assert_logs_in(first)  # the other user keeps working until its next turn

        # A table created after the first rotation, by the clone, works for the original user too.
        table = "t" + uuid.uuid4().hex[:8]
        self.assert_logs_in(second, self.create_and_insert_sql(table))
        self.assertEqual(self.assert_logs_in(first, f"SELECT COUNT(*) FROM {table}"), "1")
        self.assert_logs_in(first, f"INSERT INTO {table} VALUES (2)")

        # A grant added after the first rotation, to the shared group, works for both users.
        later = "later" + uuid.uuid4().hex[:8]
        self.db.admin(self.create_and_insert_sql(later))
        self.db.admin(f"GRANT SELECT ON {later} TO {self.quote(base + '_group')}")
        self.assertEqual(self.assert_logs_in(first, f"SELECT COUNT(*) FROM {later}"), "1")
        self.assertEqual(self.assert_logs_in(second, f"SELECT COUNT(*) FROM {later}"), "1")

        third = self.rotate_multi(arn)
        self.assertEqual(third["username"], base)
        self.assertNotEqual(third["password"], first["password"])
        self.assert_refused(first)
        self.assert_logs_in(third)
        self.assert_logs_in(second)
        self.assertEqual(self.assert_logs_in(third, f"SELECT COUNT(*) FROM {table}"), "2")
        self.assertEqual(self.assert_logs_in(third, f"SELECT COUNT(*) FROM {later}"), "1")


def webhook_listener(test):
    """A local HTTP endpoint collecting the JSON events POSTed to it; returns (url, events)."""
    import http.server
    import threading

    events = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            events.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    test.addCleanup(server.shutdown)
    return f"http://127.0.0.1:{server.server_address[1]}/events", events


class ServerKilledMidRotationTests(unittest.TestCase):
    """kill -9 of the server while a function is inside setSecret: after a restart the run is taken
    up as interrupted and retried, and the secret reads and logs in throughout."""

    def start_server(self):
        log = open(os.path.join(self.dir, "server.log"), "a")
        self.server = subprocess.Popen(["dotnet", STRONGROOM_DLL, "server", "--data-dir", self.data, "--listen", f"127.0.0.1:{self.port}",
                                        "--rotation-interval", "1s", "--rotation-retry-base", "2s", "--event-webhook", self.webhook],
                                       stdout=log, stderr=subprocess.STDOUT)
        import urllib.request

        def ready():
            try:
                with urllib.request.urlopen(f"{self.url}/health/ready", timeout=2) as answer:
                    return answer.status == 200
            except OSError:
                return self.server.poll() is not None

        wait_for(ready, "the server to become ready", timeout=60)
        self.assertIsNone(self.server.poll(), open(os.path.join(self.dir, "server.log")).read()[-3000:])

    def test_kill_during_set_secret_then_restart_completes_the_rotation(self):
        import boto3

        self.dir = tempfile.mkdtemp(prefix="strongroom-kill-")
        self.data = os.path.join(self.dir, "data")
        self.port = databases.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.webhook, webhook_events = webhook_listener(self)
        db = databases.Postgres()
        self.addCleanup(db.destroy)
        self.start_server()
        self.addCleanup(lambda: self.server.poll() is None and (self.server.terminate(), self.server.wait(30)))
        creds = dict(line.split("=", 1) for line in (l.replace(" ", "").strip() for l in open(os.path.join(self.data, "admin.credentials"))) if "=" in line)
        key, secret = creds["aws_access_key_id"], creds["aws_secret_access_key"]
        client = boto3.client("secretsmanager", endpoint_url=self.url, region_name=REGION, aws_access_key_id=key, aws_secret_access_key=secret)

        marker = os.path.join(self.dir, "heal")
        function = command_function("killme", "postgresql_single_user", endpoint_url=self.url, access_key=key, secret_key=secret,
                                    FAULT="hang", FAULT_STEP="setSecret", FAULT_UNLESS_FILE=marker)
        db.create_user("killed", "Before-Kill-1")
        before = {"engine": "postgres", "host": "127.0.0.1", "port": db.port, "username": "killed", "password": "Before-Kill-1", "dbname": "postgres"}
        arn = client.create_secret(Name="killed", SecretString=json.dumps(before))["ARN"]
        version = client.rotate_secret(SecretId=arn, RotationLambdaARN=function, RotationRules={"AutomaticallyAfterDays": 30})["VersionId"]
        wait_for(lambda: any(r.get("StepReached") == "setSecret" and r["Outcome"] == "Running" for r in runs_of(arn, self.url, key, secret)), "setSecret to start")

        self.server.kill()
        self.server.wait(30)
        open(marker, "w").close()
        self.start_server()

        def succeeded():
            runs = runs_of(arn, self.url, key, secret)
            return runs[0] if runs and runs[0]["Outcome"] == "Succeeded" else None

        final = wait_for(succeeded, "the interrupted rotation to complete")
        outcomes = [r["Outcome"] for r in runs_of(arn, self.url, key, secret)]
        self.assertIn("Interrupted", outcomes)
        self.assertEqual(final["VersionId"], version)
        after = json.loads(client.get_secret_value(SecretId=arn)["SecretString"])
        self.assertNotEqual(after["password"], before["password"])
        self.assertTrue(db.login("killed", after["password"])[0])
        self.assertFalse(db.login("killed", before["password"])[0])
        # Applications listening on the event webhook hear about the rotation at once.
        wait_for(lambda: any(e["detail-type"] == "Secrets Manager Rotation Succeeded" and e["resources"] == [arn] and e["detail"]["versionId"] == version
                             for e in webhook_events), f"the webhook to receive the rotation's success; got {webhook_events}")
        # No password (old, new or the master's) in the server's log or in any file of its data directory.
        self.server.terminate()
        self.server.wait(30)
        for path in [os.path.join(self.dir, "server.log")] + [os.path.join(d, f) for d, _, fs in os.walk(self.data) for f in fs]:
            content = open(path, "rb").read()
            for plaintext in (before["password"], after["password"], databases.SUPERUSER_PASSWORD):
                self.assertNotIn(plaintext.encode(), content, f"{plaintext[:4]}… found in {path}")


class HttpFunctionTests(unittest.TestCase):
    """An HTTP rotation function: Strongroom POSTs each step's event, signed with the HMAC key that
    `function create` printed once; the receiver checks the signature and rotates an API key."""

    def serve(self, status=200):
        import base64
        import hashlib
        import hmac
        import http.server
        import threading

        received = []
        test = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                timestamp = self.headers["X-Strongroom-Timestamp"]
                expected = "sha256=" + hmac.new(base64.b64decode(test.key), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
                valid = hmac.compare_digest(expected, self.headers["X-Strongroom-Signature"] or "") and abs(time.time() - int(timestamp)) < 300
                event = json.loads(body)
                received.append((event["Step"], valid))
                code = status if valid else 401
                if valid and status == 200:
                    rotate_api_key(event)
                self.send_response(code)
                self.end_headers()

            def log_message(self, *args):
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.addCleanup(server.shutdown)
        return f"http://127.0.0.1:{server.server_address[1]}/rotate", received

    def register(self, url):
        created = strongroom("function", "create", "--name", "http-" + uuid.uuid4().hex[:8], "--url", url, "--timeout", "10")
        self.key = created["HmacKey"]
        self.addCleanup(strongroom, "function", "delete", "--name", created["Function"]["Name"])
        return created["Function"]["Arn"]

    def test_http_function_rotates_with_signed_events(self):
        url, received = self.serve()
        function = self.register(url)
        client = sm()
        arn = client.create_secret(Name=f"t-{uuid.uuid4().hex[:8]}/api-key", SecretString="key-0")["ARN"]
        version = client.rotate_secret(SecretId=arn, RotationLambdaARN=function, RotationRules={"ScheduleExpression": "rate(10 days)"})["VersionId"]
        wait_for(lambda: any(r["VersionId"] == version and r["Outcome"] == "Succeeded" for r in runs_of(arn)), "the HTTP rotation to succeed")
        self.assertEqual(received, [("createSecret", True), ("setSecret", True), ("testSecret", True), ("finishSecret", True)])
        self.assertNotEqual(client.get_secret_value(SecretId=arn)["SecretString"], "key-0")
        self.assertEqual(client.get_secret_value(SecretId=arn, VersionStage="AWSPREVIOUS")["SecretString"], "key-0")

        # The outcome is in the audit trail (CloudTrail's LookupEvents) and in /metrics.
        import boto3

        trail = boto3.client("cloudtrail", endpoint_url=endpoint(), region_name=REGION, aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)
        events = trail.lookup_events(LookupAttributes=[{"AttributeKey": "ResourceName", "AttributeValue": arn}], MaxResults=50)["Events"]
        names = [e["EventName"] for e in events]
        self.assertIn("RotationStarted", names)
        self.assertIn("RotationSucceeded", names)
        import urllib.request

        with urllib.request.urlopen(endpoint() + "/metrics", timeout=10) as answer:
            self.assertRegex(answer.read().decode(), r'strongroom_rotations_total\{outcome="succeeded"\} [1-9]')

    def test_http_function_answering_500_fails_the_run_and_keeps_the_value(self):
        url, received = self.serve(status=500)
        function = self.register(url)
        client = sm()
        arn = client.create_secret(Name=f"t-{uuid.uuid4().hex[:8]}/api-key", SecretString="key-0")["ARN"]
        version = client.rotate_secret(SecretId=arn, RotationLambdaARN=function, RotationRules={"AutomaticallyAfterDays": 30})["VersionId"]
        failed = wait_for(lambda: next((r for r in runs_of(arn) if r["VersionId"] == version and r["Outcome"] == "Failed"), None), "the run to fail")
        self.assertEqual(failed["StepReached"], "createSecret")
        self.assertIn("answered HTTP 500", failed["Error"])
        self.assertEqual(received[0], ("createSecret", True))
        self.assertEqual(client.get_secret_value(SecretId=arn)["SecretString"], "key-0")
        client.cancel_rotate_secret(SecretId=arn)


def rotate_api_key(event):
    """What an HTTP rotation function does for a secret that is a plain API key (no target system)."""
    client = sm()
    arn, token, step = event["SecretId"], event["ClientRequestToken"], event["Step"]
    stages = client.describe_secret(SecretId=arn)["VersionIdsToStages"]
    if "AWSCURRENT" in stages.get(token, []):
        return
    if step == "createSecret":
        try:
            client.get_secret_value(SecretId=arn, VersionId=token, VersionStage="AWSPENDING")
        except client.exceptions.ResourceNotFoundException:
            client.put_secret_value(SecretId=arn, ClientRequestToken=token, SecretString="key-" + uuid.uuid4().hex, VersionStages=["AWSPENDING"])
    elif step == "finishSecret":
        current = next(v for v, s in stages.items() if "AWSCURRENT" in s)
        client.update_secret_version_stage(SecretId=arn, VersionStage="AWSCURRENT", MoveToVersionId=token, RemoveFromVersionId=current)


class PostgresSingleUserTests(SingleUserTests, unittest.TestCase):
    server_class = databases.Postgres
    builtin_single = "strongroom-postgresql-single-user"
    python_module = "postgresql_single_user"


class MariaDBSingleUserTests(SingleUserTests, unittest.TestCase):
    server_class = databases.MariaDB
    builtin_single = "strongroom-mysql-single-user"
    python_module = "mysql_single_user"


class PostgresMultiUserTests(MultiUserTests, unittest.TestCase):
    server_class = databases.Postgres
    builtin_multi = "strongroom-postgresql-multi-user"

    @staticmethod
    def quote(name):
        return '"' + name + '"'

    @staticmethod
    def create_and_insert_sql(table):
        return f"CREATE TABLE {table} (n int); INSERT INTO {table} VALUES (1)"


class MariaDBMultiUserTests(MultiUserTests, unittest.TestCase):
    server_class = databases.MariaDB
    builtin_multi = "strongroom-mysql-multi-user"

    @staticmethod
    def quote(name):
        return "'" + name + "'"

    @staticmethod
    def create_and_insert_sql(table):
        return f"CREATE TABLE {table} (n int); INSERT INTO {table} VALUES (1)"


if __name__ == "__main__":
    unittest.main()
