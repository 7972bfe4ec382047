"""Rotation health at /metrics and in `strongroom rotation status`, and the alert rules over a real scrape (issue #22).

A server of its own runs two secrets' rotations: one with a function that succeeds, one with a function that
always fails (retried every 2 s). `strongroom rotation status` shows each one's last success, next due date
and consecutive failures; /metrics gives the failing one — only that one — a per-secret series; and every
rule of docs/operations/alerts.yml, evaluated by `promtool test rules` over the scraped series, selects the
failing secret for StrongroomRotationFailing and nothing for the conditions this server is not in.
"""

import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest
import urllib.request

import boto3

import databases
from test_rotation_access import FUNCTION_PYTHON, FUNCTIONS, AwsCredentials, call, wait_for

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
DLL = os.path.join(ROOT, "src", "Strongroom", "bin", "Release", "net10.0", "strongroom.dll")
RULES = os.path.join(ROOT, "docs", "operations", "alerts.yml")
REGION = "us-east-1"
ADMIN = AwsCredentials("test", "test")


def scrape(url):
    with urllib.request.urlopen(url + "/metrics", timeout=10) as answer:
        return answer.read().decode()


def samples(text):
    """(name, labels dict, value) of every sample in a Prometheus text exposition."""
    found = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$', line)
        if m:
            labels = dict(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', m.group(3) or ""))
            found.append((m.group(1), labels, float(m.group(4))))
    return found


class RotationHealthTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.log = tempfile.NamedTemporaryFile(prefix="strongroom-health-", suffix=".log", delete=False)
        cls.port = databases.free_port()
        cls.url = f"http://127.0.0.1:{cls.port}"
        cls.server = subprocess.Popen(["dotnet", DLL, "server", "--dev", "--listen", f"127.0.0.1:{cls.port}", "--rotation-interval", "1s",
                                       "--rotation-retry-base", "2s"], stdout=cls.log, stderr=subprocess.STDOUT)

        def ready():
            try:
                with urllib.request.urlopen(cls.url + "/health/ready", timeout=2) as answer:
                    return answer.status == 200
            except OSError:
                return cls.server.poll() is not None

        wait_for(ready, "the server to become ready", timeout=90)
        assert cls.server.poll() is None, open(cls.log.name).read()[-3000:]
        cls.sm = boto3.client("secretsmanager", endpoint_url=cls.url, region_name=REGION, aws_access_key_id="test", aws_secret_access_key="test")

    @classmethod
    def tearDownClass(cls):
        if cls.server.poll() is None:
            cls.server.terminate()
            cls.server.wait(30)
        os.unlink(cls.log.name)

    def function(self, name, command):
        status, answer = call(ADMIN, "CreateRotationFunction", {"Name": name, "Command": command, "TimeoutSeconds": 60,
                                                                "Environment": {"PYTHONPATH": FUNCTIONS}}, self.url)
        self.assertEqual(status, 200, answer)
        return answer["Function"]["Arn"]

    def status(self, arn):
        env = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_REGION=REGION)
        shown = subprocess.run(["dotnet", DLL, "rotation", "status", "--endpoint-url", self.url, "--secret-id", arn, "--output", "json"],
                               capture_output=True, text=True, timeout=120, env=env)
        self.assertEqual(shown.returncode, 0, shown.stderr)
        (entry,) = json.loads(shown.stdout)["Secrets"]
        # By default a person gets a table: one header, one row naming the secret, ISO-8601 times.
        table = subprocess.run(["dotnet", DLL, "rotation", "status", "--endpoint-url", self.url, "--secret-id", arn],
                               capture_output=True, text=True, timeout=120, env=env)
        self.assertEqual(table.returncode, 0, table.stderr)
        header, row = table.stdout.splitlines()[:2]
        self.assertTrue(header.startswith("SECRET") and "FAILURES IN A ROW" in header, table.stdout)
        self.assertIn(arn.split(":")[-1][:-7], row)
        if entry.get("LastSuccessDate") is not None:
            self.assertRegex(row, r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")
        return entry

    def test_a_failing_rotation_is_in_status_metrics_and_fires_its_alert(self):
        good = self.function("health-ok", f"{FUNCTION_PYTHON} -c 'import chatty; chatty.main()'")
        bad = self.function("health-fails", "echo 'cannot reach the database' >&2; exit 1")
        healthy = self.sm.create_secret(Name="health/ok", SecretString=json.dumps({"username": "app", "password": "ok-password-1"}))["ARN"]
        failing = self.sm.create_secret(Name="health/fails", SecretString=json.dumps({"username": "app", "password": "bad-password-1"}))["ARN"]
        self.sm.rotate_secret(SecretId=healthy, RotationLambdaARN=good, RotationRules={"AutomaticallyAfterDays": 30})
        self.sm.rotate_secret(SecretId=failing, RotationLambdaARN=bad, RotationRules={"AutomaticallyAfterDays": 30})

        ok = wait_for(lambda: (lambda s: s if s.get("LastSuccessDate") else None)(self.status(healthy)), "the good rotation to succeed", timeout=240)
        self.assertEqual((ok["ConsecutiveFailures"], ok["Overdue"], ok["NeverRan"], ok["LastOutcome"]), (0, False, False, "Succeeded"))
        self.assertIn("NextDueDate", ok)
        bad_status = wait_for(lambda: (lambda s: s if s["ConsecutiveFailures"] >= 2 else None)(self.status(failing)), "two failed runs", timeout=240)
        self.assertNotIn("LastSuccessDate", bad_status)
        self.assertIn("status 1", bad_status["LastError"])

        # /metrics: totals, and a series of its own only for the failing secret.
        def failing_series():
            found = samples(scrape(self.url))
            return found if any(n == "strongroom_rotation_secret_consecutive_failures" and l.get("secret_arn") == failing for n, l, _ in found) else None

        scraped = wait_for(failing_series, "the failing secret's series", timeout=60)
        by_name = {}
        for name, labels, value in scraped:
            by_name.setdefault(name, []).append((labels, value))
        self.assertEqual([l["secret_arn"] for l, _ in by_name["strongroom_rotation_secret_consecutive_failures"]], [failing])
        self.assertEqual(by_name["strongroom_rotation_enabled_secrets"], [({}, 2.0)])
        self.assertIn(({"condition": "failing"}, 1.0), by_name["strongroom_rotation_unhealthy_secrets"])
        self.assertFalse(any(healthy in json.dumps(v) for v in by_name.values()), "a healthy secret has no series of its own")
        for name, value in [("strongroom_store_up", 1.0), ("strongroom_audit_writer_up", 1.0), ("strongroom_sealed", 0.0), ("strongroom_rotation_series_omitted", 0.0)]:
            self.assertEqual(by_name[name], [({}, value)], name)
        self.assertIn("strongroom_audit_failures_total", by_name)

        # Every rule's expression over the scraped series, held for 20 minutes, with promtool.
        self.assert_rules(scraped, failing, by_name["strongroom_rotation_secret_consecutive_failures"][0][1])

    def assert_rules(self, scraped, failing, failures):
        # Each rule is `- alert: NAME` followed by a one-line `expr:` (kept so in alerts.yml).
        rules = dict(re.findall(r"- alert: (\S+)\n\s+expr: (.+)\n", open(RULES).read()))
        self.assertEqual(sorted(rules), sorted(["StrongroomRotationFailing", "StrongroomRotationOverdue", "StrongroomRotationNeverRan",
                                                "StrongroomRotationUnhealthyUnlisted", "StrongroomAuditWriterFailing", "StrongroomStoreUnavailable",
                                                "StrongroomSealed", "StrongroomEventsDeadLettered"]))
        series = []
        for name, labels, value in scraped:
            if name.startswith("strongroom_") and not name.endswith(("_bucket", "_sum", "_count")):
                text = ", ".join(f'{k}="{v}"' for k, v in sorted({**labels, "instance": "real"}.items()))
                series.append({"series": f"{name}{{{text}}}", "values": f"{value:g}x20"})
        selected = {
            "StrongroomRotationFailing": [{"labels": f'strongroom_rotation_secret_consecutive_failures{{instance="real", secret_arn="{failing}"}}', "value": failures}],
        }
        test = {"rule_files": [RULES], "evaluation_interval": "1m", "tests": [{
            "interval": "1m", "input_series": series,
            "promql_expr_test": [{"expr": expr, "eval_time": "15m", "exp_samples": selected.get(alert, [])} for alert, expr in rules.items()],
        }]}
        folder = tempfile.mkdtemp(prefix="strongroom-rules-")
        self.addCleanup(shutil.rmtree, folder, True)
        path = os.path.join(folder, "scraped.test.yml")
        with open(path, "w") as f:
            json.dump(test, f)  # JSON is YAML
        result = subprocess.run(["promtool", "test", "rules", path], capture_output=True, text=True, timeout=120)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
