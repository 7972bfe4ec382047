"""What a rotation function says is kept with its run, and never a secret with it (issue #22).

A server of its own, on a data directory, runs a command function (functions/chatty.py) that prints
the password it sets — and the whole pending secret, and its own secret access key — on every step.
ListRotationRuns and `strongroom rotation runs` show each step's output with all of that masked; the
password appears nowhere in the data directory (the SQLite store and the audit trail), the server's
log, or the audit trail as CloudTrail LookupEvents gives it.
"""

import configparser
import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest
import urllib.request

import boto3

import databases
from test_rotation_access import FUNCTION_PYTHON, FUNCTIONS, AwsCredentials, call, wait_for

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
DLL = os.path.join(ROOT, "src", "Strongroom", "bin", "Release", "net10.0", "strongroom.dll")
REGION = "us-east-1"
MASK = "********"


class RotationOutputTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.data = tempfile.mkdtemp(prefix="strongroom-output-")
        cls.log_path = os.path.join(tempfile.mkdtemp(prefix="strongroom-output-log-"), "server.log")
        cls.port = databases.free_port()
        cls.url = f"http://127.0.0.1:{cls.port}"
        cls.log = open(cls.log_path, "wb")
        cls.server = subprocess.Popen(["dotnet", DLL, "server", "--data-dir", cls.data, "--listen", f"127.0.0.1:{cls.port}"],
                                      stdout=cls.log, stderr=subprocess.STDOUT)

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
        cls.admin = AwsCredentials(credentials["default"]["aws_access_key_id"], credentials["default"]["aws_secret_access_key"])
        cls.sm = boto3.client("secretsmanager", endpoint_url=cls.url, region_name=REGION,
                              aws_access_key_id=cls.admin.access_key_id, aws_secret_access_key=cls.admin.secret_access_key)

    @classmethod
    def tearDownClass(cls):
        if cls.server.poll() is None:
            cls.server.terminate()
            cls.server.wait(30)
        cls.log.close()
        shutil.rmtree(cls.data, ignore_errors=True)
        shutil.rmtree(os.path.dirname(cls.log_path), ignore_errors=True)

    def admin_call(self, operation, body):
        status, answer = call(self.admin, operation, body, self.url)
        self.assertEqual(status, 200, f"{operation}: {answer}")
        return answer

    def function(self, name, **environment):
        command = f"{FUNCTION_PYTHON} -c 'import chatty; chatty.main()'"
        return self.admin_call("CreateRotationFunction", {"Name": name, "Command": command, "TimeoutSeconds": 60,
                                                          "Environment": {"PYTHONPATH": FUNCTIONS, **environment}})["Function"]["Arn"]

    def rotate(self, name, function_arn):
        arn = self.sm.create_secret(Name=name, SecretString=json.dumps({"username": "app", "password": "first-password-0123"}))["ARN"]
        version = self.sm.rotate_secret(SecretId=arn, RotationLambdaARN=function_arn, RotationRules={"AutomaticallyAfterDays": 30})["VersionId"]
        run = wait_for(lambda: next((r for r in self.admin_call("ListRotationRuns", {"SecretId": arn})["Runs"]
                                     if r["VersionId"] == version and r["Outcome"] != "Running"), None), "the run to end")
        return arn, version, run

    def assert_nowhere(self, needles):
        """None of the needles in the data directory's files (store, WAL, audit trail), the server log, or LookupEvents."""
        events = boto3.client("cloudtrail", endpoint_url=self.url, region_name=REGION, aws_access_key_id=self.admin.access_key_id,
                              aws_secret_access_key=self.admin.secret_access_key).lookup_events(MaxResults=50)["Events"]
        self.assertTrue(any(e["EventName"] in ("RotationSucceeded", "RotationFailed") for e in events), [e["EventName"] for e in events])
        trail = json.dumps(events, default=str)
        self.log.flush()
        places = {"server log": open(self.log_path, "rb").read(), "LookupEvents": trail.encode()}
        for folder, _, files in os.walk(self.data):
            for file in files:
                path = os.path.join(folder, file)
                with open(path, "rb") as f:
                    places[os.path.relpath(path, self.data)] = f.read()
        self.assertTrue(any(name.endswith((".db", ".sqlite", "-wal")) or "audit" in name for name in places), sorted(places))
        for needle in needles:
            for place, content in places.items():
                self.assertNotIn(needle.encode(), content, f"{needle[:4]}… found in {place}")

    def test_a_function_that_prints_the_new_password_leaves_only_the_mask(self):
        arn, version, run = self.rotate("chatty/succeeds", self.function("chatty-ok"))
        self.assertEqual(run["Outcome"], "Succeeded", run)
        current = self.sm.get_secret_value(SecretId=arn)
        self.assertEqual(current["VersionId"], version)
        password = json.loads(current["SecretString"])["password"]
        output = run["Output"]
        for step in ("createSecret", "setSecret", "testSecret", "finishSecret"):
            self.assertIn(f"[{step} stdout]\n{step}: the new password is {MASK}\n", output)
            self.assertIn(f"[{step} stderr]\n{step}: pending secret {MASK}\n", output)
            self.assertIn(f"{step}: my secret key is {MASK}\n", output)
        self.assertNotIn(password, output)
        self.assertNotIn("first-password-0123", output)

        # The operator command shows the same.
        env = dict(os.environ, AWS_SHARED_CREDENTIALS_FILE=os.path.join(self.data, "admin.credentials"), AWS_REGION=REGION)
        shown = subprocess.run(["dotnet", DLL, "rotation", "runs", "--endpoint-url", self.url, "--secret-id", arn, "--output", "json"],
                               capture_output=True, text=True, timeout=120, env=env)
        self.assertEqual(shown.returncode, 0, shown.stderr)
        self.assertIn(f"the new password is {MASK}", json.loads(shown.stdout)["Runs"][0]["Output"])
        self.assertNotIn(password, shown.stdout + shown.stderr)
        self.assert_nowhere([password, current["SecretString"]])

    def test_a_failing_step_keeps_its_output_masked_and_the_pending_password_too(self):
        arn, version, run = self.rotate("chatty/fails", self.function("chatty-fails", CHATTY_FAIL_STEP="testSecret"))
        self.assertEqual((run["Outcome"], run["StepReached"]), ("Failed", "testSecret"), run)
        self.assertIn("status 1", run["Error"])
        pending = self.sm.get_secret_value(SecretId=arn, VersionId=version, VersionStage="AWSPENDING")["SecretString"]
        password = json.loads(pending)["password"]
        self.assertIn(f"[testSecret stdout]\ntestSecret: the new password is {MASK}\n", run["Output"])
        self.assertIn("testSecret: giving up", run["Output"])
        self.assertNotIn("finishSecret", run["Output"])
        self.assertNotIn(password, run["Output"])
        # AWSCURRENT is untouched and its value still works.
        self.assertEqual(json.loads(self.sm.get_secret_value(SecretId=arn)["SecretString"])["password"], "first-password-0123")
        self.assert_nowhere([password, pending])
