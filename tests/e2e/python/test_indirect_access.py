"""Privilege escalation through indirect doors (issue #25, findings 3, 4, 5, 8, 12, 14), through boto3.

Each scenario gives an ordinary IAM user what an attacker would have and tries the side door: a
ReEncrypt whose source key is not the caller's, a key policy that does not delegate to the account, a
SecureString read through SSM under a key the caller may not use, a secret read through
/aws/reference/secretsmanager/ past a Deny on the secret, an alias pointed at another key,
BatchGetSecretValue with Filters without ListSecrets, and a batch read past a source-IP or
secure-transport condition. Every door must answer what the front door answers.
"""

import json

from helpers import (
    SECRETSMANAGER_MANAGED_ALIAS,
    IAMTestCase,
    allow,
    cleanup_key,
    cleanup_secret,
    deny,
    policy_json,
)

GET = "secretsmanager:GetSecretValue"


class IndirectTestCase(IAMTestCase):
    def secret_arn_pattern(self, path):
        return "arn:aws:secretsmanager:*:*:secret:" + self.prefix + path

    def secret(self, path, value=None, **kwargs):
        return self.create(path, SecretString=value if value is not None else "value of " + path, **kwargs)

    def assertDenied(self, func, *args, **kwargs):
        return self.assertAwsError("AccessDeniedException", func, *args, **kwargs)

    def key_policy(self, *statements):
        return policy_json(*statements)

    def root(self):
        return {"AWS": "arn:aws:iam::%s:root" % self.account}


class ReEncryptSourceKeyTests(IndirectTestCase):
    """Finding 3: ReEncrypt needs kms:ReEncryptFrom on the key the blob names, whatever SourceKeyId says."""

    def setUp(self):
        super().setUp()
        self.k1 = self.create_key(Description="not the user's key")
        self.k2 = self.create_key(Description="the user's key")
        self.blob = self.kms.encrypt(KeyId=self.k1["Arn"], Plaintext=b"k1-secret")["CiphertextBlob"]
        self.user = self.new_principal("u", allow("kms:*", self.k2["Arn"]))

    def test_a_blob_of_another_key_cannot_be_moved_into_the_callers_key(self):
        self.assertDenied(self.user.kms().decrypt, CiphertextBlob=self.blob)
        err = self.assertDenied(self.user.kms().re_encrypt, CiphertextBlob=self.blob, DestinationKeyId=self.k2["Arn"])
        self.assertIn("kms:ReEncryptFrom", err["Message"])
        self.assertIn(self.k1["Arn"], err["Message"])

    def test_source_key_id_naming_the_callers_key_does_not_help(self):
        for source in (self.k2["Arn"], self.k2["KeyId"]):
            with self.subTest(source=source):
                self.assertDenied(self.user.kms().re_encrypt, CiphertextBlob=self.blob, SourceKeyId=source,
                                  DestinationKeyId=self.k2["Arn"])

    def test_an_alias_of_the_callers_key_as_destination_does_not_help(self):
        alias = self.create_alias(self.k2["KeyId"], "mine")
        self.assertDenied(self.user.kms().re_encrypt, CiphertextBlob=self.blob, DestinationKeyId=alias)

    def test_both_permissions_allow_it(self):
        self.iam.put_user_policy(UserName=self.user.name, PolicyName="from-k1",
                                 PolicyDocument=policy_json(allow("kms:ReEncryptFrom", self.k1["Arn"])))
        moved = self.user.kms().re_encrypt(CiphertextBlob=self.blob, DestinationKeyId=self.k2["Arn"])
        self.assertEqual(moved["SourceKeyId"], self.k1["Arn"])
        self.assertEqual(self.user.kms().decrypt(CiphertextBlob=moved["CiphertextBlob"])["Plaintext"], b"k1-secret")

    def test_reencrypt_to_needs_the_destination(self):
        user = self.new_principal("from-only", allow("kms:ReEncryptFrom", self.k1["Arn"]))
        err = self.assertDenied(user.kms().re_encrypt, CiphertextBlob=self.blob, DestinationKeyId=self.k2["Arn"])
        self.assertIn("kms:ReEncryptTo", err["Message"])

    def test_decrypt_with_key_id_of_the_callers_key_is_denied_on_the_blobs_key(self):
        self.assertDenied(self.user.kms().decrypt, CiphertextBlob=self.blob, KeyId=self.k2["Arn"])


