"""The operator's own answers agree with the server's (issue #26, items 2 and 4), through the AWS CLI v1 and v2 and
`strongroom explain`:

- `strongroom explain --endpoint-url` (Strongroom.ExplainAccess) resolves the resource as the operation does (a name, a
  partial ARN, a full ARN: the same answer as the real GetSecretValue), names an unknown action, and for an implicit
  deny names the closest statement and the context keys the request lacked; the admin or an explicit
  strongroom:ExplainAccess may ask, nobody else.
- LookupEvents by ResourceName takes a secret's name or partial ARN, and a denied or failed call records the secret
  it asked for, so a lookup by resource shows who tried.
"""

import json
import os
import subprocess

from helpers import REGION, IAMTestCase, allow, endpoint, policy_json, run_cli

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))
STRONGROOM_DLL = os.path.join(ROOT, "src", "Strongroom", "bin", "Release", "net10.0", "strongroom.dll")


def explain(creds, *args):
    """`strongroom explain … --endpoint-url` as `creds` (AwsCredentials or (key, secret)); returns (exit status, stdout, stderr)."""
    key, secret = (creds.access_key_id, creds.secret_access_key) if hasattr(creds, "access_key_id") else creds
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID=key, AWS_SECRET_ACCESS_KEY=secret, AWS_REGION=REGION, AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null")
    done = subprocess.run(["dotnet", STRONGROOM_DLL, "explain", *args, "--endpoint-url", endpoint()], capture_output=True, text=True, env=env, timeout=120)
    return done.returncode, done.stdout, done.stderr


