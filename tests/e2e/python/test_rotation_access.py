"""Who may define, attach and watch rotation functions, and what a run may reach (issue #25,
findings 2, 11, 15, 16), through boto3 and signed calls to Strongroom's admin API.

- Command and URL functions run code and reach the network on the server: only the administrator
  defines or changes them; built-in functions stay delegable through IAM.
- Attaching a role to a function needs iam:PassRole on it, and the role must trust the rotation
  service (lambda.amazonaws.com or secretsmanager.amazonaws.com).
- Attaching a function to a secret (RotateSecret) needs lambda:InvokeFunction on the function.
- A run's credentials reach the rotated secret (and its master secret), nothing else.
- ListRotationRuns shows a caller the runs of the secrets it is allowed to see; function listings
  never show environment values.
- HTTP functions do not follow redirects; built-in rotators refuse hosts outside the allow-list.
"""

import json
import os
import tempfile
import time
import urllib.error
import urllib.request
import uuid

import botocore.auth
import botocore.awsrequest
import botocore.credentials

from helpers import ACCESS_KEY, REGION, SECRET_KEY, AwsCredentials, IAMTestCase, allow, endpoint, policy_json

HERE = os.path.dirname(os.path.abspath(__file__))
FUNCTIONS = os.path.join(HERE, "functions")
FUNCTION_PYTHON = "/usr/bin/python3"
ADMIN = AwsCredentials(ACCESS_KEY, SECRET_KEY)
DEADLINE = 90


