"""`aws kms` through the AWS CLI v1 (`python -m awscli`) and v2 (Debian's /usr/bin/aws 2.9.19).

As in test_cli.py, setup goes through boto3 and only the command under test through the CLI;
independent CLI calls run concurrently. Debian's v2 model predates RotationPeriodInDays,
RotateKeyOnDemand and ListKeyRotations, so those are v1-only here.
"""

import base64
import datetime
import json
import os
import unittest
import uuid

from helpers import (
    KMSTestCase,
    ServiceCliMixin,
    cleanup_key,
    temp_file,
    utcnow,
)
from test_cli import parse_iso


class KmsCliMixin(ServiceCliMixin):
    """`aws kms ...` commands."""

    SERVICE = "kms"


class KeyCommandsMixin(KmsCliMixin):
    """Key management commands: create/describe/list keys, aliases, state, deletion, policy, tags."""

    def test_create_describe_and_list_keys(self):
        created = self.ok("create-key", "--description", "made by the CLI",
                          "--tags", json.dumps([{"TagKey": "env", "TagValue": "cli"}]))
        meta = created["KeyMetadata"]
        self.addCleanup(cleanup_key, meta["Arn"])
        self.assertKeyArn(meta["Arn"], key_id=meta["KeyId"])
        self.assertEqual(meta["Description"], "made by the CLI")
        self.assertEqual((meta["KeyState"], meta["Enabled"]), ("Enabled", True))
        self.assertEqual(meta["KeyUsage"], "ENCRYPT_DECRYPT")
        self.assertEqual(meta["KeySpec"], "SYMMETRIC_DEFAULT")
        self.assertEqual(meta["KeyManager"], "CUSTOMER")
        self.assertRecent(parse_iso(meta["CreationDate"]), what="CLI CreationDate")
        described, listed = self.all_ok(self.parallel(
            ("describe-key", "--key-id", meta["Arn"]),
            ("list-keys", "--page-size", "100"),
        ))
        self.assertEqual(described["KeyMetadata"]["KeyId"], meta["KeyId"])
        self.assertEqual(described["KeyMetadata"]["Description"], "made by the CLI")
        self.assertIn({"KeyId": meta["KeyId"], "KeyArn": meta["Arn"]}, listed["Keys"])
        self.assertNotIn("NextMarker", listed)  # the CLI follows every page
        self.assertEqual(self.kms.list_resource_tags(KeyId=meta["KeyId"])["Tags"], [{"TagKey": "env", "TagValue": "cli"}])

    def test_create_alias_and_list_aliases(self):
        meta = self.create_key()
        alias = self.alias_name()
        self.assertNoOutput(self.aws("create-alias", "--alias-name", alias, "--target-key-id", meta["KeyId"]))
        self.addCleanup(self.kms.delete_alias, AliasName=alias)
        listed = self.ok("list-aliases", "--key-id", meta["KeyId"])
        self.assertEqual([(a["AliasName"], a["TargetKeyId"], a["AliasArn"]) for a in listed["Aliases"]],
                         [(alias, meta["KeyId"], self.alias_arn(meta, alias))])
        self.assertEqual(self.kms.describe_key(KeyId=alias)["KeyMetadata"]["KeyId"], meta["KeyId"])

    def test_disable_and_enable_key(self):
        meta = self.create_key()
        self.assertNoOutput(self.aws("disable-key", "--key-id", meta["KeyId"]))
        self.assertEqual(self.kms.describe_key(KeyId=meta["KeyId"])["KeyMetadata"]["KeyState"], "Disabled")
        self.assertNoOutput(self.aws("enable-key", "--key-id", meta["Arn"]))
        self.assertEqual(self.kms.describe_key(KeyId=meta["KeyId"])["KeyMetadata"]["KeyState"], "Enabled")

    def test_schedule_and_cancel_key_deletion(self):
        meta = self.create_key()
        now = utcnow()
        out = self.ok("schedule-key-deletion", "--key-id", meta["KeyId"], "--pending-window-in-days", "7")
        self.assertEqual(out["KeyId"], meta["Arn"])
        self.assertEqual(out["KeyState"], "PendingDeletion")
        self.assertEqual(out["PendingWindowInDays"], 7)
        self.assertClose(parse_iso(out["DeletionDate"]), now + datetime.timedelta(days=7), 86400 + 600,
                         "DeletionDate")
        cancelled = self.ok("cancel-key-deletion", "--key-id", meta["Arn"])
        self.assertEqual(cancelled["KeyId"], meta["Arn"])
        self.assertEqual(self.kms.describe_key(KeyId=meta["KeyId"])["KeyMetadata"]["KeyState"], "Disabled")

    def test_get_key_policy(self):
        meta = self.create_key()
        out = self.ok("get-key-policy", "--key-id", meta["KeyId"], "--policy-name", "default")
        doc = json.loads(out["Policy"])
        sids = {s.get("Sid"): s for s in doc["Statement"]}
        self.assertIn("Enable IAM User Permissions", sids)
        self.assertEqual(sids["Enable IAM User Permissions"]["Principal"],
                         {"AWS": "arn:aws:iam::%s:root" % meta["AWSAccountId"]})

    def test_tag_resource_and_list_resource_tags(self):
        meta = self.create_key()
        self.assertNoOutput(self.aws("tag-resource", "--key-id", meta["KeyId"],
                                     "--tags", "TagKey=team,TagValue=core", "TagKey=env,TagValue=cli"))
        out = self.ok("list-resource-tags", "--key-id", meta["Arn"])
        self.assertEqual(sorted(out["Tags"], key=lambda t: t["TagKey"]),
                         [{"TagKey": "env", "TagValue": "cli"}, {"TagKey": "team", "TagValue": "core"}])


