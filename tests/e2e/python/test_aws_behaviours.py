"""AWS behaviours that testing against AWS's documentation found wrong (issue 15, items 1 and 3-9), through boto3.

Each is answered as AWS answers it: status, error code and message.

1. AssumeRole within one account: a trust policy naming the caller's ARN lets it in without an identity
   policy; one naming the account only delegates to identity policies; the trust policy binds everyone.
3. ListSecrets `all`/`description` filters split words the way AWS does; member positions in messages.
4. DescribeSecret/ListSecrets shape: `Tags` and `VersionIdsToStages` present or absent as in AWS.
5. CreateSecret with a token already used for another value.
6. GetRandomPassword: a space is allowed but never required.
7. Replicas: delete/restore on a replica, invalid replica regions.
8. RotateSecret without a rotation function.
9. KMS key policy lockout safety check.
"""

import json
import unittest
import uuid

from helpers import (
    AwsCredentials,
    IAMTestCase,
    SMTestCase,
    allow,
    cleanup_secret,
    deny,
    new_token,
    policy_json,
    sm,
    trust_policy,
)

REPLICA_NOT_PERMITTED = "Operation not permitted on a replica secret. Call must be made in primary secret's region."
INVALID_REPLICA_REGION = "Invalid replica region."
NO_ROTATION_FUNCTION = "No Lambda rotation function ARN is associated with this secret."
LOCKOUT = "The new key policy will not allow you to update the key policy in the future."


# --------------------------------------------------------------------------- 1. AssumeRole in one account


class SameAccountAssumeRoleTests(IAMTestCase):
    def test_trust_policy_naming_the_user_needs_no_identity_policy(self):
        user = self.new_principal("plain")  # no policy at all
        role = self.create_role(trust=trust_policy(user.arn))
        resp = user.sts().assume_role(RoleArn=role["Arn"], RoleSessionName="direct")
        self.assertEqual(resp["AssumedRoleUser"]["Arn"], "arn:aws:sts::%s:assumed-role/%s/direct" % (self.account, role["RoleName"]))
        session = AwsCredentials.from_sts(resp)
        self.assertEqual(session.sts().get_caller_identity()["Arn"], resp["AssumedRoleUser"]["Arn"])

    def test_trust_policy_naming_the_account_delegates_to_identity_policies(self):
        for principal in ("arn:aws:iam::%s:root" % self.account, self.account):
            with self.subTest(principal=principal):
                role = self.create_role("r-" + uuid.uuid4().hex[:6], trust=trust_policy(principal))
                plain = self.new_principal("p-" + uuid.uuid4().hex[:6])
                err = self.assertIamError("AccessDenied", plain.sts().assume_role, RoleArn=role["Arn"], RoleSessionName="s1", status=403)
                self.assertIn("User: %s is not authorized to perform: sts:AssumeRole on resource: %s" % (plain.arn, role["Arn"]), err["Message"])
                allowed = self.new_principal("a-" + uuid.uuid4().hex[:6], allow("sts:AssumeRole", role["Arn"]))
                self.assertRegex(allowed.sts().assume_role(RoleArn=role["Arn"], RoleSessionName="s1")["Credentials"]["AccessKeyId"], "^ASIA")

    def test_identity_policy_alone_is_not_enough_when_the_trust_policy_names_someone_else(self):
        other = self.create_user("other")
        role = self.create_role(trust=trust_policy(other["Arn"]))
        caller = self.new_principal("caller", allow("sts:AssumeRole", "*"))
        err = self.assertIamError("AccessDenied", caller.sts().assume_role, RoleArn=role["Arn"], RoleSessionName="s1", status=403)
        self.assertIn("User: %s is not authorized to perform: sts:AssumeRole on resource: %s" % (caller.arn, role["Arn"]), err["Message"])

    def test_explicit_deny_in_an_identity_policy_wins_over_the_trust_policy(self):
        user = self.new_principal("denied", deny("sts:AssumeRole", "*"))
        role = self.create_role(trust=trust_policy(user.arn))
        err = self.assertIamError("AccessDenied", user.sts().assume_role, RoleArn=role["Arn"], RoleSessionName="s1", status=403)
        self.assertIn("explicit deny", err["Message"])

    def test_explicit_deny_in_the_trust_policy_wins(self):
        user = self.new_principal("caller", allow("sts:AssumeRole", "*"))
        trust = policy_json(
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::%s:root" % self.account}, "Action": "sts:AssumeRole"},
            {"Effect": "Deny", "Principal": {"AWS": user.arn}, "Action": "sts:AssumeRole"},
        )
        role = self.create_role(trust=trust)
        self.assertIamError("AccessDenied", user.sts().assume_role, RoleArn=role["Arn"], RoleSessionName="s1", status=403)

    def test_a_role_session_named_by_role_arn_chains_without_identity_policy(self):
        user = self.new_principal("u")
        first = self.create_role("first", trust=trust_policy(user.arn))
        second = self.create_role("second", trust=trust_policy(first["Arn"]))
        session = AwsCredentials.from_sts(user.sts().assume_role(RoleArn=first["Arn"], RoleSessionName="one"))
        chained = session.sts().assume_role(RoleArn=second["Arn"], RoleSessionName="two")
        self.assertEqual(chained["AssumedRoleUser"]["Arn"], "arn:aws:sts::%s:assumed-role/%s/two" % (self.account, second["RoleName"]))

    def test_trust_conditions_see_the_request(self):
        user = self.new_principal("u")
        trust = policy_json({"Effect": "Allow", "Principal": {"AWS": user.arn}, "Action": "sts:AssumeRole",
                             "Condition": {"StringLike": {"sts:RoleSessionName": "ci-*"}}})
        role = self.create_role(trust=trust)
        user.sts().assume_role(RoleArn=role["Arn"], RoleSessionName="ci-42")
        self.assertIamError("AccessDenied", user.sts().assume_role, RoleArn=role["Arn"], RoleSessionName="laptop", status=403)

    def test_the_admin_is_bound_by_the_trust_policy_too(self):
        someone = self.create_user("someone")
        role = self.create_role(trust=trust_policy(someone["Arn"]))
        self.assertIamError("AccessDenied", self.sts.assume_role, RoleArn=role["Arn"], RoleSessionName="admin", status=403)
        trusting_account = self.create_role("acct", trust=trust_policy("arn:aws:iam::%s:root" % self.account))
        self.sts.assume_role(RoleArn=trusting_account["Arn"], RoleSessionName="admin")