def call(creds, operation, body, url=None):
    """A signed call to Strongroom's admin API (at `url`, default the suite's server); returns (HTTP status, parsed answer)."""
    request = botocore.awsrequest.AWSRequest(method="POST", url=(url or endpoint()) + "/", data=json.dumps(body).encode(),
                                             headers={"X-Amz-Target": "Strongroom." + operation, "Content-Type": "application/x-amz-json-1.1"})
    botocore.auth.SigV4Auth(botocore.credentials.Credentials(creds.access_key_id, creds.secret_access_key, creds.session_token),
                            "strongroom", REGION).add_auth(request)
    prepared = request.prepare()
    try:
        with urllib.request.urlopen(urllib.request.Request(prepared.url, data=prepared.body, headers=dict(prepared.headers), method="POST"), timeout=30) as answer:
            return answer.status, json.loads(answer.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def wait_for(predicate, what, timeout=DEADLINE):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(0.25)
    raise AssertionError(f"timed out after {timeout} s waiting for {what} (last: {last!r})")


def lambda_trust(service="lambda.amazonaws.com"):
    return policy_json({"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"})


class RotationAccessTestCase(IAMTestCase):
    def setUp(self):
        super().setUp()
        self.tag8 = self.prefix.strip("/").split("-")[-1]

    def fname(self, suffix):
        return f"dev-{self.tag8}-{suffix}"

    def function_arn(self, name):
        return f"arn:aws:lambda:{REGION}:{self.account}:function:{name}"

    def ok(self, creds, operation, body):
        status, answer = call(creds, operation, body)
        self.assertEqual(status, 200, f"{operation}: {answer}")
        return answer

    def denied(self, creds, operation, body):
        status, answer = call(creds, operation, body)
        self.assertEqual((status, answer.get("__type")), (400, "AccessDeniedException"), f"{operation}: {answer}")
        return answer

    def define(self, name, creds=ADMIN, **members):
        answer = self.ok(creds, "CreateRotationFunction", dict(Name=name, **members))
        self.addCleanup(call, ADMIN, "DeleteRotationFunction", {"Name": name})
        return answer

    def secret_arn_pattern(self, path):
        return "arn:aws:secretsmanager:*:*:secret:" + self.prefix + path

    def runs(self, arn, creds=ADMIN):
        return self.ok(creds, "ListRotationRuns", {"SecretId": arn, "MaxResults": 100})["Runs"]

    def wait_run(self, arn, version, outcomes=("Succeeded", "Failed", "Abandoned")):
        return wait_for(lambda: next((r for r in self.runs(arn) if r["VersionId"] == version and r["Outcome"] in outcomes), None),
                        f"a run of {arn} to end")

    def probe_function(self, other_arn, report):
        name = self.fname("probe")
        command = f"{FUNCTION_PYTHON} -c 'import json,sys,probe_reach as f; f.lambda_handler(json.load(sys.stdin), None)'"
        self.define(name, Command=command, TimeoutSeconds=30,
                    Environment={"PYTHONPATH": FUNCTIONS, "PROBE_OTHER": other_arn, "PROBE_REPORT": report})
        return self.function_arn(name)

    def role(self, suffix, trust, *statements):
        role = self.create_role(suffix, trust=trust)
        if statements:
            self.iam.put_role_policy(RoleName=role["RoleName"], PolicyName="inline", PolicyDocument=policy_json(*statements))
        return role


class CodeFunctionsAreOperatorActsTests(RotationAccessTestCase):
    """Finding 2: the issue's user — strongroom:*RotationFunction on function:dev-*, secretsmanager:* on dev/*."""

    def setUp(self):
        super().setUp()
        self.user = self.new_principal("dev", allow("strongroom:*RotationFunction", "arn:aws:lambda:*:*:function:dev-*"),
                                       allow("secretsmanager:*", self.secret_arn_pattern("dev/*")))
        self.prod = self.create("prod/db", SecretString="prod-password")

    def test_a_user_cannot_define_a_command_or_url_function(self):
        steal = (f"{FUNCTION_PYTHON} -c 'import boto3,os; s=boto3.client(\"secretsmanager\", endpoint_url=os.environ[\"SECRETS_MANAGER_ENDPOINT\"]); "
                 f"s.put_secret_value(SecretId=\"{self.name('dev/loot')}\", SecretString=s.get_secret_value(SecretId=\"{self.prod['ARN']}\")[\"SecretString\"])'")
        for kind, members in {"command": {"Command": steal}, "root key": {"Command": "cat root.key"}, "url": {"Url": "http://127.0.0.1:9/steal"}}.items():
            with self.subTest(kind=kind):
                name = self.fname(kind.replace(" ", "-"))
                self.addCleanup(call, ADMIN, "DeleteRotationFunction", {"Name": name})
                answer = self.denied(self.user, "CreateRotationFunction", dict(Name=name, **members))
                self.assertIn("administrator", answer["Message"])
                status, _ = call(ADMIN, "GetRotationFunction", {"Name": name})
                self.assertEqual(status, 400, "the refused function was created anyway")
        # Built-in functions stay delegable.
        name = self.fname("builtin")
        self.define(name, creds=self.user, Builtin="postgresql-single-user")
        self.assertEqual(self.ok(self.user, "GetRotationFunction", {"Name": name})["Function"]["Kind"], "builtin")

    def test_a_user_cannot_change_an_operators_command_function(self):
        name = self.fname("ops")
        self.define(name, Command="true", Environment={"MODE": "safe"})
        for members in ({"Environment": {"LD_PRELOAD": "/tmp/evil.so"}}, {"Command": "cat root.key"}, {"Builtin": "postgresql-single-user"},
                        {"Url": "http://127.0.0.1:9/"}, {"TimeoutSeconds": 5}):
            with self.subTest(members=list(members)):
                self.denied(self.user, "UpdateRotationFunction", dict(Name=name, **members))
        function = self.ok(ADMIN, "GetRotationFunction", {"Name": name})["Function"]
        self.assertEqual((function["Kind"], function["Command"], sorted(function["Environment"])), ("command", "true", ["MODE"]))
        # Nor turn a delegable built-in function into code.
        builtin = self.fname("mine")
        self.define(builtin, creds=self.user, Builtin="mysql-single-user")
        self.denied(self.user, "UpdateRotationFunction", {"Name": builtin, "Command": "cat root.key"})

    def test_a_runs_credentials_reach_only_the_rotated_secret(self):
        other = self.create("prod/other", SecretString="other-value")
        rotated = self.create("dev/app", SecretString="initial")
        report = tempfile.NamedTemporaryFile(prefix="strongroom-probe-", suffix=".jsonl", delete=False).name
        self.addCleanup(os.unlink, report)
        function = self.probe_function(other["ARN"], report)
        version = self.client.rotate_secret(SecretId=rotated["ARN"], RotationLambdaARN=function,
                                            RotationRules={"AutomaticallyAfterDays": 30})["VersionId"]
        run = self.wait_run(rotated["ARN"], version)
        self.assertEqual(run["Outcome"], "Succeeded", run)
        lines = [json.loads(line) for line in open(report)]
        self.assertEqual([line["step"] for line in lines], ["createSecret", "setSecret", "testSecret", "finishSecret"])
        for line in lines:
            with self.subTest(step=line["step"]):
                self.assertEqual(line["own"], "ok")
                self.assertEqual(line["other"], "AccessDeniedException")
                self.assertEqual(line["kms"], "AccessDeniedException")
                self.assertEqual(line["iam"], "AccessDenied")
        self.assertNotEqual(self.client.get_secret_value(SecretId=rotated["ARN"])["SecretString"], "initial")


class PassRoleAndTrustTests(RotationAccessTestCase):
    """Finding 2: iam:PassRole to attach a role; the role must trust the rotation service."""

    def setUp(self):
        super().setUp()
        self.power = self.role("power", lambda_trust(), allow("secretsmanager:*", "*"))
        self.user = self.new_principal("dev", allow("strongroom:*RotationFunction", "arn:aws:lambda:*:*:function:dev-*"))

    def test_attaching_a_role_needs_pass_role(self):
        name = self.fname("powered")
        self.addCleanup(call, ADMIN, "DeleteRotationFunction", {"Name": name})
        answer = self.denied(self.user, "CreateRotationFunction", {"Name": name, "Builtin": "postgresql-single-user", "RoleArn": self.power["Arn"]})
        self.assertIn("iam:PassRole", answer["Message"])
        plain = self.fname("plain")
        self.define(plain, creds=self.user, Builtin="postgresql-single-user")
        self.denied(self.user, "UpdateRotationFunction", {"Name": plain, "RoleArn": self.power["Arn"]})
        self.iam.put_user_policy(UserName=self.user.name, PolicyName="pass", PolicyDocument=policy_json(
            allow("iam:PassRole", self.power["Arn"], {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}})))
        self.define(name, creds=self.user, Builtin="postgresql-single-user", RoleArn=self.power["Arn"])
        self.ok(self.user, "UpdateRotationFunction", {"Name": plain, "RoleArn": self.power["Arn"]})

    def test_a_role_that_does_not_trust_the_rotation_service_is_refused(self):
        human = self.role("human", None, allow("secretsmanager:*", "*"))
        name = self.fname("human")
        self.addCleanup(call, ADMIN, "DeleteRotationFunction", {"Name": name})
        status, answer = call(ADMIN, "CreateRotationFunction", {"Name": name, "Builtin": "postgresql-single-user", "RoleArn": human["Arn"]})
        self.assertEqual(status, 400, answer)
        self.assertIn("cannot be assumed", answer["Message"])
        for service in ("lambda.amazonaws.com", "secretsmanager.amazonaws.com"):
            with self.subTest(service=service):
                role = self.role("svc-" + service.split(".")[0], lambda_trust(service))
                self.define(self.fname(service.split(".")[0]), Builtin="postgresql-single-user", RoleArn=role["Arn"])

    def test_a_trust_withdrawn_later_fails_the_run(self):
        role = self.role("withdrawn", lambda_trust(), allow("secretsmanager:*", "*"))
        name = self.fname("withdrawn")
        self.define(name, Command="true", RoleArn=role["Arn"])
        self.iam.update_assume_role_policy(RoleName=role["RoleName"], PolicyDocument=policy_json(
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::%s:root" % self.account}, "Action": "sts:AssumeRole"}))
        secret = self.create("dev/withdrawn", SecretString="initial")
        version = self.client.rotate_secret(SecretId=secret["ARN"], RotationLambdaARN=self.function_arn(name),
                                            RotationRules={"AutomaticallyAfterDays": 30})["VersionId"]
        run = self.wait_run(secret["ARN"], version)
        self.client.cancel_rotate_secret(SecretId=secret["ARN"])
        self.assertEqual(run["Outcome"], "Failed")
        self.assertIn("cannot be assumed", run["Error"])


class InvokePermissionTests(RotationAccessTestCase):
    """Finding 11: RotateSecret needs lambda:InvokeFunction on the function it attaches or runs."""

    def setUp(self):
        super().setUp()
        self.user = self.new_principal("dev", allow("secretsmanager:*", self.secret_arn_pattern("dev/*")))
        self.secret = self.create("dev/db", SecretString="v")
        self.builtin = self.function_arn("strongroom-postgresql-single-user")

    def test_attaching_needs_invoke_function(self):
        err = self.assertAwsError("AccessDeniedException", self.user.sm().rotate_secret, SecretId=self.secret["ARN"],
                                  RotationLambdaARN=self.builtin, RotationRules={"AutomaticallyAfterDays": 30}, RotateImmediately=False)
        self.assertIn("lambda:InvokeFunction", err["Message"])
        self.assertIn(self.builtin, err["Message"])
        self.assertFalse(self.client.describe_secret(SecretId=self.secret["ARN"]).get("RotationEnabled", False))
        self.iam.put_user_policy(UserName=self.user.name, PolicyName="invoke", PolicyDocument=policy_json(allow("lambda:InvokeFunction", self.builtin)))
        self.user.sm().rotate_secret(SecretId=self.secret["ARN"], RotationLambdaARN=self.builtin,
                                     RotationRules={"AutomaticallyAfterDays": 30}, RotateImmediately=False)
        self.client.cancel_rotate_secret(SecretId=self.secret["ARN"])

    def test_rotating_with_the_stored_function_needs_invoke_function(self):
        admin_function = self.function_arn(self.fname("ops"))
        self.define(self.fname("ops"), Command="true")
        self.client.rotate_secret(SecretId=self.secret["ARN"], RotationLambdaARN=admin_function,
                                  RotationRules={"AutomaticallyAfterDays": 30}, RotateImmediately=False)
        self.addCleanup(self.client.cancel_rotate_secret, SecretId=self.secret["ARN"])
        err = self.assertAwsError("AccessDeniedException", self.user.sm().rotate_secret, SecretId=self.secret["ARN"])
        self.assertIn(admin_function, err["Message"])


class RotationRunsAndEnvironmentTests(RotationAccessTestCase):
    """Finding 15: runs per secret; environment values never shown."""

    def test_runs_are_shown_per_secret(self):
        dev = self.create("dev/db", SecretString="d")
        prod = self.create("prod/db", SecretString="p")
        self.define(self.fname("fails"), Command="false")
        for secret in (dev, prod):
            # A function that fails: each run fails at once, which is all this test needs.
            self.client.rotate_secret(SecretId=secret["ARN"], RotationLambdaARN=self.function_arn(self.fname("fails")),
                                      RotationRules={"AutomaticallyAfterDays": 30})
            self.addCleanup(self.client.cancel_rotate_secret, SecretId=secret["ARN"])
            wait_for(lambda: self.runs(secret["ARN"]), "a run")
        user = self.new_principal("dev", allow("strongroom:ListRotationRuns", self.secret_arn_pattern("dev/*")))
        self.assertTrue(self.ok(user, "ListRotationRuns", {"SecretId": dev["ARN"]})["Runs"])
        for secret_id in (prod["ARN"], self.name("prod/db"), self.name("prod/missing")):
            with self.subTest(secret_id=secret_id):
                self.denied(user, "ListRotationRuns", {"SecretId": secret_id})
        shown = {r["SecretArn"] for r in self.ok(user, "ListRotationRuns", {"MaxResults": 100})["Runs"]}
        self.assertNotIn(prod["ARN"], shown)
        # The admin sees every secret's runs.
        self.assertTrue(self.runs(prod["ARN"]))

    def test_rotation_status_is_shown_per_secret(self):
        dev = self.create("dev/db", SecretString="d")
        prod = self.create("prod/db", SecretString="p")
        # A function that fails at once (RotateSecret refuses a function it cannot invoke, so it must exist).
        self.define(self.fname("fails"), Command="false")
        for secret in (dev, prod):
            self.client.rotate_secret(SecretId=secret["ARN"], RotationLambdaARN=self.function_arn(self.fname("fails")),
                                      RotationRules={"AutomaticallyAfterDays": 30})
            self.addCleanup(self.client.cancel_rotate_secret, SecretId=secret["ARN"])
            wait_for(lambda: [r for r in self.runs(secret["ARN"]) if r["Outcome"] != "Running"], "a run to end")
        user = self.new_principal("dev", allow("strongroom:ListRotationStatus", self.secret_arn_pattern("dev/*")))
        (entry,) = self.ok(user, "ListRotationStatus", {"SecretId": dev["ARN"]})["Secrets"]
        self.assertEqual(entry["SecretArn"], dev["ARN"])
        self.assertGreaterEqual(entry["ConsecutiveFailures"], 1)
        self.assertIn("createSecret: the command exited with status 1", entry["LastError"])
        for secret_id in (prod["ARN"], self.name("prod/db"), self.name("prod/missing")):
            with self.subTest(secret_id=secret_id):
                self.denied(user, "ListRotationStatus", {"SecretId": secret_id})
        shown = {e["SecretArn"] for e in self.ok(user, "ListRotationStatus", {})["Secrets"]}
        self.assertIn(dev["ARN"], shown)
        self.assertNotIn(prod["ARN"], shown)
        # Another action's permission is not this one's: ListRotationRuns on prod/* shows no status.
        runs_only = self.new_principal("runs", allow("strongroom:ListRotationRuns", self.secret_arn_pattern("prod/*")))
        self.denied(runs_only, "ListRotationStatus", {"SecretId": prod["ARN"]})
        self.assertNotIn(prod["ARN"], {e["SecretArn"] for e in self.ok(runs_only, "ListRotationStatus", {})["Secrets"]})
        # The admin sees both.
        admin = {e["SecretArn"] for e in self.ok(ADMIN, "ListRotationStatus", {})["Secrets"]}
        self.assertTrue({dev["ARN"], prod["ARN"]} <= admin)

    def test_environment_values_never_leave_the_server(self):
        canary = "CANARY-env-" + uuid.uuid4().hex
        name = self.fname("env")
        created = self.define(name, Command="true", Environment={"API_TOKEN": canary, "MODE": "x"})
        answers = [created, self.ok(ADMIN, "GetRotationFunction", {"Name": name}), self.ok(ADMIN, "ListRotationFunctions", {}),
                   self.ok(ADMIN, "UpdateRotationFunction", {"Name": name, "Description": "d"})]
        for answer in answers:
            self.assertNotIn(canary, json.dumps(answer))
        self.assertEqual(sorted(answers[1]["Function"]["Environment"]), ["API_TOKEN", "MODE"])


def http_listener(test, status=200, location=None):
    """A local HTTP endpoint that records each POST's path and answers `status` (with `location`)."""
    import http.server
    import threading

    hits = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            hits.append(self.path)
            self.send_response(status)
            if location:
                self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self):
            hits.append("GET " + self.path)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    test.addCleanup(server.shutdown)
    return f"http://127.0.0.1:{server.server_address[1]}/rotate", hits


class OutboundConnectionTests(RotationAccessTestCase):
    """Finding 16: no redirects; built-in rotators and HTTP functions only reach allowed hosts
    (the dev server runs with the default allow-list: loopback and private networks)."""

    def rotate(self, function_arn, value):
        secret = self.create("dev/out-" + uuid.uuid4().hex[:6], SecretString=value)
        version = self.client.rotate_secret(SecretId=secret["ARN"], RotationLambdaARN=function_arn,
                                            RotationRules={"AutomaticallyAfterDays": 30})["VersionId"]
        run = self.wait_run(secret["ARN"], version)
        self.client.cancel_rotate_secret(SecretId=secret["ARN"])
        return run

    def test_an_http_function_redirect_is_not_followed(self):
        target, target_hits = http_listener(self)
        source, source_hits = http_listener(self, status=307, location=target)
        name = self.fname("redirect")
        self.define(name, Url=source, TimeoutSeconds=5)
        run = self.rotate(self.function_arn(name), "v")
        self.assertEqual(run["Outcome"], "Failed")
        self.assertIn("HTTP 307", run["Error"])
        self.assertEqual(len(source_hits), 1)
        self.assertEqual(target_hits, [], "the redirect was followed")

    def test_an_http_function_outside_the_allow_list_is_not_called(self):
        name = self.fname("metadata")
        self.define(name, Url="http://169.254.169.254/latest/meta-data/", TimeoutSeconds=5)
        run = self.rotate(self.function_arn(name), "v")
        self.assertEqual(run["Outcome"], "Failed")
        self.assertIn("rotation-allowed-hosts", run["Error"])

    def test_builtin_rotators_refuse_hosts_outside_the_allow_list(self):
        builtin = self.function_arn("strongroom-postgresql-single-user")
        for host in ("169.254.169.254", "192.0.2.10", "/var/run/postgresql", "127.0.0.1,169.254.169.254", "[fe80::1]"):
            with self.subTest(host=host):
                run = self.rotate(builtin, json.dumps({"engine": "postgres", "host": host, "port": 5432, "username": "u", "password": "p"}))
                self.assertEqual(run["Outcome"], "Failed")
                self.assertEqual(run["StepReached"], "setSecret")
                self.assertIn("rotation-allowed-hosts", run["Error"])


class AllowListFlagTests(IAMTestCase):
    """Finding 16: --rotation-allowed-hosts replaces the default; loopback then needs naming too."""

    def test_a_server_with_an_allow_list_refuses_other_hosts(self):
        import subprocess

        import databases

        root = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
        dll = os.path.join(root, "src", "Strongroom", "bin", "Release", "net10.0", "strongroom.dll")
        port = databases.free_port()
        url = f"http://127.0.0.1:{port}"
        log = tempfile.NamedTemporaryFile(prefix="strongroom-allow-", suffix=".log", delete=False)
        self.addCleanup(os.unlink, log.name)
        server = subprocess.Popen(["dotnet", dll, "server", "--dev", "--listen", f"127.0.0.1:{port}", "--rotation-interval", "1s",
                                   "--rotation-allowed-hosts", "10.0.0.0/8,db.example.com"], stdout=log, stderr=subprocess.STDOUT)
        self.addCleanup(lambda: server.poll() is None and (server.terminate(), server.wait(30)))

        def ready():
            try:
                with urllib.request.urlopen(url + "/health/ready", timeout=2) as answer:
                    return answer.status == 200
            except OSError:
                return server.poll() is not None

        wait_for(ready, "the server to become ready", timeout=60)
        self.assertIsNone(server.poll(), open(log.name).read()[-3000:])
        import boto3

        client = boto3.client("secretsmanager", endpoint_url=url, region_name=REGION, aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)
        target, hits = http_listener(self)
        created = call(ADMIN, "CreateRotationFunction", {"Name": "loopback", "Url": target, "TimeoutSeconds": 5}, url)
        self.assertEqual(created[0], 200, created)
        arn = client.create_secret(Name="allow-list", SecretString="v")["ARN"]
        version = client.rotate_secret(SecretId=arn, RotationLambdaARN=created[1]["Function"]["Arn"],
                                       RotationRules={"AutomaticallyAfterDays": 30})["VersionId"]
        run = wait_for(lambda: next((r for r in call(ADMIN, "ListRotationRuns", {"SecretId": arn}, url)[1]["Runs"]
                                     if r["VersionId"] == version and r["Outcome"] != "Running"), None), "the run to end")
        self.assertEqual(run["Outcome"], "Failed")
        self.assertIn("rotation-allowed-hosts", run["Error"])
        self.assertEqual(hits, [])
        # A value the flag cannot parse stops the server at start with a clear message.
        bad = subprocess.run(["dotnet", dll, "server", "--dev", "--listen", f"127.0.0.1:{databases.free_port()}",
                              "--rotation-allowed-hosts", "10.0.0.0/99"], capture_output=True, text=True, timeout=60)
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn("--rotation-allowed-hosts", bad.stdout + bad.stderr)
