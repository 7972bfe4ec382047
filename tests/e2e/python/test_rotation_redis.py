"""Redis ACL users rotated for real (issue #22): Debian's redis-server started by the tests, passwords
rotated through the AWS CLI and boto3 with the built-in `strongroom-redis-single-user` and
`strongroom-redis-multi-user` functions, logins checked with AUTH over a plain socket.

Single user: the new password logs in, the old one keeps working until finishSecret and is refused
after it, the change survives a Redis restart (ACL SAVE). Alternating users: NAME_clone gets NAME's
ACL rules and the new password, the AWSPREVIOUS credentials keep working. Faults: Redis stopped, or a
secret naming a port where nothing listens — the run fails at setSecret and AWSCURRENT is untouched.
A server of its own, on a data directory, proves that no password reaches the run's output, the
server log, the store or the audit trail.
"""

import configparser
import json
import os
import shutil
import subprocess
import tempfile
import unittest
import urllib.request
import uuid

import boto3

import databases
from helpers import REGION
from test_rotation_databases import STRONGROOM_DLL, RotationHarness, lambda_arn, runs_of, strongroom, wait_for

SINGLE = "strongroom-redis-single-user"
MULTI = "strongroom-redis-multi-user"
MASK = "********"


def start_own_server(cls, env=None):
    """A Strongroom server of the class's own, on a data directory, with its log in a file; admin clients on cls."""
    cls.data = tempfile.mkdtemp(prefix="strongroom-redis-own-")
    cls.log_path = os.path.join(tempfile.mkdtemp(prefix="strongroom-redis-own-log-"), "server.log")
    cls.port = databases.free_port()
    cls.url = f"http://127.0.0.1:{cls.port}"
    cls.log = open(cls.log_path, "wb")
    cls.server = subprocess.Popen(["dotnet", STRONGROOM_DLL, "server", "--data-dir", cls.data, "--listen", f"127.0.0.1:{cls.port}",
                                   "--rotation-interval", "1s", "--rotation-retry-base", "60s"],
                                  stdout=cls.log, stderr=subprocess.STDOUT, env=dict(os.environ, **(env or {})))

    def ready():
        try:
            with urllib.request.urlopen(cls.url + "/health/ready", timeout=2) as answer:
                return answer.status == 200
        except OSError:
            return cls.server.poll() is not None

    wait_for(ready, "the server to become ready", timeout=90)
    assert cls.server.poll() is None, open(cls.log_path).read()[-3000:]
    credentials = configparser.ConfigParser()
    credentials.read(os.path.join(cls.data, "admin.credentials"))
    cls.key = credentials["default"]["aws_access_key_id"]
    cls.secret = credentials["default"]["aws_secret_access_key"]
    cls.sm = boto3.client("secretsmanager", endpoint_url=cls.url, region_name=REGION, aws_access_key_id=cls.key, aws_secret_access_key=cls.secret)
    cls.account = boto3.client("sts", endpoint_url=cls.url, region_name=REGION, aws_access_key_id=cls.key,
                               aws_secret_access_key=cls.secret).get_caller_identity()["Account"]


def stop_own_server(cls):
    if cls.server.poll() is None:
        cls.server.terminate()
        cls.server.wait(30)
    cls.log.close()
    shutil.rmtree(cls.data, ignore_errors=True)
    shutil.rmtree(os.path.dirname(cls.log_path), ignore_errors=True)


class RedisRotationHarness(RotationHarness):
    server_class = databases.Redis

    def user_secret(self, extra=None, rules=("~*", "&*", "+@all"), port=None):
        user = "u" + uuid.uuid4().hex[:8]
        password = "Init-" + uuid.uuid4().hex
        self.db.create_user(user, password, rules)
        value = {"engine": "redis", "host": "127.0.0.1", "port": port or self.db.port, "username": user, "password": password}
        value.update(extra or {})
        created = self.client.create_secret(Name=f"t-{uuid.uuid4().hex[:8]}/redis/{user}", SecretString=json.dumps(value))
        self.addCleanup(self.client.delete_secret, SecretId=created["ARN"], ForceDeleteWithoutRecovery=True)
        return created["ARN"], value

    def assert_logs_in(self, value, *command):
        ok, out = self.db.login(value["username"], value["password"], *command)
        self.assertTrue(ok, f"{value['username']} cannot log in: {out}")
        return out

    def assert_refused(self, value):
        ok, out = self.db.login(value["username"], value["password"])
        self.assertFalse(ok, f"{value['username']} still logs in with the old password")
        self.assertIn("WRONGPASS", out)

    def rules(self, user):
        """The user's ACL LIST line without its password hashes."""
        line = next(line for line in self.db.admin("ACL", "LIST") if line.startswith(f"user {user} "))
        return " ".join(t for t in line.split(" ") if not t.startswith("#"))

    def wait_failed_at(self, arn, version, step):
        return wait_for(lambda: next((r for r in runs_of(arn) if r["VersionId"] == version and r["Outcome"] == "Failed"
                                      and r.get("StepReached") == step), None), f"a run of {version} to fail at {step}")


