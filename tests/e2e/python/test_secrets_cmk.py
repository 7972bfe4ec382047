"""Secrets under customer managed KMS keys (kms-api.md §3.10-§3.11, secretsmanager-api.md KmsKeyId).

The secret's key is given as key ID, key ARN, alias name or alias ARN; the key's state decides
whether the secret can be read (DecryptionFailure) or written (EncryptionFailure); UpdateSecret
with another key re-encrypts AWSCURRENT and AWSPREVIOUS.
"""

import unittest
import uuid

from helpers import ARN_RE, KMS_KEY_ARN_RE, KMSTestCase, cleanup_secret


class SecretsUnderCustomerKeysTests(KMSTestCase):
    def key_ids(self, meta):
        """Every value DescribeSecret may show for a secret created with one of meta's identifiers."""
        return {meta["KeyId"], meta["Arn"]}

    def test_create_secret_with_every_key_identifier(self):
        meta = self.create_key(Description="secrets")
        alias = self.create_alias(meta["KeyId"])
        identifiers = {
            "key id": meta["KeyId"], "key arn": meta["Arn"],
            "alias": alias, "alias arn": self.alias_arn(meta, alias),
        }
        for label, key_id in identifiers.items():
            with self.subTest(label):
                created = self.create(label.replace(" ", "-"), SecretString="value-" + label, KmsKeyId=key_id)
                got = self.client.get_secret_value(SecretId=created["ARN"])
                self.assertEqual(got["SecretString"], "value-" + label)
                desc = self.client.describe_secret(SecretId=created["ARN"])
                self.assertIn(desc.get("KmsKeyId"), self.key_ids(meta) | {key_id},
                              "DescribeSecret KmsKeyId for %s" % key_id)
                # Secret and key live in the same account.
                self.assertEqual(ARN_RE.match(created["ARN"]).group("account"),
                                 KMS_KEY_ARN_RE.match(meta["Arn"]).group("account"))

    def test_disabled_key_blocks_reads_and_writes_until_enabled(self):
        meta = self.create_key()
        created = self.create(SecretString="first", KmsKeyId=meta["KeyId"])
        arn = created["ARN"]
        self.kms.disable_key(KeyId=meta["KeyId"])
        self.assertAwsError("DecryptionFailure", self.client.get_secret_value, SecretId=arn, status=400)
        self.assertAwsError("EncryptionFailure", self.client.put_secret_value, SecretId=arn, SecretString="second",
                            status=400)
        self.assertAwsError("EncryptionFailure", self.client.update_secret, SecretId=arn, SecretString="third")
        # Metadata doesn't need the key, and the failed writes left no version behind.
        self.assertEqual(self.versions_to_stages(arn), {created["VersionId"]: ["AWSCURRENT"]})
        self.kms.enable_key(KeyId=meta["KeyId"])
        got = self.client.get_secret_value(SecretId=arn)
        self.assertEqual((got["SecretString"], got["VersionId"]), ("first", created["VersionId"]))
        self.client.put_secret_value(SecretId=arn, SecretString="second")
        self.assertEqual(self.client.get_secret_value(SecretId=arn)["SecretString"], "second")

    def test_key_pending_deletion_blocks_reads_and_writes_until_cancelled(self):
        meta = self.create_key()
        alias = self.create_alias(meta["KeyId"])
        created = self.create(SecretBinary=b"\x00\x01bin", KmsKeyId=alias)
        arn = created["ARN"]
        self.kms.schedule_key_deletion(KeyId=meta["KeyId"], PendingWindowInDays=7)
        self.assertAwsError("DecryptionFailure", self.client.get_secret_value, SecretId=arn)
        self.assertAwsError("EncryptionFailure", self.client.put_secret_value, SecretId=arn, SecretString="x")
        self.kms.cancel_key_deletion(KeyId=meta["KeyId"])
        self.assertAwsError("DecryptionFailure", self.client.get_secret_value, SecretId=arn)  # now Disabled
        self.kms.enable_key(KeyId=meta["KeyId"])
        self.assertEqual(self.client.get_secret_value(SecretId=arn)["SecretBinary"], b"\x00\x01bin")

    def test_update_secret_to_another_key_re_encrypts_current_and_previous(self):
        old, new = self.create_key(), self.create_key()
        created = self.create(SecretString="v1", KmsKeyId=old["Arn"])
        arn = created["ARN"]
        v1 = created["VersionId"]
        v2 = self.client.put_secret_value(SecretId=arn, SecretString="v2")["VersionId"]
        self.client.update_secret(SecretId=arn, KmsKeyId=new["KeyId"])
        self.assertIn(self.client.describe_secret(SecretId=arn).get("KmsKeyId"), self.key_ids(new))
        self.assertEqual(self.versions_to_stages(arn), {v1: ["AWSPREVIOUS"], v2: ["AWSCURRENT"]})
        versions = {v["VersionId"]: v for v in self.client.list_secret_version_ids(SecretId=arn)["Versions"]}
        for version in (v1, v2):
            with self.subTest(version=version):
                self.assertEqual(versions[version].get("KmsKeyIds"), [new["Arn"]])
        # Both staged versions are now readable without the old key.
        self.kms.disable_key(KeyId=old["KeyId"])
        self.assertEqual(self.client.get_secret_value(SecretId=arn)["SecretString"], "v2")
        self.assertEqual(self.client.get_secret_value(SecretId=arn, VersionStage="AWSPREVIOUS")["SecretString"], "v1")
        # ...but not without the new one.
        self.kms.disable_key(KeyId=new["KeyId"])
        self.assertAwsError("DecryptionFailure", self.client.get_secret_value, SecretId=arn)
        self.kms.enable_key(KeyId=new["KeyId"])
        self.client.put_secret_value(SecretId=arn, SecretString="v3")
        self.assertEqual(self.client.get_secret_value(SecretId=arn)["SecretString"], "v3")

    def test_create_secret_with_an_unknown_key(self):
        meta = self.create_key()
        for label, key_id in (
            ("key id", str(uuid.uuid4())),
            ("alias", self.alias_name("missing")),
            ("key arn", "arn:aws:kms:%s:%s:key/%s" % (self.region, meta["AWSAccountId"], uuid.uuid4())),
        ):
            with self.subTest(label):
                name = self.name("unknown-" + label.replace(" ", "-"))
                self.addCleanup(cleanup_secret, name)
                self.assertAwsError(("EncryptionFailure", "ResourceNotFoundException"), self.client.create_secret,
                                    Name=name, SecretString="v", KmsKeyId=key_id)
                self.assertNotFound(self.client.describe_secret, SecretId=name)


if __name__ == "__main__":
    unittest.main()