class CryptoCommandsMixin(KmsCliMixin):
    """Cryptographic and rotation commands, and error reporting."""

    def test_encrypt_and_decrypt_file_blobs(self):
        meta = self.create_key()
        alias = self.create_alias(meta["KeyId"])
        data = bytes(range(256)) + os.urandom(100)
        with temp_file(data) as path:
            enc = self.ok("encrypt", "--key-id", alias, "--plaintext", "fileb://" + path,
                          "--encryption-context", "purpose=e2e,app=cli")
        self.assertEqual(enc["KeyId"], meta["Arn"])
        self.assertEqual(enc["EncryptionAlgorithm"], "SYMMETRIC_DEFAULT")
        blob = base64.b64decode(enc["CiphertextBlob"])
        self.assertEqual(self.kms.decrypt(CiphertextBlob=blob, EncryptionContext={"purpose": "e2e", "app": "cli"})
                         ["Plaintext"], data)
        with temp_file(blob) as path:
            good = self.ok("decrypt", "--ciphertext-blob", "fileb://" + path,
                           "--encryption-context", "app=cli,purpose=e2e")
        self.assertEqual(base64.b64decode(good["Plaintext"]), data)
        self.assertEqual(good["KeyId"], meta["Arn"])

    def test_generate_data_key_and_re_encrypt(self):
        one, two = self.create_key(), self.create_key()
        aes, bare = self.all_ok(self.parallel(
            ("generate-data-key", "--key-id", one["KeyId"], "--key-spec", "AES_256"),
            ("generate-data-key-without-plaintext", "--key-id", one["Arn"], "--key-spec", "AES_128"),
        ))
        self.assertEqual(len(base64.b64decode(aes["Plaintext"])), 32)
        self.assertNotIn("Plaintext", bare)
        for out in (aes, bare):
            self.assertEqual(out["KeyId"], one["Arn"])
        blob = base64.b64decode(aes["CiphertextBlob"])
        self.assertEqual(self.kms.decrypt(CiphertextBlob=blob)["Plaintext"], base64.b64decode(aes["Plaintext"]))
        self.assertEqual(len(self.kms.decrypt(CiphertextBlob=base64.b64decode(bare["CiphertextBlob"]))["Plaintext"]), 16)
        with temp_file(blob) as path:
            moved = self.ok("re-encrypt", "--ciphertext-blob", "fileb://" + path,
                            "--destination-key-id", two["KeyId"], "--destination-encryption-context", "to=two")
        self.assertEqual((moved["SourceKeyId"], moved["KeyId"]), (one["Arn"], two["Arn"]))
        back = self.kms.decrypt(CiphertextBlob=base64.b64decode(moved["CiphertextBlob"]),
                                EncryptionContext={"to": "two"})
        self.assertEqual((back["Plaintext"], back["KeyId"]), (base64.b64decode(aes["Plaintext"]), two["Arn"]))

    def test_key_rotation(self):
        meta = self.create_key()
        now = utcnow()
        args = ["enable-key-rotation", "--key-id", meta["KeyId"]]
        if self.VERSION == 1:
            args += ["--rotation-period-in-days", "180"]
        self.assertNoOutput(self.aws(*args))
        status = self.ok("get-key-rotation-status", "--key-id", meta["Arn"])
        self.assertIs(status["KeyRotationEnabled"], True)
        if self.VERSION == 1:
            self.assertEqual(status["RotationPeriodInDays"], 180)
            self.assertClose(parse_iso(status["NextRotationDate"]), now + datetime.timedelta(days=180),
                             86400 + 600, "NextRotationDate")
        self.assertNoOutput(self.aws("disable-key-rotation", "--key-id", meta["KeyId"]))
        self.assertIs(self.kms.get_key_rotation_status(KeyId=meta["KeyId"])["KeyRotationEnabled"], False)

    def test_generate_random(self):
        out = self.ok("generate-random", "--number-of-bytes", "1024")
        self.assertEqual(len(base64.b64decode(out["Plaintext"])), 1024)

    def test_errors_exit_status_and_message(self):
        meta, disabled = self.create_key(), self.create_key()
        self.kms.disable_key(KeyId=disabled["KeyId"])
        blob = bytearray(self.kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"secret")["CiphertextBlob"])
        blob[-1] ^= 1
        with temp_file(bytes(blob)) as path:
            missing, reserved, tampered, window, not_pending, refused = self.parallel(
                ("describe-key", "--key-id", str(uuid.uuid4())),
                ("create-alias", "--alias-name", "alias/aws/" + self.prefix + "x", "--target-key-id", meta["KeyId"]),
                ("decrypt", "--ciphertext-blob", "fileb://" + path),
                ("schedule-key-deletion", "--key-id", meta["KeyId"], "--pending-window-in-days", "3"),
                ("cancel-key-deletion", "--key-id", meta["KeyId"]),
                ("generate-data-key", "--key-id", disabled["KeyId"], "--key-spec", "AES_256"),
            )
        self.assertCliError(missing, "NotFoundException", "DescribeKey")
        self.assertCliError(reserved, "InvalidAliasNameException", "CreateAlias")
        self.assertCliError(tampered, "InvalidCiphertextException", "Decrypt")
        self.assertCliError(window, "ValidationException", "ScheduleKeyDeletion")
        self.assertCliError(not_pending, "KMSInvalidStateException", "CancelKeyDeletion",
                            "%s is not pending deletion." % meta["Arn"])
        self.assertCliError(refused, "DisabledException", "GenerateDataKey", "%s is disabled." % disabled["Arn"])
        self.assertEqual(self.kms.describe_key(KeyId=meta["KeyId"])["KeyMetadata"]["KeyState"], "Enabled")