# --------------------------------------------------------------------------- 3. ListSecrets filters


class ListSecretsWordTests(SMTestCase):
    """Secrets under one class-wide prefix; every query is AND-ed with name=<prefix>."""

    @classmethod
    def setUpClass(cls):
        # Digits only: a hex prefix such as "t-3f0a…" holds the word "f", which the "all" filter matches in every name.
        cls.p = "t-%s/" % str(uuid.uuid4().int)[:10]
        client = sm()
        specs = [
            ("SecretFTag", None, [{"Key": "Stage", "Value": "blue"}]),
            ("uat/COMPANYthings", None, []),
            ("uat/COMPANY", None, []),
            ("memo", "one and two", []),
            ("other", "three", []),
        ]
        cls.created = []
        try:
            for suffix, description, tags in specs:
                kwargs = {"Name": cls.p + suffix, "SecretString": "v"}
                if description:
                    kwargs["Description"] = description
                if tags:
                    kwargs["Tags"] = tags
                cls.created.append(client.create_secret(**kwargs)["ARN"])
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        for arn in cls.created:
            cleanup_secret(arn)

    def names(self, key, value):
        resp = self.client.list_secrets(Filters=[{"Key": "name", "Values": [self.p]}, {"Key": key, "Values": [value]}])
        return sorted(s["Name"][len(self.p):] for s in resp["SecretList"])

    def test_all_splits_before_the_last_capital_of_an_upper_case_run(self):
        self.assertEqual(self.names("all", "Ythings"), ["uat/COMPANYthings"])
        self.assertEqual(self.names("all", "things"), [])
        self.assertEqual(self.names("all", "company"), ["uat/COMPANY"])
        self.assertEqual(self.names("all", "N"), [])
        self.assertEqual(self.names("all", "pany"), [])

    def test_all_splits_case_changes_into_words(self):
        for value in ("Tag", "tag", "F", "Secret F Tag", "secret"):
            with self.subTest(value=value):
                self.assertEqual(self.names("all", value), ["SecretFTag"])
        self.assertEqual(self.names("all", "ret"), [])
        self.assertEqual(self.names("all", "Sta"), ["SecretFTag"], "tag keys are searched")
        self.assertEqual(self.names("all", "blue"), ["SecretFTag"], "tag values are searched")

    def test_all_with_punctuation_only_matches_nothing(self):
        for value in ("+", "/", "."):
            with self.subTest(value=value):
                self.assertEqual(self.names("all", value), [])

    def test_description_words_match_independently_in_any_order(self):
        self.assertEqual(self.names("description", "one two"), ["memo"])
        self.assertEqual(self.names("description", "two one"), ["memo"])
        self.assertEqual(self.names("description", "O T"), ["memo"])
        self.assertEqual(self.names("description", "TWO"), ["memo"])
        self.assertEqual(self.names("description", "one three"), [])
        self.assertEqual(self.names("description", "nd"), [])

    def test_validation_messages_carry_the_member_position(self):
        self.assertAwsError(
            "ValidationException", self.client.list_secrets,
            Filters=[{"Key": "name", "Values": ["a"]}, {"Key": "colour", "Values": ["red"]}],
            message="1 validation error detected: Value 'colour' at 'filters.2.member.key' failed to satisfy constraint: "
                    "Member must satisfy enum value set: [description, name, tag-key, tag-value, primary-region, owning-service, all]",
        )
        err = self.assertAwsError("ValidationException", self.client.list_secrets, Filters=[{"Key": "name", "Values": ["ok", "bad#value"]}])
        self.assertTrue(err["Message"].startswith("1 validation error detected: Value 'bad#value' at 'filters.1.member.values.2.member' failed to satisfy constraint"), err["Message"])


