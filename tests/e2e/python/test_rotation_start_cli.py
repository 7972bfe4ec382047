"""RotateSecret refuses, at the call, a rotation that could not run (issue #26, item 1), through AWS CLI v1 and v2:

- a RotationLambdaARN that names no registered or built-in function (the literal `ACCOUNT` copied from the docs,
  another account, a misspelled built-in) answers AWS's AccessDeniedException and changes nothing;
- RotateSecret while a run of the secret is still going answers InvalidRequestException instead of being dropped.
"""

from helpers import REGION, ServiceCliMixin
from test_rotation_access import RotationAccessTestCase, wait_for

CANNOT_INVOKE = ("Secrets Manager cannot invoke the specified Lambda function. "
                 "Ensure that the function policy grants access to the principal secretsmanager.amazonaws.com.")
NOT_COMPLETE = "A previous rotation isn't complete. That rotation will be reattempted."


class RotationStartCliMixin:
    VERSION = None
    SERVICE = "secretsmanager"

    def aws(self, *args, **kwargs):
        return ServiceCliMixin.aws(self, *args, **kwargs)

    def cli_ok(self, *args):
        result = self.aws(*args)
        self.assertEqual(result.returncode, 0, result.describe())
        return result.json

    def assertCliError(self, result, code, operation, message=None):
        ServiceCliMixin.assertCliError(self, result, code, operation, message)

    def test_unknown_function_fails_the_call_and_changes_nothing(self):
        secret = self.create("db/app", SecretString='{"engine":"postgres"}')
        builtin = self.function_arn("strongroom-postgresql-single-user")
        for arn in (builtin.replace(self.account, "ACCOUNT"),
                    builtin.replace(self.account, "123456789012" if self.account != "123456789012" else "210987654321"),
                    builtin.replace(REGION, "eu-west-3"),
                    builtin + "x",
                    self.function_arn(self.fname("never-registered"))):
            with self.subTest(arn=arn):
                result = self.aws("rotate-secret", "--secret-id", secret["Name"], "--rotation-lambda-arn", arn,
                                  "--rotation-rules", '{"AutomaticallyAfterDays": 7}')
                self.assertCliError(result, "AccessDeniedException", "RotateSecret", CANNOT_INVOKE)
        described = self.cli_ok("describe-secret", "--secret-id", secret["ARN"])
        self.assertNotIn("RotationLambdaARN", described)
        self.assertFalse(described.get("RotationEnabled", False))
        self.assertEqual(list(described["VersionIdsToStages"].values()), [["AWSCURRENT"]])
        # The same built-in with the server's account id is accepted.
        self.cli_ok("rotate-secret", "--secret-id", secret["Name"], "--rotation-lambda-arn", builtin,
                "--rotation-rules", '{"AutomaticallyAfterDays": 7}', "--no-rotate-immediately")
        self.addCleanup(self.client.cancel_rotate_secret, SecretId=secret["ARN"])

    def test_rotate_while_a_run_is_going_is_refused(self):
        secret = self.create("db/slow", SecretString="v")
        name = self.fname("slow")
        # A function whose steps take 90 s (the machine may be slow): the test run started by --no-rotate-immediately is still going.
        self.define(name, Command="sleep 90", TimeoutSeconds=120)
        self.cli_ok("rotate-secret", "--secret-id", secret["ARN"], "--rotation-lambda-arn", self.function_arn(name),
                "--rotation-rules", '{"AutomaticallyAfterDays": 7}', "--no-rotate-immediately")
        self.addCleanup(self.client.cancel_rotate_secret, SecretId=secret["ARN"])
        wait_for(lambda: [r for r in self.runs(secret["ARN"]) if r["Outcome"] == "Running"], "a running run")
        result = self.aws("rotate-secret", "--secret-id", secret["ARN"])
        self.assertCliError(result, "InvalidRequestException", "RotateSecret", NOT_COMPLETE)
        # Nothing was started behind the refusal: no AWSPENDING version was added.
        stages = self.versions_to_stages(secret["ARN"])
        self.assertEqual(sorted(s for v in stages.values() for s in v), ["AWSCURRENT"])


class RotationStartCliV1Tests(RotationStartCliMixin, RotationAccessTestCase):
    VERSION = 1


class RotationStartCliV2Tests(RotationStartCliMixin, RotationAccessTestCase):
    VERSION = 2