class KeyPolicyRequiredTests(IndirectTestCase):
    """Finding 4: an IAM Allow counts only when the key policy delegates to the account (or names the caller)."""

    def setUp(self):
        super().setUp()
        self.user = self.new_principal("u", allow("kms:*", "*"), allow(GET, "*"))

    def closed_key(self, *statements):
        """A key whose policy names only the given statements (no account-root delegation)."""
        return self.create_key(Description="closed", Policy=self.key_policy(*statements),
                               BypassPolicyLockoutSafetyCheck=True)

    def test_iam_allow_alone_is_not_enough_when_the_key_policy_does_not_delegate(self):
        key = self.closed_key(allow("kms:DescribeKey", "*", principal={"AWS": "arn:aws:iam::%s:user/nobody" % self.account}))
        blob = self.kms.encrypt(KeyId=key["Arn"], Plaintext=b"x")["CiphertextBlob"]
        for name, call in {
            "Encrypt": lambda: self.user.kms().encrypt(KeyId=key["Arn"], Plaintext=b"x"),
            "Decrypt": lambda: self.user.kms().decrypt(CiphertextBlob=blob),
            "GenerateDataKey": lambda: self.user.kms().generate_data_key(KeyId=key["Arn"], KeySpec="AES_256"),
            "DescribeKey": lambda: self.user.kms().describe_key(KeyId=key["Arn"]),
            "PutKeyPolicy": lambda: self.user.kms().put_key_policy(KeyId=key["Arn"], PolicyName="default",
                                                                  Policy=self.key_policy(allow("kms:*", "*", principal=self.root()))),
            "ScheduleKeyDeletion": lambda: self.user.kms().schedule_key_deletion(KeyId=key["Arn"], PendingWindowInDays=7),
        }.items():
            with self.subTest(operation=name):
                self.assertDenied(call)
        self.assertEqual(self.describe_key(key["Arn"])["KeyState"], "Enabled")

    def test_the_default_key_policy_delegates_to_iam(self):
        key = self.create_key()
        self.assertIn(":root", json.dumps(json.loads(self.kms.get_key_policy(KeyId=key["KeyId"], PolicyName="default")["Policy"])))
        blob = self.user.kms().encrypt(KeyId=key["Arn"], Plaintext=b"x")["CiphertextBlob"]
        self.assertEqual(self.user.kms().decrypt(CiphertextBlob=blob)["Plaintext"], b"x")

    def test_the_key_policy_alone_can_grant_a_principal(self):
        nobody = self.new_principal("no-iam")
        key = self.closed_key(allow(["kms:Encrypt", "kms:Decrypt"], "*", principal={"AWS": nobody.arn}))
        blob = nobody.kms().encrypt(KeyId=key["Arn"], Plaintext=b"direct")["CiphertextBlob"]
        self.assertEqual(nobody.kms().decrypt(CiphertextBlob=blob)["Plaintext"], b"direct")
        self.assertDenied(nobody.kms().describe_key, KeyId=key["Arn"])

    def test_a_deny_in_the_key_policy_beats_an_iam_allow(self):
        key = self.create_key(Policy=self.key_policy(allow("kms:*", "*", principal=self.root()),
                                                     deny("kms:Decrypt", "*", principal={"AWS": self.user.arn})))
        blob = self.kms.encrypt(KeyId=key["Arn"], Plaintext=b"x")["CiphertextBlob"]
        err = self.assertDenied(self.user.kms().decrypt, CiphertextBlob=blob)
        self.assertIn("explicit deny in a resource-based policy", err["Message"])

    def test_taking_the_delegation_away_takes_iam_access_away(self):
        key = self.create_key()
        self.user.kms().describe_key(KeyId=key["Arn"])
        self.kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", BypassPolicyLockoutSafetyCheck=True,
                                Policy=self.key_policy(allow("kms:Describe*", "*", principal={"AWS": "arn:aws:iam::%s:user/nobody" % self.account})))
        self.assertDenied(self.user.kms().describe_key, KeyId=key["Arn"])

    def test_a_secret_under_a_key_that_does_not_delegate_cannot_be_read(self):
        key = self.closed_key(allow(["kms:GenerateDataKey", "kms:Decrypt"], "*", principal={"AWS": "arn:aws:iam::%s:user/nobody" % self.account}))
        secret = self.secret("closed/db", "closed-value", KmsKeyId=key["Arn"])
        self.assertDenied(self.user.sm().get_secret_value, SecretId=secret["ARN"])

    def test_the_aws_managed_key_follows_its_own_policy(self):
        # Its policy lets every principal of the account use it through Secrets Manager, and the account
        # (through IAM) read its metadata; nobody may use it directly.
        secret = self.secret("managed/db", "managed-value", KmsKeyId=SECRETSMANAGER_MANAGED_ALIAS)
        reader = self.new_principal("reader", allow(GET, "*"))
        self.assertEqual(reader.sm().get_secret_value(SecretId=secret["ARN"])["SecretString"], "managed-value")
        meta = self.user.kms().describe_key(KeyId=SECRETSMANAGER_MANAGED_ALIAS)["KeyMetadata"]
        self.assertEqual(meta["KeyManager"], "AWS")
        self.assertDenied(reader.kms().describe_key, KeyId=SECRETSMANAGER_MANAGED_ALIAS)
        self.assertDenied(self.user.kms().encrypt, KeyId=SECRETSMANAGER_MANAGED_ALIAS, Plaintext=b"x")
        # An explicit IAM Deny on the managed key stops reads through Secrets Manager too.
        self.iam.put_user_policy(UserName=reader.name, PolicyName="no-managed-key",
                                 PolicyDocument=policy_json(deny("kms:Decrypt", meta["Arn"])))
        self.assertDenied(reader.sm().get_secret_value, SecretId=secret["ARN"])