# --------------------------------------------------------------------------- 4-8. Secrets Manager shapes and texts


class SecretsManagerBehaviourTests(SMTestCase):
    def test_describe_has_no_tags_key_until_tagged_and_an_empty_list_after_every_tag_is_removed(self):
        arn = self.create(SecretString="v")["ARN"]
        self.assertNotIn("Tags", self.client.describe_secret(SecretId=arn))
        self.client.tag_resource(SecretId=arn, Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
        self.assertEqual(len(self.client.describe_secret(SecretId=arn)["Tags"]), 2)
        self.client.untag_resource(SecretId=arn, TagKeys=["a", "b"])
        self.assertEqual(self.client.describe_secret(SecretId=arn)["Tags"], [])
        listed = self.client.list_secrets(Filters=[{"Key": "name", "Values": [self.name()]}])["SecretList"]
        self.assertEqual([s.get("Tags") for s in listed], [[]])

    def test_secret_created_with_tags_keeps_an_empty_tags_list(self):
        arn = self.create(SecretString="v", Tags=[{"Key": "k", "Value": "v"}])["ARN"]
        self.client.untag_resource(SecretId=arn, TagKeys=["k"])
        self.assertEqual(self.client.describe_secret(SecretId=arn)["Tags"], [])

    def test_secret_without_versions_has_no_stage_map(self):
        arn = self.create()["ARN"]
        self.assertNotIn("VersionIdsToStages", self.client.describe_secret(SecretId=arn))
        listed = self.client.list_secrets(Filters=[{"Key": "name", "Values": [self.name()]}])["SecretList"]
        self.assertEqual(len(listed), 1)
        self.assertNotIn("SecretVersionsToStages", listed[0])
        self.client.put_secret_value(SecretId=arn, SecretString="now")
        self.assertEqual(len(self.client.describe_secret(SecretId=arn)["VersionIdsToStages"]), 1)

    def test_create_again_with_a_used_token_and_another_value_is_resource_exists(self):
        token = new_token()
        first = self.create(SecretString="first", ClientRequestToken=token)
        self.assertAwsError(
            "ResourceExistsException", self.client.create_secret, Name=self.name(), SecretString="second", ClientRequestToken=token,
            message="You can't use ClientRequestToken %s because that value is already in use for a version of secret %s." % (token, first["ARN"]),
        )
        again = self.client.create_secret(Name=self.name(), SecretString="first", ClientRequestToken=token)
        self.assertEqual((again["ARN"], again["VersionId"]), (first["ARN"], token))
        self.assertAwsError(
            "ResourceExistsException", self.client.create_secret, Name=self.name(), SecretString="first", ClientRequestToken=new_token(),
            message="The operation failed because the secret %s already exists." % self.name(),
        )
        self.assertEqual(self.client.get_secret_value(SecretId=first["ARN"])["SecretString"], "first")

    def test_random_password_never_requires_a_space(self):
        for _ in range(20):
            pw = self.client.get_random_password(PasswordLength=4, IncludeSpace=True, RequireEachIncludedType=True)["RandomPassword"]
            self.assertEqual(len(pw), 4)
            self.assertTrue(any(c.isupper() for c in pw) and any(c.islower() for c in pw) and any(c.isdigit() for c in pw)
                            and any(not c.isalnum() and c != " " for c in pw), pw)
        self.assertAwsError("InvalidParameterException", self.client.get_random_password, PasswordLength=3, RequireEachIncludedType=True)
        spaced = self.client.get_random_password(PasswordLength=2000, IncludeSpace=True)["RandomPassword"]
        self.assertIn(" ", spaced)

    def test_rotate_without_a_function_names_the_missing_lambda(self):
        arn = self.create(SecretString="v")["ARN"]
        self.assertAwsError("InvalidRequestException", self.client.rotate_secret, SecretId=arn, message=NO_ROTATION_FUNCTION)
        self.assertNotIn("RotationEnabled", self.client.describe_secret(SecretId=arn))


class ReplicaBehaviourTests(SMTestCase):
    def setUp(self):
        super().setUp()
        self.primary = self.create(SecretString="replicated", AddReplicaRegions=[{"Region": "eu-west-1"}])
        self.addCleanup(cleanup_secret, self.primary["Name"], "eu-west-1")
        self.eu = sm("eu-west-1")

    def test_delete_and_restore_on_a_replica_must_go_to_the_primary(self):
        for kwargs in ({}, {"ForceDeleteWithoutRecovery": True}, {"RecoveryWindowInDays": 7}):
            with self.subTest(**kwargs):
                self.assertAwsError("InvalidParameterException", self.eu.delete_secret, SecretId=self.primary["Name"],
                                    message=REPLICA_NOT_PERMITTED, **kwargs)
        self.assertAwsError("InvalidParameterException", self.eu.restore_secret, SecretId=self.primary["Name"], message=REPLICA_NOT_PERMITTED)
        self.assertEqual(self.eu.get_secret_value(SecretId=self.primary["Name"])["SecretString"], "replicated")
        self.assertNotIn("DeletedDate", self.eu.describe_secret(SecretId=self.primary["Name"]))

    def test_invalid_replica_regions_are_refused_and_nothing_is_created(self):
        bad = {
            "the primary's own": [{"Region": "us-east-1"}],
            "unknown": [{"Region": "xx-fake-9"}],
            "left out": [{"KmsKeyId": "alias/aws/secretsmanager"}],
        }
        for what, regions in bad.items():
            with self.subTest(what=what):
                self.assertAwsError("InvalidParameterException", self.client.replicate_secret_to_regions,
                                    SecretId=self.primary["ARN"], AddReplicaRegions=regions, message=INVALID_REPLICA_REGION)
                name = self.name("fresh-" + uuid.uuid4().hex[:6])
                self.assertAwsError("InvalidParameterException", self.client.create_secret, Name=name, SecretString="x",
                                    AddReplicaRegions=regions, message=INVALID_REPLICA_REGION)
                self.assertAwsError("ResourceNotFoundException", self.client.describe_secret, SecretId=name)
        self.assertEqual({r["Region"] for r in self.client.describe_secret(SecretId=self.primary["ARN"])["ReplicationStatus"]}, {"eu-west-1"})
        self.assertAwsError("ResourceNotFoundException", sm("xx-fake-9").describe_secret, SecretId=self.primary["Name"])

    def test_replicating_a_replica_is_not_permitted(self):
        self.assertAwsError("InvalidParameterException", self.eu.replicate_secret_to_regions, SecretId=self.primary["Name"],
                            AddReplicaRegions=[{"Region": "us-west-2"}], message=REPLICA_NOT_PERMITTED)


# --------------------------------------------------------------------------- 9. KMS lockout safety check


def _key_policy(*principals, actions="kms:*"):
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "s%d" % i, "Effect": "Allow", "Principal": {"AWS": p}, "Action": actions, "Resource": "*"} for i, p in enumerate(principals)]})