# Four classes so that run.py's workers can run them side by side (each CLI call is a process start).
class KmsCliV1KeyTests(KeyCommandsMixin, KMSTestCase):
    VERSION = 1


class KmsCliV1CryptoTests(CryptoCommandsMixin, KMSTestCase):
    VERSION = 1

    def test_rotate_key_on_demand_and_list_key_rotations(self):
        meta = self.create_key()
        before = self.kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"before")["CiphertextBlob"]
        out = self.ok("rotate-key-on-demand", "--key-id", meta["KeyId"])
        self.assertIn(out["KeyId"], (meta["KeyId"], meta["Arn"]))
        listed = self.ok("list-key-rotations", "--key-id", meta["Arn"])
        self.assertEqual([r["RotationType"] for r in listed["Rotations"]], ["ON_DEMAND"])
        self.assertRecent(parse_iso(listed["Rotations"][0]["RotationDate"]), what="CLI RotationDate")
        self.assertEqual(self.kms.decrypt(CiphertextBlob=before)["Plaintext"], b"before")


class KmsCliV2KeyTests(KeyCommandsMixin, KMSTestCase):
    VERSION = 2


class KmsCliV2CryptoTests(CryptoCommandsMixin, KMSTestCase):
    VERSION = 2


if __name__ == "__main__":
    unittest.main()