class SsmSecureStringTests(IndirectTestCase):
    """Finding 5: a SecureString under a customer key needs kms:Decrypt on it, through every SSM read."""

    def setUp(self):
        super().setUp()
        self.key = self.create_key(Description="parameter key")
        self.name_ = self.pname("db/password")
        self.put(self.name_, "ssm-plaintext", type="SecureString", KeyId=self.key["Arn"])
        self.user = self.new_principal("u", allow(["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath",
                                                   "ssm:GetParameterHistory"], "*"))

    def test_every_decrypting_read_needs_kms_decrypt(self):
        ssm = self.user.ssm()
        for name, call in {
            "GetParameter": lambda: ssm.get_parameter(Name=self.name_, WithDecryption=True),
            "GetParameter by version": lambda: ssm.get_parameter(Name=self.name_ + ":1", WithDecryption=True),
            "GetParameters": lambda: ssm.get_parameters(Names=[self.name_], WithDecryption=True),
            "GetParametersByPath": lambda: ssm.get_parameters_by_path(Path=self.pname("db"), WithDecryption=True),
            "GetParameterHistory": lambda: ssm.get_parameter_history(Name=self.name_, WithDecryption=True),
        }.items():
            with self.subTest(operation=name):
                err = self.assertDenied(call)
                self.assertIn("kms:Decrypt", err["Message"])
                self.assertNotIn("ssm-plaintext", json.dumps(err))
        # Without decryption the ciphertext is all the caller gets.
        value = ssm.get_parameter(Name=self.name_)["Parameter"]["Value"]
        self.assertNotEqual(value, "ssm-plaintext")

    def test_kms_decrypt_on_the_key_allows_it(self):
        self.iam.put_user_policy(UserName=self.user.name, PolicyName="key", PolicyDocument=policy_json(
            allow("kms:Decrypt", self.key["Arn"], {"StringEquals": {"kms:ViaService": "ssm.%s.amazonaws.com" % self.region}})))
        self.assertEqual(self.user.ssm().get_parameter(Name=self.name_, WithDecryption=True)["Parameter"]["Value"], "ssm-plaintext")
        got = self.user.ssm().get_parameters_by_path(Path=self.pname("db"), WithDecryption=True)["Parameters"]
        self.assertEqual([p["Value"] for p in got], ["ssm-plaintext"])

    def test_the_key_of_the_version_read_is_checked(self):
        # Version 2 moves to the AWS managed key; version 1 stays under the customer key.
        self.put(self.name_, "v2", type="SecureString", Overwrite=True, KeyId="alias/aws/ssm")
        self.assertEqual(self.user.ssm().get_parameter(Name=self.name_, WithDecryption=True)["Parameter"]["Value"], "v2")
        self.assertDenied(self.user.ssm().get_parameter, Name=self.name_ + ":1", WithDecryption=True)

    def test_the_ssm_managed_key_needs_nothing_extra(self):
        other = self.pname("db/default")
        self.put(other, "default-key-value", type="SecureString")
        self.assertEqual(self.user.ssm().get_parameter(Name=other, WithDecryption=True)["Parameter"]["Value"], "default-key-value")