class KeyPolicyLockoutTests(IAMTestCase):
    def setUp(self):
        super().setUp()
        self.user = self.new_principal("keyadmin", allow(["kms:CreateKey", "kms:PutKeyPolicy", "kms:DescribeKey", "kms:GetKeyPolicy",
                                                          "kms:ScheduleKeyDeletion"], "*"))
        self.user_kms = self.user.client("kms")
        self.stranger = "arn:aws:iam::%s:user/%s" % (self.account, self.iam_name("nobody"))

    def created(self, resp):
        arn = resp["KeyMetadata"]["Arn"]
        self.addCleanup(lambda: self.kms.schedule_key_deletion(KeyId=arn, PendingWindowInDays=7))
        return arn

    def test_create_key_with_a_policy_that_locks_the_caller_out_is_refused(self):
        self.assertAwsError("MalformedPolicyDocumentException", self.user_kms.create_key, Policy=_key_policy(self.stranger), message=LOCKOUT)
        self.assertAwsError("MalformedPolicyDocumentException", self.user_kms.create_key,
                            Policy=_key_policy(self.user.arn, actions=["kms:Encrypt", "kms:Decrypt"]), message=LOCKOUT)

    def test_a_policy_that_still_lets_the_caller_change_it_is_accepted(self):
        for policy in (_key_policy("arn:aws:iam::%s:root" % self.account), _key_policy(self.user.arn, actions="kms:PutKeyPolicy")):
            with self.subTest(policy=policy):
                self.created(self.user_kms.create_key(Policy=policy))

    def test_account_principal_without_the_callers_iam_permission_is_a_lockout(self):
        limited = self.new_principal("limited", allow("kms:CreateKey", "*"))
        self.assertAwsError("MalformedPolicyDocumentException", limited.client("kms").create_key,
                            Policy=_key_policy("arn:aws:iam::%s:root" % self.account), message=LOCKOUT)

    def test_bypass_skips_the_check(self):
        arn = self.created(self.user_kms.create_key(Policy=_key_policy(self.stranger), BypassPolicyLockoutSafetyCheck=True))
        self.assertEqual(json.loads(self.kms.get_key_policy(KeyId=arn, PolicyName="default")["Policy"]), json.loads(_key_policy(self.stranger)))

    def test_put_key_policy_checks_the_new_policy(self):
        arn = self.created(self.user_kms.create_key(Policy=_key_policy("arn:aws:iam::%s:root" % self.account)))
        self.assertAwsError("MalformedPolicyDocumentException", self.user_kms.put_key_policy, KeyId=arn, PolicyName="default",
                            Policy=_key_policy(self.stranger), message=LOCKOUT)
        self.assertIn(":root", self.kms.get_key_policy(KeyId=arn, PolicyName="default")["Policy"])
        self.user_kms.put_key_policy(KeyId=arn, PolicyName="default", Policy=_key_policy(self.stranger), BypassPolicyLockoutSafetyCheck=True)
        self.assertIn(self.stranger, self.kms.get_key_policy(KeyId=arn, PolicyName="default")["Policy"])

    def test_the_admin_is_never_locked_out_and_grant_tokens_are_ignored(self):
        arn = self.created(self.kms.create_key(Policy=_key_policy(self.stranger)))
        self.kms.put_key_policy(KeyId=arn, PolicyName="default", Policy=_key_policy("arn:aws:iam::%s:root" % self.account))
        blob = self.kms.encrypt(KeyId=arn, Plaintext=b"x", GrantTokens=["not-a-real-grant-token"])["CiphertextBlob"]
        self.assertEqual(self.kms.decrypt(CiphertextBlob=blob, GrantTokens=["another"])["Plaintext"], b"x")


if __name__ == "__main__":
    unittest.main()