class OperatorToolsCliMixin:
    VERSION = None

    def cli(self, *args, creds=None):
        path = None
        if creds is not None:
            path = self.credentials_file({"default": creds})
        return run_cli(self.VERSION, *args, credentials_file=path)

    def setUp(self):
        super().setUp()
        self.secret = self.create("prod/db/app", SecretString='{"password": "p"}')
        self.other = self.create("prod/db/app-admin", SecretString='{"password": "q"}')
        pattern = self.secret["ARN"][:-7] + "-??????"
        self.app = self.new_principal("app", allow(["secretsmanager:GetSecretValue"], pattern))

    def test_explain_resolves_the_resource_as_the_call_does(self):
        arn = self.secret["ARN"]
        for resource in (self.secret["Name"], arn[:-7], arn):
            with self.subTest(resource=resource):
                read = self.cli("secretsmanager", "get-secret-value", "--secret-id", resource, creds=self.app)
                self.assertEqual(read.returncode, 0, read.describe())
                status, out, err = explain(("test", "test"), "--user", self.app.name, "--action", "secretsmanager:GetSecretValue", "--resource", resource)
                self.assertEqual(status, 0, out + err)
                self.assertTrue(out.startswith("ALLOW"), out)
                self.assertIn(arn, out)
        for resource in (self.other["Name"], self.other["ARN"]):
            with self.subTest(resource=resource):
                read = self.cli("secretsmanager", "get-secret-value", "--secret-id", resource, creds=self.app)
                self.assertEqual(read.error[0], "AccessDeniedException", read.describe())
                status, out, err = explain(("test", "test"), "--user", self.app.name, "--action", "secretsmanager:GetSecretValue", "--resource", resource)
                self.assertEqual(status, 1, out + err)
                self.assertTrue(out.startswith("DENY (implicit)"), out)
                # The closest statement is named, with what it lacked: its Resource.
                self.assertIn("Closest: statement #1 of user/%s inline policy inline: its Resource" % self.app.name, out)

    def test_explain_names_an_unknown_action(self):
        status, out, _ = explain(("test", "test"), "--user", self.app.name, "--action", "secretsmanager:GetSecretVaule", "--resource", self.secret["Name"])
        self.assertEqual(status, 2, out)
        self.assertIn("UNKNOWN ACTION", out)
        self.assertIn("did you mean secretsmanager:GetSecretValue?", out)
        status, out, _ = explain(("test", "test"), "--user", self.app.name, "--action", "secretmanager:GetSecretValue", "--resource", self.secret["Name"])
        self.assertEqual(status, 2, out)
        self.assertIn("no service Strongroom serves", out)

    def test_explain_names_the_missing_context_key(self):
        tagged = self.new_principal("tagged", allow(["secretsmanager:GetSecretValue"], "*", condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}))
        status, out, _ = explain(("test", "test"), "--user", tagged.name, "--action", "secretsmanager:GetSecretValue", "--resource", self.secret["Name"])
        self.assertEqual(status, 1, out)
        self.assertIn("the request has no aws:SourceIp", out)
        status, out, _ = explain(("test", "test"), "--user", tagged.name, "--action", "secretsmanager:GetSecretValue", "--resource", self.secret["Name"],
                                 "--context", "aws:SourceIp=10.1.2.3")
        self.assertEqual(status, 0, out)

    def test_explain_needs_the_admin_or_an_explicit_permission(self):
        status, _, err = explain(self.app, "--user", self.app.name, "--action", "secretsmanager:GetSecretValue", "--resource", self.secret["Name"])
        self.assertEqual(status, 254, err)
        self.assertIn("An error occurred (AccessDeniedException) when calling the ExplainAccess operation", err)
        auditor = self.new_principal("auditor", allow(["strongroom:ExplainAccess"]))
        status, out, err = explain(auditor, "--user", self.app.name, "--action", "secretsmanager:GetSecretValue", "--resource", self.secret["Name"])
        self.assertEqual(status, 0, out + err)
        denied = self.new_principal("denied", allow(["strongroom:*"]), {"Effect": "Deny", "Action": "strongroom:ExplainAccess", "Resource": "*"})
        status, _, err = explain(denied, "--user", self.app.name, "--action", "secretsmanager:GetSecretValue", "--resource", self.secret["Name"])
        self.assertEqual(status, 254, err)

    def lookup(self, value):
        result = self.cli("cloudtrail", "lookup-events", "--lookup-attributes", f"AttributeKey=ResourceName,AttributeValue={value}", "--max-results", "50")
        self.assertEqual(result.returncode, 0, result.describe())
        return [json.loads(e["CloudTrailEvent"]) for e in result.json["Events"]]

    def test_lookup_by_name_or_partial_arn_shows_reads_and_who_tried(self):
        arn = self.secret["ARN"]
        ok = self.cli("secretsmanager", "get-secret-value", "--secret-id", self.secret["Name"])
        self.assertEqual(ok.returncode, 0, ok.describe())
        intruder = self.new_principal("intruder")
        for secret_id in (self.secret["Name"], arn[:-7], arn):
            denied = self.cli("secretsmanager", "get-secret-value", "--secret-id", secret_id, creds=intruder)
            self.assertEqual(denied.error[0], "AccessDeniedException", denied.describe())
        by_arn = self.lookup(arn)
        for value in (self.secret["Name"], arn[:-7], arn):
            with self.subTest(value=value):
                records = self.lookup(value)
                self.assertEqual(sorted(r["eventID"] for r in records), sorted(r["eventID"] for r in by_arn))
                reads = [r for r in records if r["eventName"] == "GetSecretValue"]
                tried = [r for r in reads if r.get("errorCode") == "AccessDeniedException"]
                self.assertEqual(len(tried), 3, reads)
                self.assertTrue(all(r["userIdentity"]["arn"] == intruder.arn for r in tried), tried)
                self.assertTrue(any(r["userIdentity"]["arn"].endswith(":user/admin") and "errorCode" not in r for r in reads), reads)
        # The other secret's name is a prefix of nothing here: its records stay out.
        self.assertFalse([r for r in self.lookup(self.secret["Name"]) if self.other["ARN"] in json.dumps(r.get("resources", []))])

    def test_lookup_by_name_of_a_missing_secret_shows_who_tried(self):
        missing = self.name("prod/db/missing")
        failed = self.cli("secretsmanager", "get-secret-value", "--secret-id", missing)
        self.assertEqual(failed.error[0], "ResourceNotFoundException", failed.describe())
        records = self.lookup(missing)
        self.assertEqual([r["errorCode"] for r in records], ["ResourceNotFoundException"])


class OperatorToolsCliV1Tests(OperatorToolsCliMixin, IAMTestCase):
    VERSION = 1


class OperatorToolsCliV2Tests(OperatorToolsCliMixin, IAMTestCase):
    VERSION = 2