class RedisSingleUserTests(RedisRotationHarness, unittest.TestCase):
    def test_self_managed_user_rotates_through_the_cli_then_boto3(self):
        arn, before = self.user_secret()
        after = self.check_single_user_rotation(arn, before, self.rotate_with_cli(arn, lambda_arn(SINGLE)))
        self.assertEqual(set(after), {"engine", "host", "port", "username", "password"})
        version = self.client.rotate_secret(SecretId=arn)["VersionId"]
        third = self.check_single_user_rotation(arn, after, version)
        self.assert_refused(before)
        self.assertEqual(len(self.db.admin("ACL", "GETUSER", before["username"])[3]), 1, "exactly one password is left")
        self.assert_logs_in(third)

    def test_restricted_user_rotated_by_the_admin_secret_keeps_its_rules_and_survives_a_restart(self):
        master = self.master_secret()
        rules = ("~app:*", "+@read", "+@write", "+ping")  # PING: the client library's handshake needs it
        arn, before = self.user_secret({"masterarn": master}, rules=rules)
        user = before["username"]
        rules_before = self.rules(user)
        after = self.check_single_user_rotation(arn, before, self.rotate_with_cli(arn, lambda_arn(SINGLE)))
        self.assertEqual(after["masterarn"], master)
        self.assertEqual(self.assert_logs_in(after, "SET", "app:k", "v"), "OK")
        ok, out = self.db.login(user, after["password"], "SET", "other:k", "v")
        self.assertFalse(ok)
        self.assertIn("NOPERM", out)
        self.assertEqual(self.rules(user), rules_before, "the user's flags and rules are untouched")
        # ACL SAVE made the change durable: after a restart the new password works and the old one is refused.
        self.db.stop()
        self.db.start()
        self.assert_logs_in(after)
        self.assert_refused(before)

    def test_builtin_registered_under_its_own_name_rotates_and_reports_each_step(self):
        arn, before = self.user_secret()
        function = strongroom("function", "create", "--name", "redis-" + uuid.uuid4().hex[:8], "--builtin", "redis-single-user", "--timeout", "120")["Function"]
        self.addCleanup(strongroom, "function", "delete", "--name", function["Name"])
        self.assertEqual(function["Builtin"], "redis-single-user")
        version = self.rotate_with_cli(arn, function["Arn"])
        after = self.check_single_user_rotation(arn, before, version)
        run = next(r for r in runs_of(arn) if r["VersionId"] == version)
        for line in ("setSecret: Added the AWSPENDING password", "the AWSCURRENT one still works until finishSecret",
                     "testSecret: Successfully signed into Redis", "finishSecret: Removed the AWSPREVIOUS password"):
            self.assertIn(line, run["Output"])
        self.assertNotIn(after["password"], run["Output"])
        self.assertNotIn(before["password"], run["Output"])

    def test_redis_down_fails_set_secret_and_keeps_awscurrent_then_rotation_completes(self):
        arn, before = self.user_secret()
        self.db.stop()
        try:
            version = self.rotate_with_cli(arn, lambda_arn(SINGLE))
            failed = self.wait_failed_at(arn, version, "setSecret")
            self.assertIn("could not log in to Redis", failed["Error"])
            self.assertEqual(self.value(arn), before, "AWSCURRENT must be untouched by a failed rotation")
            self.assertNotIn(before["password"], failed["Error"] + failed.get("Output", ""))
        finally:
            self.db.start()
        # The retry completes the rotation once Redis is back (its users came back from the ACL file).
        self.check_single_user_rotation(arn, before, version)