class SecretsManagerReferenceTests(IndirectTestCase):
    """Finding 5: /aws/reference/secretsmanager/NAME is a GetSecretValue with all its checks."""

    def setUp(self):
        super().setUp()
        self.user = self.new_principal("u", allow("ssm:GetParameter", "*"), allow(GET, "*"))

    def ref(self, name):
        return "/aws/reference/secretsmanager/" + name

    def test_a_tag_condition_deny_holds_through_the_reference(self):
        self.secret("gold/db", "gold-value", Tags=[{"Key": "tier", "Value": "gold"}])
        self.iam.put_user_policy(UserName=self.user.name, PolicyName="no-gold", PolicyDocument=policy_json(
            deny(GET, "*", {"StringEquals": {"secretsmanager:ResourceTag/tier": "gold"}})))
        self.assertDenied(self.user.sm().get_secret_value, SecretId=self.name("gold/db"))
        err = self.assertDenied(self.user.ssm().get_parameter, Name=self.ref(self.name("gold/db")), WithDecryption=True)
        self.assertNotIn("gold-value", json.dumps(err))

    def test_a_version_stage_condition_holds_through_the_reference(self):
        created = self.secret("staged/db", "first")
        self.client.put_secret_value(SecretId=created["ARN"], SecretString="second")
        self.iam.put_user_policy(UserName=self.user.name, PolicyName="current-only", PolicyDocument=policy_json(
            deny(GET, "*", {"StringNotEquals": {"secretsmanager:VersionStage": "AWSCURRENT"}})))
        self.assertEqual(self.user.ssm().get_parameter(Name=self.ref(self.name("staged/db")), WithDecryption=True)["Parameter"]["Value"], "second")
        self.assertDenied(self.user.sm().get_secret_value, SecretId=created["ARN"], VersionStage="AWSPREVIOUS")
        self.assertDenied(self.user.ssm().get_parameter, Name=self.ref(self.name("staged/db")) + ":AWSPREVIOUS", WithDecryption=True)

    def test_a_resource_policy_deny_holds_through_the_reference(self):
        created = self.secret("fenced/db", "fenced-value")
        self.client.put_resource_policy(SecretId=created["ARN"], ResourcePolicy=policy_json(
            deny(GET, "*", principal={"AWS": self.user.arn})))
        self.assertDenied(self.user.ssm().get_parameter, Name=self.ref(self.name("fenced/db")), WithDecryption=True)

    def test_kms_decrypt_on_the_secrets_key_is_needed_through_the_reference(self):
        key = self.create_key()
        self.secret("cmk/db", "cmk-value", KmsKeyId=key["Arn"])
        err = self.assertDenied(self.user.ssm().get_parameter, Name=self.ref(self.name("cmk/db")), WithDecryption=True)
        self.assertIn("kms:Decrypt", err["Message"])
        self.iam.put_user_policy(UserName=self.user.name, PolicyName="key", PolicyDocument=policy_json(allow("kms:Decrypt", key["Arn"])))
        self.assertEqual(self.user.ssm().get_parameter(Name=self.ref(self.name("cmk/db")), WithDecryption=True)["Parameter"]["Value"], "cmk-value")

    def test_get_parameters_reports_the_denial_for_the_reference(self):
        self.secret("gold/db", "gold-value", Tags=[{"Key": "tier", "Value": "gold"}])
        self.iam.put_user_policy(UserName=self.user.name, PolicyName="no-gold", PolicyDocument=policy_json(
            deny(GET, "*", {"StringEquals": {"secretsmanager:ResourceTag/tier": "gold"}})))
        self.iam.put_user_policy(UserName=self.user.name, PolicyName="many", PolicyDocument=policy_json(allow("ssm:GetParameters", "*")))
        self.assertDenied(self.user.ssm().get_parameters, Names=[self.ref(self.name("gold/db"))], WithDecryption=True)


