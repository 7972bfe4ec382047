"""Access control through the AWS CLI v1 (`python -m awscli`) and v2 (Debian's 2.9.19).

Each principal gets its own temporary shared-credentials file (`--profile <name>`, no credentials in
the environment), as a person would set it up. Setup is done with boto3 as the admin; only the
commands under test go through the CLI, and independent CLI calls run concurrently.
"""

import concurrent.futures
import json
import unittest

from helpers import (
    CLI_ERROR_EXIT,
    INVALID_TOKEN_JSON,
    INVALID_TOKEN_MESSAGE,
    INVALID_TOKEN_QUERY,
    ISSUED_ACCESS_KEY_RE,
    SESSION_ACCESS_KEY_RE,
    AwsCredentials,
    IAMTestCase,
    access_denied_message,
    allow,
    alter_one_character,
    policy_document,
    policy_json,
    run_cli,
    temp_file,
    trust_policy,
)

GET = "secretsmanager:GetSecretValue"


class AccessCliMixin:
    VERSION = None  # 1 or 2

    def setUp(self):
        super().setUp()
        self.prod = self.create("prod/db", SecretString="prod-password")
        self.dev = self.create("dev/db", SecretString="dev-password")

    def prod_pattern(self):
        return "arn:aws:secretsmanager:*:*:secret:%sprod/*" % self.prefix

    def as_profile(self, creds, profile="e2e"):
        """(credentials file, profile) for run_cli."""
        return self.credentials_file({profile: creds}), profile

    def aws(self, *args, creds=None):
        """`aws <args>`: as the admin, or from a credentials file when `creds` is (file, profile)."""
        if creds is None:
            return run_cli(self.VERSION, *args)
        path, profile = creds
        return run_cli(self.VERSION, *args, credentials_file=path, profile=profile)

    def parallel(self, *calls):
        """Each call is (args tuple, creds or None)."""
        with concurrent.futures.ThreadPoolExecutor(max_workers=len(calls)) as pool:
            return list(pool.map(lambda c: self.aws(*c[0], creds=c[1]), calls))

    def ok(self, result):
        self.assertEqual(result.returncode, 0, result.describe())
        return result.json

    def assertCliError(self, result, code, operation, message=None):
        self.assertIn(result.returncode, CLI_ERROR_EXIT[self.VERSION], result.describe())
        parsed = result.error
        self.assertIsNotNone(parsed, "no 'An error occurred (...)' line:\n" + result.describe())
        self.assertEqual(parsed[0], code, result.describe())
        self.assertEqual(parsed[1], operation)
        if message is not None:
            self.assertEqual(parsed[2], message)
        self.assertEqual(result.stdout.strip(), "")

    # -- scenarios (about 17 CLI processes per CLI version: keep it so)

    def test_user_profile_reads_prod_and_is_denied_dev(self):
        user = self.new_principal("reader", allow(GET, self.prod_pattern()))
        creds = self.as_profile(user, "reader")
        who, prod, dev = self.parallel(
            (("sts", "get-caller-identity"), creds),
            (("secretsmanager", "get-secret-value", "--secret-id", self.name("prod/db")), creds),
            (("secretsmanager", "get-secret-value", "--secret-id", self.dev["ARN"]), creds),
        )
        me = self.ok(who)
        self.assertEqual((me["Arn"], me["Account"]), (user.arn, self.account))
        self.assertEqual(self.ok(prod)["SecretString"], "prod-password")
        self.assertCliError(dev, "AccessDeniedException", "GetSecretValue",
                            message=access_denied_message(user.arn, GET, self.dev["ARN"]))

    def test_assume_role_with_a_session_policy(self):
        user = self.new_principal("caller", allow("sts:AssumeRole", "*"))
        role = self.create_role(trust=trust_policy(user.arn))
        self.iam.put_role_policy(RoleName=role["RoleName"], PolicyName="read-all",
                                 PolicyDocument=policy_json(allow(GET, "*")))
        session_policy = policy_json(allow(GET, self.prod_pattern()))
        assumed = self.ok(self.aws("sts", "assume-role", "--role-arn", role["Arn"], "--role-session-name", "cli",
                                   "--duration-seconds", "900", "--policy", session_policy,
                                   creds=self.as_profile(user, "caller")))
        self.assertRegex(assumed["Credentials"]["AccessKeyId"], SESSION_ACCESS_KEY_RE)
        arn = "arn:aws:sts::%s:assumed-role/%s/cli" % (self.account, role["RoleName"])
        self.assertEqual(assumed["AssumedRoleUser"]["Arn"], arn)

        session = AwsCredentials.from_sts(assumed)
        tampered = session.replace(session_token=alter_one_character(session.session_token))
        path = self.credentials_file({"session": session, "tampered": tampered})
        prod, dev, bad = self.parallel(
            (("secretsmanager", "get-secret-value", "--secret-id", self.prod["ARN"]), (path, "session")),
            (("secretsmanager", "get-secret-value", "--secret-id", self.dev["ARN"]), (path, "session")),
            (("secretsmanager", "get-secret-value", "--secret-id", self.prod["ARN"]), (path, "tampered")),
        )
        self.assertEqual(self.ok(prod)["SecretString"], "prod-password")
        self.assertCliError(dev, "AccessDeniedException", "GetSecretValue")
        self.assertTrue(dev.error[2].startswith("User: %s is not authorized" % arn), dev.error[2])
        self.assertCliError(bad, INVALID_TOKEN_JSON, "GetSecretValue")

    def test_user_not_in_the_trust_policy_is_denied(self):
        stranger = self.new_principal("stranger", allow("sts:AssumeRole", "*"))
        # The role trusts one other user only. (Trusting the account root would let any principal of the
        # account with sts:AssumeRole permission in, as in AWS.)
        role = self.create_role(trust=trust_policy("arn:aws:iam::%s:user/someone-else" % self.account))
        result = self.aws("sts", "assume-role", "--role-arn", role["Arn"], "--role-session-name", "cli",
                          creds=self.as_profile(stranger))
        self.assertCliError(result, "AccessDenied", "AssumeRole")

    def test_inactive_key_is_refused(self):
        user = self.new_principal("u", allow(GET, "*"))
        creds = self.as_profile(user)
        self.iam.update_access_key(UserName=user.name, AccessKeyId=user.access_key_id, Status="Inactive")
        who, get = self.parallel(
            (("sts", "get-caller-identity"), creds),
            (("secretsmanager", "get-secret-value", "--secret-id", self.prod["ARN"]), creds),
        )
        self.assertCliError(who, INVALID_TOKEN_QUERY, "GetCallerIdentity")
        self.assertCliError(get, INVALID_TOKEN_JSON, "GetSecretValue", message=INVALID_TOKEN_MESSAGE)

    def test_admin_sets_up_a_user_with_the_cli(self):
        name = self.iam_name("cli-user")
        self.track_user(name)
        user = self.ok(self.aws("iam", "create-user", "--user-name", name, "--path", self.iam_path))["User"]
        self.assertEqual(user["Arn"], "arn:aws:iam::%s:user%s%s" % (self.account, self.iam_path, name))
        doc = policy_document(allow(GET, self.prod_pattern()))
        self.iam.put_user_policy(UserName=name, PolicyName="read-prod", PolicyDocument=json.dumps(doc))
        key_result, got_policy, missing = self.parallel(
            (("iam", "create-access-key", "--user-name", name), None),
            (("iam", "get-user-policy", "--user-name", name, "--policy-name", "read-prod"), None),
            (("iam", "get-user", "--user-name", self.iam_name("ghost")), None),
        )
        key = self.ok(key_result)["AccessKey"]
        self.assertRegex(key["AccessKeyId"], ISSUED_ACCESS_KEY_RE)
        self.assertEqual(key["UserName"], name)
        self.assertEqual(self.ok(got_policy)["PolicyDocument"], doc)
        self.assertCliError(missing, "NoSuchEntity", "GetUser",
                            message="The user with name %s cannot be found." % self.iam_name("ghost"))
        creds = self.as_profile(AwsCredentials.from_access_key(key))
        prod = self.aws("secretsmanager", "get-secret-value", "--secret-id", self.prod["ARN"], creds=creds)
        self.assertEqual(self.ok(prod)["SecretString"], "prod-password")
        self.assertAwsError("AccessDeniedException", AwsCredentials.from_access_key(key).sm().get_secret_value,
                            SecretId=self.dev["ARN"])

    def test_parameter_store_and_kms_denials(self):
        self.put(self.pname("other/x"), "other-value")
        key = self.create_key()
        user = self.new_principal("u", allow("ssm:GetParameter", "arn:aws:ssm:*:*:parameter%s/app/*" % self.path),
                                  allow("kms:Encrypt", key["Arn"]))
        blob = user.kms().encrypt(KeyId=key["Arn"], Plaintext=b"x")["CiphertextBlob"]
        creds = self.as_profile(user)
        with temp_file(blob) as blob_path:
            denied, decrypt = self.parallel(
                (("ssm", "get-parameter", "--name", self.pname("other/x")), creds),
                (("kms", "decrypt", "--ciphertext-blob", "fileb://" + blob_path), creds),
            )
        self.assertCliError(denied, "AccessDeniedException", "GetParameter")
        self.assertCliError(decrypt, "AccessDeniedException", "Decrypt",
                            message=access_denied_message(user.arn, "kms:Decrypt", key["Arn"]))


class AccessCliV1Tests(AccessCliMixin, IAMTestCase):
    VERSION = 1


class AccessCliV2Tests(AccessCliMixin, IAMTestCase):
    VERSION = 2


if __name__ == "__main__":
    unittest.main()
