"""The AWS CLI, v1 (`python -m awscli`) and v2 (Debian's /usr/bin/aws 2.9.19), as referees.

Each CLI call costs a process start (~1 s), so setup is done with boto3 and only the command
under test goes through the CLI; independent CLI calls run concurrently.
"""

import base64
import concurrent.futures
import datetime
import json
import subprocess
import unittest

from helpers import (
    CLI_ERROR_EXIT,
    NOT_FOUND_MESSAGE,
    MARKED_FOR_DELETION_MESSAGE,
    SMTestCase,
    cli_command,
    cli_env,
    run_cli,
    temp_file,
    unique_name,
    utcnow,
)


def parse_iso(value):
    """A CLI timestamp: v2 prints ISO-8601; v1 (cli_timestamp_format=none) prints the wire epoch number."""
    if isinstance(value, (int, float)):
        return datetime.datetime.fromtimestamp(value, datetime.timezone.utc)
    return datetime.datetime.fromisoformat(value)


class CliMixin:
    VERSION = None  # 1 or 2

    def aws(self, *args, **kwargs):
        return run_cli(self.VERSION, "secretsmanager", *args, **kwargs)

    def ok(self, *args, **kwargs):
        result = self.aws(*args, **kwargs)
        self.assertEqual(result.returncode, 0, result.describe())
        return result.json

    def parallel(self, *arg_lists):
        with concurrent.futures.ThreadPoolExecutor(max_workers=len(arg_lists)) as pool:
            return list(pool.map(lambda a: self.aws(*a), arg_lists))

    def assertCliError(self, result, code, operation, message=None):
        self.assertIn(result.returncode, CLI_ERROR_EXIT[self.VERSION], result.describe())
        parsed = result.error
        self.assertIsNotNone(parsed, "no 'An error occurred (...)' line:\n" + result.describe())
        self.assertEqual(parsed[0], code, result.describe())
        self.assertEqual(parsed[1], operation)
        if message is not None:
            self.assertEqual(parsed[2], message)

    # -- commands

    def test_cli_version(self):
        proc = subprocess.run(cli_command(self.VERSION) + ["--version"], env=cli_env(self.VERSION),
                              capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
        out = (proc.stdout + proc.stderr).strip()
        self.assertEqual(proc.returncode, 0, out)
        self.assertTrue(out.startswith("aws-cli/%d." % self.VERSION), "unexpected CLI: %r" % out)

    def test_create_get_put_describe_and_versions(self):
        name = self.name("cli/db")
        created = self.ok(
            "create-secret", "--name", name, "--secret-string", '{"user":"a","pass":"b"}',
            "--description", "made by the CLI", "--tags", json.dumps([{"Key": "env", "Value": "cli"}]),
        )
        self.addCleanup(lambda: self.client.delete_secret(SecretId=created["ARN"], ForceDeleteWithoutRecovery=True))
        self.assertArn(created["ARN"], name=name)
        self.assertEqual(created["Name"], name)
        v1 = created["VersionId"]

        got = self.ok("get-secret-value", "--secret-id", name)
        self.assertEqual(json.loads(got["SecretString"]), {"user": "a", "pass": "b"})
        self.assertEqual(got["VersionStages"], ["AWSCURRENT"])
        self.assertEqual(got["VersionId"], v1)
        created_date = parse_iso(got["CreatedDate"])
        self.assertRecent(created_date, what="CLI CreatedDate")

        put = self.ok("put-secret-value", "--secret-id", created["ARN"], "--secret-string", "second")
        v2 = put["VersionId"]
        self.assertEqual(put["VersionStages"], ["AWSCURRENT"])

        prev, desc, versions = self.parallel(
            ("get-secret-value", "--secret-id", name, "--version-stage", "AWSPREVIOUS"),
            ("describe-secret", "--secret-id", name),
            ("list-secret-version-ids", "--secret-id", name),
        )
        for r in (prev, desc, versions):
            self.assertEqual(r.returncode, 0, r.describe())
        self.assertEqual(prev.json["VersionId"], v1)
        self.assertEqual(json.loads(prev.json["SecretString"])["user"], "a")
        d = desc.json
        self.assertEqual(d["Description"], "made by the CLI")
        self.assertEqual(d["Tags"], [{"Key": "env", "Value": "cli"}])
        self.assertEqual(
            {k: sorted(v) for k, v in d["VersionIdsToStages"].items()}, {v1: ["AWSPREVIOUS"], v2: ["AWSCURRENT"]}
        )
        self.assertRecent(parse_iso(d["CreatedDate"]), what="CLI describe CreatedDate")
        self.assertRecent(parse_iso(d["LastChangedDate"]), what="CLI describe LastChangedDate")
        self.assertEqual(
            {v["VersionId"]: v["VersionStages"] for v in versions.json["Versions"]},
            {v1: ["AWSPREVIOUS"], v2: ["AWSCURRENT"]},
        )

    def test_update_secret_version_stage(self):
        created = self.create(SecretString="one")
        v1 = created["VersionId"]
        v2 = self.client.put_secret_value(SecretId=created["ARN"], SecretString="two")["VersionId"]
        out = self.ok(
            "update-secret-version-stage", "--secret-id", created["Name"], "--version-stage", "AWSCURRENT",
            "--move-to-version-id", v1, "--remove-from-version-id", v2,
        )
        self.assertEqual(out["ARN"], created["ARN"])
        self.assertEqual(self.versions_to_stages(created["ARN"]), {v1: ["AWSCURRENT"], v2: ["AWSPREVIOUS"]})

    def test_list_secrets_with_filter_auto_paginates(self):
        names = sorted(self.create("s%d" % i, SecretString="v")["Name"] for i in range(3))
        out = self.ok(
            "list-secrets", "--filters", json.dumps([{"Key": "name", "Values": [self.prefix]}]), "--page-size", "1",
        )
        self.assertEqual(sorted(s["Name"] for s in out["SecretList"]), names)
        for entry in out["SecretList"]:
            self.assertNotIn("SecretString", entry)
            self.assertTrue(entry["SecretVersionsToStages"])

    def test_tag_resource(self):
        created = self.create(SecretString="v")
        result = self.aws(
            "tag-resource", "--secret-id", created["ARN"],
            "--tags", json.dumps([{"Key": "team", "Value": "core"}, {"Key": "env", "Value": "cli"}]),
        )
        self.assertEqual(result.returncode, 0, result.describe())
        self.assertEqual(result.stdout.strip(), "")
        tags = {t["Key"]: t["Value"] for t in self.client.describe_secret(SecretId=created["ARN"])["Tags"]}
        self.assertEqual(tags, {"team": "core", "env": "cli"})

    def test_delete_and_restore(self):
        created = self.create(SecretString="v")
        now = utcnow()
        out = self.ok("delete-secret", "--secret-id", created["Name"], "--recovery-window-in-days", "7")
        self.assertEqual(out["ARN"], created["ARN"])
        self.assertClose(parse_iso(out["DeletionDate"]), now + datetime.timedelta(days=7), what="DeletionDate")
        blocked, listed = self.parallel(
            ("get-secret-value", "--secret-id", created["Name"]),
            ("list-secrets", "--include-planned-deletion",
             "--filters", json.dumps([{"Key": "name", "Values": [self.prefix]}])),
        )
        self.assertCliError(blocked, "InvalidRequestException", "GetSecretValue", MARKED_FOR_DELETION_MESSAGE)
        self.assertEqual(listed.returncode, 0, listed.describe())
        self.assertEqual([s["Name"] for s in listed.json["SecretList"]], [created["Name"]])
        self.assertIn("DeletedDate", listed.json["SecretList"][0])
        restored = self.ok("restore-secret", "--secret-id", created["ARN"])
        self.assertEqual(restored["Name"], created["Name"])
        self.assertEqual(self.client.get_secret_value(SecretId=created["ARN"])["SecretString"], "v")

    def test_force_delete(self):
        created = self.create(SecretString="v")
        out = self.ok("delete-secret", "--secret-id", created["ARN"], "--force-delete-without-recovery")
        self.assertEqual(out["Name"], created["Name"])
        self.assertNotFound(self.client.describe_secret, SecretId=created["ARN"])

    def test_get_random_password(self):
        out = self.ok("get-random-password", "--password-length", "20", "--exclude-punctuation")
        pw = out["RandomPassword"]
        self.assertEqual(len(pw), 20)
        self.assertTrue(pw.isalnum() and pw.isascii(), pw)

    def test_secret_binary_from_file_round_trips(self):
        data = bytes(range(256)) + b"\x00\xff" * 10
        name = self.name("cli/bin")
        with temp_file(data) as path:
            created = self.ok("create-secret", "--name", name, "--secret-binary", "fileb://" + path)
        self.addCleanup(lambda: self.client.delete_secret(SecretId=created["ARN"], ForceDeleteWithoutRecovery=True))
        self.assertEqual(self.client.get_secret_value(SecretId=name)["SecretBinary"], data)
        got = self.ok("get-secret-value", "--secret-id", name)
        self.assertNotIn("SecretString", got)
        self.assertEqual(base64.b64decode(got["SecretBinary"]), data)

    def test_errors_exit_status_and_message(self):
        existing = self.create(SecretString="v")
        missing, duplicate, bad_window = self.parallel(
            ("get-secret-value", "--secret-id", unique_name("missing")),
            ("create-secret", "--name", existing["Name"], "--secret-string", "again"),
            ("delete-secret", "--secret-id", existing["ARN"], "--recovery-window-in-days", "3"),
        )
        self.assertCliError(missing, "ResourceNotFoundException", "GetSecretValue", NOT_FOUND_MESSAGE)
        self.assertCliError(
            duplicate, "ResourceExistsException", "CreateSecret",
            "The operation failed because the secret %s already exists." % existing["Name"],
        )
        self.assertCliError(bad_window, "InvalidParameterException", "DeleteSecret")
        self.assertEqual(missing.stdout.strip(), "")
        self.assertEqual(self.client.get_secret_value(SecretId=existing["ARN"])["SecretString"], "v")


class CliV1Tests(CliMixin, SMTestCase):
    VERSION = 1

    def test_batch_get_secret_value(self):
        a = self.create("a", SecretString="value-a")
        missing = unique_name("missing")
        out = self.ok("batch-get-secret-value", "--secret-id-list", a["Name"], missing)
        self.assertEqual([(v["Name"], v["SecretString"]) for v in out["SecretValues"]], [(a["Name"], "value-a")])
        self.assertEqual([(e["SecretId"], e["ErrorCode"]) for e in out["Errors"]],
                         [(missing, "ResourceNotFoundException")])


class CliV2Tests(CliMixin, SMTestCase):
    VERSION = 2

if __name__ == "__main__":
    unittest.main()