class RedisMultiUserTests(RedisRotationHarness, unittest.TestCase):
    def rotate_multi(self, arn):
        self.wait_succeeded(arn, self.rotate_with_cli(arn, lambda_arn(MULTI)))
        return self.value(arn)

    def test_alternating_users_keep_awsprevious_working(self):
        master = self.master_secret()
        arn, first = self.user_secret({"masterarn": master}, rules=("~app:*", "&*", "+@read", "+@write", "+ping", "(~log:* +get)"))
        base = first["username"]

        second = self.rotate_multi(arn)
        self.assertEqual(second["username"], base + "_clone")
        self.assertNotEqual(second["password"], first["password"])
        self.assertEqual(self.value(arn, "AWSPREVIOUS"), first)
        self.assert_logs_in(second)
        self.assert_logs_in(first)  # AWSPREVIOUS keeps working
        # The clone has the user's rules, selector included, and nothing more.
        self.assertEqual(self.assert_logs_in(second, "SET", "app:k", "v"), "OK")
        self.assertIsNone(self.assert_logs_in(second, "GET", "log:x"))
        self.assertFalse(self.db.login(second["username"], second["password"], "SET", "other:k", "v")[0])
        self.assertFalse(self.db.login(second["username"], second["password"], "CONFIG", "GET", "maxmemory")[0])

        third = self.rotate_multi(arn)
        self.assertEqual(third["username"], base)
        self.assertNotEqual(third["password"], first["password"])
        self.assertEqual(self.value(arn, "AWSPREVIOUS"), second)
        self.assert_logs_in(third)
        self.assert_logs_in(second)  # AWSPREVIOUS keeps working
        self.assert_refused(first)  # the user's password from two rotations ago is gone
        self.assertEqual(self.assert_logs_in(third, "GET", "app:k"), "v")

    def test_wrong_port_fails_set_secret_and_keeps_awscurrent(self):
        master = self.master_secret()
        arn, before = self.user_secret({"masterarn": master}, port=databases.free_port())
        version = self.rotate_with_cli(arn, lambda_arn(MULTI))
        failed = self.wait_failed_at(arn, version, "setSecret")
        self.assertIn("could not log in to Redis", failed["Error"])
        self.assertIn("with the AWSCURRENT password", failed["Error"])
        self.assertIn("RedisConnectionException (UnableToConnect)", failed["Error"])
        self.assertEqual(self.value(arn), before, "AWSCURRENT must be untouched by a failed rotation")
        pending = self.value(arn, "AWSPENDING")
        self.assertEqual(pending["username"], before["username"] + "_clone")
        self.assertNotIn(pending["password"], failed["Error"] + failed.get("Output", ""))
        self.client.cancel_rotate_secret(SecretId=arn)

    def test_secret_without_masterarn_fails_set_secret(self):
        arn, before = self.user_secret()
        version = self.rotate_with_cli(arn, lambda_arn(MULTI))
        failed = self.wait_failed_at(arn, version, "setSecret")
        self.assertIn("no 'masterarn' key", failed["Error"])
        self.assertEqual(self.value(arn), before)
        self.assertFalse(self.db.login(before["username"] + "_clone", self.value(arn, "AWSPENDING")["password"])[0])
        self.client.cancel_rotate_secret(SecretId=arn)


class RedisRotationLeakTests(unittest.TestCase):
    """A server of its own (on a data directory): no Redis password in the run output, the server log, the
    store and audit files, or LookupEvents — for a successful rotation and one that fails at setSecret."""

    @classmethod
    def setUpClass(cls):
        cls.redis = databases.Redis()
        start_own_server(cls)

    @classmethod
    def tearDownClass(cls):
        stop_own_server(cls)
        cls.redis.destroy()

    def rotate(self, function, value):
        arn = self.sm.create_secret(Name=f"leak/{uuid.uuid4().hex[:8]}", SecretString=json.dumps(value))["ARN"]
        version = self.sm.rotate_secret(SecretId=arn, RotationLambdaARN=f"arn:aws:lambda:{REGION}:{self.account}:function:{function}",
                                        RotationRules={"AutomaticallyAfterDays": 30})["VersionId"]
        run = wait_for(lambda: next((r for r in runs_of(arn, self.url, self.key, self.secret) if r["VersionId"] == version and r["Outcome"] != "Running"), None),
                       "the run to end")
        return arn, version, run

    def assert_nowhere(self, needles):
        events = boto3.client("cloudtrail", endpoint_url=self.url, region_name=REGION, aws_access_key_id=self.key,
                              aws_secret_access_key=self.secret).lookup_events(MaxResults=50)["Events"]
        self.assertTrue(any(e["EventName"] in ("RotationSucceeded", "RotationFailed") for e in events), [e["EventName"] for e in events])
        self.log.flush()
        places = {"server log": open(self.log_path, "rb").read(), "LookupEvents": json.dumps(events, default=str).encode()}
        for folder, _, files in os.walk(self.data):
            for file in files:
                path = os.path.join(folder, file)
                with open(path, "rb") as f:
                    places[os.path.relpath(path, self.data)] = f.read()
        for needle in needles:
            for place, content in places.items():
                self.assertNotIn(needle.encode(), content, f"{needle[:4]}… found in {place}")

    def test_passwords_appear_nowhere_after_a_rotation_and_a_failed_one(self):
        master_arn = self.sm.create_secret(Name=f"leak/master-{uuid.uuid4().hex[:8]}", SecretString=json.dumps(self.redis.master_secret()))["ARN"]
        user, password = "leak" + uuid.uuid4().hex[:6], "Init-" + uuid.uuid4().hex
        self.redis.create_user(user, password, ("~*", "+@all"))
        before = {"engine": "redis", "host": "127.0.0.1", "port": self.redis.port, "username": user, "password": password, "masterarn": master_arn}

        arn, version, run = self.rotate(SINGLE, before)
        self.assertEqual(run["Outcome"], "Succeeded", run)
        new = json.loads(self.sm.get_secret_value(SecretId=arn)["SecretString"])["password"]
        self.assertTrue(self.redis.login(user, new)[0])
        self.assertFalse(self.redis.login(user, password)[0])
        for line in ("createSecret: Successfully put secret", "setSecret: Added the AWSPENDING password", "testSecret: Successfully signed into Redis",
                     "finishSecret: Removed the AWSPREVIOUS password", "Saved the change to Redis's ACL file"):
            self.assertIn(line, run["Output"])

        # A failing run (nothing listens on the port): its error and output hold no password either.
        down = dict(before, username="down" + uuid.uuid4().hex[:6], port=databases.free_port())
        failed_arn, failed_version, failed = self.rotate(MULTI, down)
        self.assertEqual((failed["Outcome"], failed["StepReached"]), ("Failed", "setSecret"), failed)
        pending = json.loads(self.sm.get_secret_value(SecretId=failed_arn, VersionId=failed_version, VersionStage="AWSPENDING")["SecretString"])["password"]
        self.sm.cancel_rotate_secret(SecretId=failed_arn)

        needles = [password, new, pending, databases.SUPERUSER_PASSWORD]
        for text in (run["Output"], run.get("Error") or "", failed["Output"], failed["Error"]):
            for needle in needles:
                self.assertNotIn(needle, text)
        self.assert_nowhere(needles)