class AliasHijackTests(IndirectTestCase):
    """Finding 8: Create/Update/DeleteAlias are checked on the alias and on every key they touch."""

    def setUp(self):
        super().setUp()
        self.prod_key = self.create_key(Description="prod")
        self.mine = self.create_key(Description="the user's")
        self.prod_alias = self.create_alias(self.prod_key["KeyId"], "prod")
        self.user = self.new_principal("u", allow(["kms:CreateAlias", "kms:UpdateAlias", "kms:DeleteAlias", "kms:Encrypt"], self.mine["Arn"]))

    def target_of(self, alias):
        return self.kms.describe_key(KeyId=alias)["KeyMetadata"]["KeyId"]

    def test_update_alias_to_the_callers_key_is_denied(self):
        err = self.assertDenied(self.user.kms().update_alias, AliasName=self.prod_alias, TargetKeyId=self.mine["KeyId"])
        self.assertIn("kms:UpdateAlias", err["Message"])
        self.assertEqual(self.target_of(self.prod_alias), self.prod_key["KeyId"])

    def test_update_alias_needs_the_alias_the_old_key_and_the_new_key(self):
        alias_arn = self.alias_arn(self.prod_key, self.prod_alias)
        self.iam.put_user_policy(UserName=self.user.name, PolicyName="alias", PolicyDocument=policy_json(allow("kms:UpdateAlias", alias_arn)))
        err = self.assertDenied(self.user.kms().update_alias, AliasName=self.prod_alias, TargetKeyId=self.mine["KeyId"])
        self.assertIn(self.prod_key["Arn"], err["Message"])
        self.iam.put_user_policy(UserName=self.user.name, PolicyName="old-key", PolicyDocument=policy_json(allow("kms:UpdateAlias", self.prod_key["Arn"])))
        self.user.kms().update_alias(AliasName=self.prod_alias, TargetKeyId=self.mine["KeyId"])
        self.assertEqual(self.target_of(self.prod_alias), self.mine["KeyId"])

    def test_create_alias_needs_the_alias(self):
        name = self.alias_name("new")
        self.addCleanup(cleanup_key, None, (name,), self.region)
        self.assertDenied(self.user.kms().create_alias, AliasName=name, TargetKeyId=self.mine["KeyId"])
        self.iam.put_user_policy(UserName=self.user.name, PolicyName="alias", PolicyDocument=policy_json(
            allow("kms:CreateAlias", "arn:aws:kms:%s:%s:%s" % (self.region, self.account, name))))
        self.user.kms().create_alias(AliasName=name, TargetKeyId=self.mine["KeyId"])
        self.assertEqual(self.target_of(name), self.mine["KeyId"])

    def test_delete_alias_needs_the_alias_and_its_key(self):
        err = self.assertDenied(self.user.kms().delete_alias, AliasName=self.prod_alias)
        self.assertIn("kms:DeleteAlias", err["Message"])
        self.iam.put_user_policy(UserName=self.user.name, PolicyName="alias", PolicyDocument=policy_json(
            allow("kms:DeleteAlias", self.alias_arn(self.prod_key, self.prod_alias))))
        err = self.assertDenied(self.user.kms().delete_alias, AliasName=self.prod_alias)
        self.assertIn(self.prod_key["Arn"], err["Message"])
        self.assertEqual(self.target_of(self.prod_alias), self.prod_key["KeyId"])


class BatchGetFiltersTests(IndirectTestCase):
    """Finding 12: BatchGetSecretValue with Filters lists secrets, so it needs secretsmanager:ListSecrets."""

    def test_filters_need_list_secrets(self):
        prod = self.secret("prod/db", "p")
        user = self.new_principal("u", allow("secretsmanager:BatchGetSecretValue", "*"), allow(GET, self.secret_arn_pattern("prod/*")))
        filters = [{"Key": "name", "Values": [self.prefix]}]
        err = self.assertDenied(user.sm().batch_get_secret_value, Filters=filters)
        self.assertIn("secretsmanager:ListSecrets", err["Message"])
        # A list of ids needs no ListSecrets.
        got = user.sm().batch_get_secret_value(SecretIdList=[prod["ARN"]])
        self.assertEqual([v["SecretString"] for v in got["SecretValues"]], ["p"])
        self.iam.put_user_policy(UserName=user.name, PolicyName="list", PolicyDocument=policy_json(allow("secretsmanager:ListSecrets", "*")))
        got = user.sm().batch_get_secret_value(Filters=filters)
        self.assertEqual([v["SecretString"] for v in got["SecretValues"]], ["p"])


