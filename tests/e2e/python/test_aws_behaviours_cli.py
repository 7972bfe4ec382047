"""The AWS behaviours of test_aws_behaviours.py (issue 15, items 1 and 3-9) through the AWS CLI v1 and v2.

Setup goes through boto3 as the admin; only the commands under test go through the CLI, a principal's from its
own shared-credentials file, and independent CLI calls run concurrently.
"""

import concurrent.futures
import json
import unittest
import uuid

from helpers import (
    IAMTestCase,
    ServiceCliMixin,
    allow,
    cleanup_secret,
    new_token,
    run_cli,
    sm,
    trust_policy,
)
from test_aws_behaviours import INVALID_REPLICA_REGION, LOCKOUT, NO_ROTATION_FUNCTION, REPLICA_NOT_PERMITTED, _key_policy


class BehaviourCliMixin(ServiceCliMixin):
    VERSION = None

    def cli(self, *args, creds=None, region="us-east-1"):
        """`aws <args>` as the admin, or as `creds` (an AwsCredentials) from a credentials file."""
        if creds is None:
            return run_cli(self.VERSION, *args, region=region)
        path = self.credentials_file({"e2e": creds})
        return run_cli(self.VERSION, *args, region=region, credentials_file=path, profile="e2e")

    def run_all(self, *calls):
        """Each call is (args tuple, keyword arguments for cli); they run concurrently."""
        with concurrent.futures.ThreadPoolExecutor(max_workers=len(calls)) as pool:
            return list(pool.map(lambda c: self.cli(*c[0], **c[1]), calls))

    def test_assume_role_trusted_by_arn_needs_no_identity_policy(self):
        user = self.new_principal("plain")
        by_arn = self.create_role("byarn", trust=trust_policy(user.arn))
        by_account = self.create_role("byacct", trust=trust_policy("arn:aws:iam::%s:root" % self.account))
        direct, delegated = self.run_all(
            (("sts", "assume-role", "--role-arn", by_arn["Arn"], "--role-session-name", "cli"), {"creds": user}),
            (("sts", "assume-role", "--role-arn", by_account["Arn"], "--role-session-name", "cli"), {"creds": user}),
        )
        self.assertEqual(direct.returncode, 0, direct.describe())
        self.assertEqual(direct.json["AssumedRoleUser"]["Arn"], "arn:aws:sts::%s:assumed-role/%s/cli" % (self.account, by_arn["RoleName"]))
        self.assertCliError(delegated, "AccessDenied", "AssumeRole")
        self.assertIn("is not authorized to perform: sts:AssumeRole on resource: %s" % by_account["Arn"], delegated.error[2])

    def test_list_secrets_word_filters_and_positions(self):
        prefix = "t-%s/" % uuid.uuid4().hex[:8]
        for name, description in (("SecretFTag", None), ("uat/COMPANYthings", None), ("uat/COMPANY", None), ("memo", "one and two")):
            kwargs = {"Description": description} if description else {}
            arn = sm().create_secret(Name=prefix + name, SecretString="v", **kwargs)["ARN"]
            self.addCleanup(cleanup_secret, arn)

        def filters(key, value):
            return json.dumps([{"Key": "name", "Values": [prefix]}, {"Key": key, "Values": [value]}])

        ythings, plus, description, tag, bad = self.run_all(
            (("secretsmanager", "list-secrets", "--filters", filters("all", "Ythings")), {}),
            (("secretsmanager", "list-secrets", "--filters", filters("all", "+")), {}),
            (("secretsmanager", "list-secrets", "--filters", filters("description", "two one")), {}),
            (("secretsmanager", "list-secrets", "--filters", filters("all", "Tag")), {}),
            (("secretsmanager", "list-secrets", "--filters", filters("colour", "red")), {}),
        )
        names = lambda r: sorted(s["Name"][len(prefix):] for s in self.ok_result(r)["SecretList"])  # noqa: E731
        self.assertEqual(names(ythings), ["uat/COMPANYthings"])
        self.assertEqual(names(plus), [])
        self.assertEqual(names(description), ["memo"])
        self.assertEqual(names(tag), ["SecretFTag"])
        self.assertCliError(bad, "ValidationException", "ListSecrets",
                            message="1 validation error detected: Value 'colour' at 'filters.2.member.key' failed to satisfy constraint: "
                                    "Member must satisfy enum value set: [description, name, tag-key, tag-value, primary-region, owning-service, all]")

    def ok_result(self, result):
        self.assertEqual(result.returncode, 0, result.describe())
        return result.json

    def test_describe_secret_shape_and_create_token_conflict(self):
        empty = self.create("empty")
        tagged = self.create("tagged", SecretString="v", Tags=[{"Key": "k", "Value": "v"}])
        sm().untag_resource(SecretId=tagged["ARN"], TagKeys=["k"])
        token = new_token()
        first = self.create("tokened", SecretString="first", ClientRequestToken=token)
        described_empty, described_tagged, conflict = self.run_all(
            (("secretsmanager", "describe-secret", "--secret-id", empty["ARN"]), {}),
            (("secretsmanager", "describe-secret", "--secret-id", tagged["ARN"]), {}),
            (("secretsmanager", "create-secret", "--name", first["Name"], "--secret-string", "second", "--client-request-token", token), {}),
        )
        self.assertNotIn("VersionIdsToStages", self.ok_result(described_empty))
        self.assertNotIn("Tags", described_empty.json)
        self.assertEqual(self.ok_result(described_tagged)["Tags"], [])
        self.assertCliError(conflict, "ResourceExistsException", "CreateSecret",
                            message="You can't use ClientRequestToken %s because that value is already in use for a version of secret %s." % (token, first["ARN"]))

    def test_random_password_rotation_and_replicas(self):
        plain = self.create("plain", SecretString="v")
        replicated = self.create("replicated", SecretString="v", AddReplicaRegions=[{"Region": "eu-west-1"}])
        self.addCleanup(cleanup_secret, replicated["Name"], "eu-west-1")
        password, rotate, delete, restore, bad_region = self.run_all(
            (("secretsmanager", "get-random-password", "--password-length", "4", "--include-space", "--require-each-included-type"), {}),
            (("secretsmanager", "rotate-secret", "--secret-id", plain["ARN"]), {}),
            (("secretsmanager", "delete-secret", "--secret-id", replicated["Name"], "--force-delete-without-recovery"), {"region": "eu-west-1"}),
            (("secretsmanager", "restore-secret", "--secret-id", replicated["Name"]), {"region": "eu-west-1"}),
            (("secretsmanager", "replicate-secret-to-regions", "--secret-id", replicated["ARN"], "--add-replica-regions", "Region=xx-fake-9"), {}),
        )
        pw = self.ok_result(password)["RandomPassword"]
        self.assertEqual(len(pw), 4)
        self.assertCliError(rotate, "InvalidRequestException", "RotateSecret", message=NO_ROTATION_FUNCTION)
        self.assertCliError(delete, "InvalidParameterException", "DeleteSecret", message=REPLICA_NOT_PERMITTED)
        self.assertCliError(restore, "InvalidParameterException", "RestoreSecret", message=REPLICA_NOT_PERMITTED)
        self.assertCliError(bad_region, "InvalidParameterException", "ReplicateSecretToRegions", message=INVALID_REPLICA_REGION)

    def test_key_policy_lockout(self):
        user = self.new_principal("keyadmin", allow(["kms:CreateKey", "kms:PutKeyPolicy"], "*"))
        stranger = "arn:aws:iam::%s:user/%s" % (self.account, self.iam_name("nobody"))
        key = self.kms.create_key(Policy=_key_policy("arn:aws:iam::%s:root" % self.account))["KeyMetadata"]
        self.addCleanup(lambda: self.kms.schedule_key_deletion(KeyId=key["Arn"], PendingWindowInDays=7))
        refused, bypassed, put = self.run_all(
            (("kms", "create-key", "--policy", _key_policy(stranger)), {"creds": user}),
            (("kms", "create-key", "--policy", _key_policy(stranger), "--bypass-policy-lockout-safety-check"), {"creds": user}),
            (("kms", "put-key-policy", "--key-id", key["KeyId"], "--policy-name", "default", "--policy", _key_policy(stranger)), {"creds": user}),
        )
        self.assertCliError(refused, "MalformedPolicyDocumentException", "CreateKey", message=LOCKOUT)
        made = self.ok_result(bypassed)["KeyMetadata"]
        self.addCleanup(lambda: self.kms.schedule_key_deletion(KeyId=made["Arn"], PendingWindowInDays=7))
        self.assertCliError(put, "MalformedPolicyDocumentException", "PutKeyPolicy", message=LOCKOUT)


class BehaviourCliV1Tests(BehaviourCliMixin, IAMTestCase):
    VERSION = 1


class BehaviourCliV2Tests(BehaviourCliMixin, IAMTestCase):
    VERSION = 2


if __name__ == "__main__":
    unittest.main()