class RedisTlsTests(unittest.TestCase):
    """"ssl": true: the rotator talks TLS and checks the certificate against the secret's host. The server of its own
    trusts the test CA through SSL_CERT_FILE (which .NET on Linux honours), as an operator would add a CA."""

    @classmethod
    def setUpClass(cls):
        cls.redis = databases.Redis(tls=True)
        start_own_server(cls, {"SSL_CERT_FILE": cls.redis.ca_file})

    @classmethod
    def tearDownClass(cls):
        stop_own_server(cls)
        cls.redis.destroy()

    rotate = RedisRotationLeakTests.rotate

    def redis_secret(self, **changes):
        master = dict(self.redis.master_secret(), host="localhost", ssl=True)
        master_arn = self.sm.create_secret(Name=f"tls/master-{uuid.uuid4().hex[:8]}", SecretString=json.dumps(master))["ARN"]
        user, password = "tls" + uuid.uuid4().hex[:6], "Init-" + uuid.uuid4().hex
        self.redis.create_user(user, password)
        value = {"engine": "redis", "host": "localhost", "port": self.redis.port, "username": user, "password": password, "ssl": True, "masterarn": master_arn}
        value.update(changes)
        return value

    def test_ssl_true_rotates_over_tls_with_the_certificate_checked(self):
        before = self.redis_secret()
        arn, version, run = self.rotate(SINGLE, before)
        self.assertEqual(run["Outcome"], "Succeeded", run)
        after = json.loads(self.sm.get_secret_value(SecretId=arn)["SecretString"])
        self.assertIs(after["ssl"], True)
        self.assertTrue(self.redis.login(after["username"], after["password"])[0])
        self.assertFalse(self.redis.login(before["username"], before["password"])[0])

    def test_a_name_the_certificate_does_not_hold_or_no_tls_fails_the_run(self):
        # A host the certificate does not name fails the admin's login in setSecret. A user secret without TLS (the
        # admin's has it) gets its new password set, and then cannot log in: testSecret fails, AWSCURRENT stays.
        for changes, step in (({"host": "127.0.0.1"}, "setSecret"), ({"ssl": False}, "testSecret"), ({"ssl": None}, "testSecret")):
            with self.subTest(changes=changes):
                before = self.redis_secret(**changes)
                if changes.get("host"):
                    master = dict(self.redis.master_secret(), host="127.0.0.1", ssl=True)
                    before["masterarn"] = self.sm.create_secret(Name=f"tls/master-{uuid.uuid4().hex[:8]}", SecretString=json.dumps(master))["ARN"]
                arn, version, run = self.rotate(SINGLE, {k: v for k, v in before.items() if v is not None})
                self.assertEqual((run["Outcome"], run["StepReached"]), ("Failed", step), run)
                self.assertIn("could not log in to Redis" if step == "testSecret" else "Unable to log into Redis", run["Error"])
                self.assertEqual(json.loads(self.sm.get_secret_value(SecretId=arn)["SecretString"])["password"], before["password"])
                self.assertTrue(self.redis.login(before["username"], before["password"])[0])
                self.sm.cancel_rotate_secret(SecretId=arn)


if __name__ == "__main__":
    unittest.main()