class BatchGetRequestContextTests(IndirectTestCase):
    """Finding 14: each secret of a batch is checked with the request's own context (source IP, transport)."""

    def setUp(self):
        super().setUp()
        self.prod = self.secret("prod/db", "p")

    def check_both_doors(self, condition_deny):
        user = self.new_principal("u", allow(["secretsmanager:BatchGetSecretValue", "secretsmanager:ListSecrets", GET], "*"), condition_deny)
        self.assertDenied(user.sm().get_secret_value, SecretId=self.prod["ARN"])
        for kwargs in ({"SecretIdList": [self.prod["ARN"]]}, {"Filters": [{"Key": "name", "Values": [self.prefix]}]}):
            with self.subTest(**{k: str(v) for k, v in kwargs.items()}):
                got = user.sm().batch_get_secret_value(**kwargs)
                self.assertEqual(got["SecretValues"], [])
                self.assertEqual([e["ErrorCode"] for e in got["Errors"]], ["AccessDeniedException"])

    def test_a_source_ip_deny_holds_per_item(self):
        self.check_both_doors(deny(GET, "*", {"IpAddress": {"aws:SourceIp": ["127.0.0.0/8", "::1/128"]}}))

    def test_a_secure_transport_deny_holds_per_item(self):
        self.check_both_doors(deny(GET, "*", {"Bool": {"aws:SecureTransport": "false"}}))


class SecretKeyMoveTests(IndirectTestCase):
    """KMS through Secrets Manager's writes: moving a secret to another key re-encrypts it, so it needs kms:Decrypt on
    the key it is under (else a caller moves it to a key it can use and reads it); a value needs kms:GenerateDataKey;
    a read is checked on the key that wrapped the version read."""

    def setUp(self):
        super().setUp()
        self.k1 = self.create_key(Description="the owner's key")
        self.k2 = self.create_key(Description="the user's key")
        self.s = self.secret("app/db", "k1-value", KmsKeyId=self.k1["Arn"])
        self.user = self.new_principal("u", allow("secretsmanager:*", self.secret_arn_pattern("app/*")), allow("kms:*", self.k2["Arn"]))

    def test_moving_a_secret_to_the_callers_key_needs_decrypt_on_its_key(self):
        self.assertDenied(self.user.sm().get_secret_value, SecretId=self.s["ARN"])
        err = self.assertDenied(self.user.sm().update_secret, SecretId=self.s["ARN"], KmsKeyId=self.k2["Arn"])
        self.assertIn("kms:Decrypt", err["Message"])
        self.assertIn(self.k1["Arn"], err["Message"])
        self.assertEqual(self.client.describe_secret(SecretId=self.s["ARN"])["KmsKeyId"], self.k1["Arn"])
        self.assertDenied(self.user.sm().get_secret_value, SecretId=self.s["ARN"])

    def test_a_version_left_under_the_old_key_is_checked_on_that_key(self):
        first = self.client.list_secret_version_ids(SecretId=self.s["ARN"])["Versions"][0]["VersionId"]
        self.client.put_secret_value(SecretId=self.s["ARN"], SecretString="second")
        self.client.put_secret_value(SecretId=self.s["ARN"], SecretString="third")
        self.client.update_secret(SecretId=self.s["ARN"], KmsKeyId=self.k2["Arn"])
        self.assertEqual(self.user.sm().get_secret_value(SecretId=self.s["ARN"])["SecretString"], "third")
        self.assertEqual(self.client.get_secret_value(SecretId=self.s["ARN"], VersionId=first)["SecretString"], "k1-value")
        err = self.assertDenied(self.user.sm().get_secret_value, SecretId=self.s["ARN"], VersionId=first)
        self.assertIn(self.k1["Arn"], err["Message"])

    def test_writing_a_value_needs_generate_data_key_on_the_secrets_key(self):
        err = self.assertDenied(self.user.sm().put_secret_value, SecretId=self.s["ARN"], SecretString="x")
        self.assertIn("kms:GenerateDataKey", err["Message"])
        self.assertDenied(self.user.sm().create_secret, Name=self.name("app/new"), SecretString="x", KmsKeyId=self.k1["Arn"])
        self.addCleanup(cleanup_secret, self.name("app/new"))
        mine = self.user.sm().create_secret(Name=self.name("app/mine"), SecretString="m", KmsKeyId=self.k2["Arn"])
        self.addCleanup(cleanup_secret, mine["ARN"])
        self.user.sm().put_secret_value(SecretId=mine["ARN"], SecretString="m2")
        # The AWS managed key lets every principal of the account use it through Secrets Manager.
        managed = self.user.sm().create_secret(Name=self.name("app/managed"), SecretString="v")
        self.addCleanup(cleanup_secret, managed["ARN"])
        self.assertEqual(self.user.sm().get_secret_value(SecretId=managed["ARN"])["SecretString"], "v")
