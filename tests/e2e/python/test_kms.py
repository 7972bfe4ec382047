"""AWS KMS through boto3 (shared/api/kms-api.md §2-§3): keys, aliases, cryptography, key states,
rotation, key policies, tags, and the AWS managed key `alias/aws/secretsmanager`.

Every key is created by the test that uses it and scheduled for deletion afterwards (7 days, the
shortest window); aliases are `alias/t-<uuid8>/...` and deleted afterwards.
"""

import datetime
import json
import os
import re
import unittest
import uuid

from botocore.exceptions import ClientError

from helpers import (
    KMS_ALIAS_ARN_RE,
    KMS_KEY_ARN_RE,
    KMS_KEY_ID_RE,
    SECRETSMANAGER_MANAGED_ALIAS,
    KMSTestCase,
    cleanup_key,
    kms,
    utcnow,
)

HERE = os.path.dirname(os.path.abspath(__file__))
DAY = 86400
# DeletionDate/NextRotationDate are "now + N days"; a server may round to the day.
DATE_SLACK = DAY + 600


def flip(blob, index):
    data = bytearray(blob)
    data[index] ^= 0x01
    return bytes(data)


class KeyLifecycleTests(KMSTestCase):
    """CreateKey, DescribeKey, UpdateKeyDescription, EnableKey/DisableKey (§2.1, §3.2, §3.3)."""

    def assertSymmetricMetadata(self, meta, state="Enabled", description=""):
        self.assertRegex(meta["AWSAccountId"], r"^\d{12}$")
        self.assertRegex(meta["KeyId"], KMS_KEY_ID_RE)
        self.assertEqual(
            meta["Arn"], "arn:aws:kms:%s:%s:key/%s" % (self.region, meta["AWSAccountId"], meta["KeyId"])
        )
        self.assertRecent(meta["CreationDate"], what="CreationDate")
        self.assertEqual(meta["Enabled"], state == "Enabled")
        self.assertEqual(meta["KeyState"], state)
        self.assertEqual(meta["Description"], description)
        self.assertEqual(meta["KeyUsage"], "ENCRYPT_DECRYPT")
        self.assertEqual(meta["Origin"], "AWS_KMS")
        self.assertEqual(meta["KeyManager"], "CUSTOMER")
        self.assertEqual(meta["KeySpec"], "SYMMETRIC_DEFAULT")
        self.assertEqual(meta["CustomerMasterKeySpec"], "SYMMETRIC_DEFAULT")
        self.assertEqual(meta["EncryptionAlgorithms"], ["SYMMETRIC_DEFAULT"])
        self.assertIs(meta["MultiRegion"], False)

    def test_create_key_defaults(self):
        meta = self.create_key()
        self.assertSymmetricMetadata(meta)
        self.assertNotIn("DeletionDate", meta)
        described = self.describe_key(meta["KeyId"])
        self.assertSymmetricMetadata(described)
        for field in ("KeyId", "Arn", "AWSAccountId", "CreationDate"):
            self.assertEqual(described[field], meta[field], field)

    def test_create_key_explicit_symmetric_spec_description_and_tags(self):
        meta = self.create_key(
            KeySpec="SYMMETRIC_DEFAULT", KeyUsage="ENCRYPT_DECRYPT", Origin="AWS_KMS", Description="for e2e",
            Tags=[{"TagKey": "team", "TagValue": "core"}, {"TagKey": "empty", "TagValue": ""}],
        )
        self.assertSymmetricMetadata(meta, description="for e2e")
        self.assertEqual(self.describe_key(meta["Arn"])["Description"], "for e2e")
        tags = self.kms.list_resource_tags(KeyId=meta["KeyId"])["Tags"]
        self.assertEqual(sorted((t["TagKey"], t["TagValue"]) for t in tags), [("empty", ""), ("team", "core")])

    def test_create_key_with_the_old_customer_master_key_spec(self):
        meta = self.create_key(CustomerMasterKeySpec="SYMMETRIC_DEFAULT")
        self.assertSymmetricMetadata(meta)

    def test_create_key_unsupported_specs(self):
        for spec, usage in (("RSA_2048", "ENCRYPT_DECRYPT"), ("HMAC_256", "GENERATE_VERIFY_MAC")):
            with self.subTest(spec=spec):
                try:
                    meta = self.kms.create_key(KeySpec=spec, KeyUsage=usage)["KeyMetadata"]
                except ClientError as exc:
                    self.assertEqual(exc.response["Error"]["Code"], "UnsupportedOperationException",
                                     exc.response["Error"].get("Message"))
                else:
                    self.addCleanup(cleanup_key, meta["Arn"])
                    self.fail("CreateKey KeySpec=%s succeeded: expected UnsupportedOperationException" % spec)

    def test_describe_key_by_id_arn_alias_and_alias_arn(self):
        meta = self.create_key()
        alias = self.create_alias(meta["KeyId"])
        for key_id in (meta["KeyId"], meta["Arn"], alias, self.alias_arn(meta, alias)):
            with self.subTest(key_id=key_id):
                described = self.describe_key(key_id)
                self.assertEqual(described["KeyId"], meta["KeyId"])
                self.assertEqual(described["Arn"], meta["Arn"])

    def test_describe_unknown_key(self):
        meta = self.create_key()
        missing = str(uuid.uuid4())
        for key_id in (
            missing,
            "arn:aws:kms:%s:%s:key/%s" % (self.region, meta["AWSAccountId"], missing),
            self.alias_name("missing"),
            self.alias_arn(meta, self.alias_name("missing")),
        ):
            with self.subTest(key_id=key_id):
                self.assertAwsError("NotFoundException", self.kms.describe_key, KeyId=key_id, status=400)

    def test_update_key_description(self):
        meta = self.create_key(Description="before")
        self.assertEqual(self.kms.update_key_description(KeyId=meta["KeyId"], Description="after")
                         ["ResponseMetadata"]["HTTPStatusCode"], 200)
        self.assertEqual(self.describe_key(meta["KeyId"])["Description"], "after")
        self.kms.update_key_description(KeyId=meta["Arn"], Description="")
        self.assertEqual(self.describe_key(meta["KeyId"])["Description"], "")
        self.assertAwsError("NotFoundException", self.kms.update_key_description,
                            KeyId=str(uuid.uuid4()), Description="x")

    def test_disable_and_enable_key(self):
        meta = self.create_key()
        self.kms.disable_key(KeyId=meta["KeyId"])
        disabled = self.describe_key(meta["KeyId"])
        self.assertEqual((disabled["Enabled"], disabled["KeyState"]), (False, "Disabled"))
        self.kms.disable_key(KeyId=meta["Arn"])  # idempotent
        self.kms.enable_key(KeyId=meta["Arn"])
        enabled = self.describe_key(meta["KeyId"])
        self.assertEqual((enabled["Enabled"], enabled["KeyState"]), (True, "Enabled"))
        self.kms.enable_key(KeyId=meta["KeyId"])  # idempotent
        for op in (self.kms.enable_key, self.kms.disable_key):
            with self.subTest(op=op.__name__):
                self.assertAwsError("NotFoundException", op, KeyId=str(uuid.uuid4()))


class KeyDeletionTests(KMSTestCase):
    """ScheduleKeyDeletion/CancelKeyDeletion (§2.1, §3.3, §3.10)."""

    def test_schedule_key_deletion_default_window(self):
        meta = self.create_key()
        now = utcnow()
        out = self.kms.schedule_key_deletion(KeyId=meta["KeyId"])
        self.assertEqual(out["KeyId"], meta["Arn"])
        self.assertEqual(out["KeyState"], "PendingDeletion")
        self.assertEqual(out["PendingWindowInDays"], 30)
        self.assertClose(out["DeletionDate"], now + datetime.timedelta(days=30), DATE_SLACK, "DeletionDate")
        described = self.describe_key(meta["Arn"])
        self.assertEqual((described["KeyState"], described["Enabled"]), ("PendingDeletion", False))
        self.assertClose(described["DeletionDate"], out["DeletionDate"], 5, "DescribeKey DeletionDate")

    def test_schedule_key_deletion_window_bounds(self):
        shortest, longest, bad = self.create_key(), self.create_key(), self.create_key()
        now = utcnow()
        out7 = self.kms.schedule_key_deletion(KeyId=shortest["Arn"], PendingWindowInDays=7)
        self.assertEqual(out7["PendingWindowInDays"], 7)
        self.assertClose(out7["DeletionDate"], now + datetime.timedelta(days=7), DATE_SLACK, "DeletionDate(7)")
        out30 = self.kms.schedule_key_deletion(KeyId=longest["KeyId"], PendingWindowInDays=30)
        self.assertClose(out30["DeletionDate"], now + datetime.timedelta(days=30), DATE_SLACK, "DeletionDate(30)")
        for days in (6, 31, 365):
            with self.subTest(days=days):
                self.assertAwsError("ValidationException", self.kms.schedule_key_deletion,
                                    KeyId=bad["KeyId"], PendingWindowInDays=days)
        self.assertEqual(self.describe_key(bad["KeyId"])["KeyState"], "Enabled")

    def test_cancel_key_deletion_leaves_the_key_disabled(self):
        meta = self.create_key()
        self.kms.schedule_key_deletion(KeyId=meta["KeyId"], PendingWindowInDays=7)
        out = self.kms.cancel_key_deletion(KeyId=meta["KeyId"])
        self.assertEqual(out["KeyId"], meta["Arn"])
        described = self.describe_key(meta["KeyId"])
        self.assertEqual((described["KeyState"], described["Enabled"]), ("Disabled", False))
        self.assertNotIn("DeletionDate", described)
        self.kms.enable_key(KeyId=meta["KeyId"])
        blob = self.kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"back")["CiphertextBlob"]
        self.assertEqual(self.kms.decrypt(CiphertextBlob=blob)["Plaintext"], b"back")

    def test_schedule_deletion_of_a_disabled_key_and_cancel_by_arn(self):
        meta = self.create_key()
        self.kms.disable_key(KeyId=meta["KeyId"])
        out = self.kms.schedule_key_deletion(KeyId=meta["Arn"], PendingWindowInDays=10)
        self.assertEqual(out["KeyState"], "PendingDeletion")
        self.assertEqual(self.kms.cancel_key_deletion(KeyId=meta["Arn"])["KeyId"], meta["Arn"])
        self.assertEqual(self.describe_key(meta["KeyId"])["KeyState"], "Disabled")

    def test_cancel_key_deletion_of_a_key_not_pending_deletion(self):
        meta = self.create_key()
        for key_id in (meta["KeyId"], meta["Arn"]):
            with self.subTest(key_id=key_id):
                self.assertAwsError("KMSInvalidStateException", self.kms.cancel_key_deletion, KeyId=key_id,
                                    message="%s is not pending deletion." % meta["Arn"], status=400)
        self.kms.disable_key(KeyId=meta["KeyId"])
        self.assertAwsError("KMSInvalidStateException", self.kms.cancel_key_deletion, KeyId=meta["KeyId"],
                            message="%s is not pending deletion." % meta["Arn"])
        self.assertAwsError("NotFoundException", self.kms.cancel_key_deletion, KeyId=str(uuid.uuid4()))
        self.assertAwsError("NotFoundException", self.kms.schedule_key_deletion, KeyId=str(uuid.uuid4()))

    def test_pending_deletion_blocks_management_but_not_reads(self):
        meta = self.create_key(Tags=[{"TagKey": "k", "TagValue": "v"}])
        alias = self.create_alias(meta["KeyId"])
        self.kms.schedule_key_deletion(KeyId=meta["KeyId"], PendingWindowInDays=7)
        key = meta["KeyId"]
        blocked = {
            "EnableKey": lambda: self.kms.enable_key(KeyId=key),
            "DisableKey": lambda: self.kms.disable_key(KeyId=key),
            "UpdateKeyDescription": lambda: self.kms.update_key_description(KeyId=key, Description="x"),
            "TagResource": lambda: self.kms.tag_resource(KeyId=key, Tags=[{"TagKey": "a", "TagValue": "b"}]),
            "UntagResource": lambda: self.kms.untag_resource(KeyId=key, TagKeys=["k"]),
            "CreateAlias": lambda: self.kms.create_alias(AliasName=self.alias_name("other"), TargetKeyId=key),
            "ScheduleKeyDeletion": lambda: self.kms.schedule_key_deletion(KeyId=key, PendingWindowInDays=7),
            "EnableKeyRotation": lambda: self.kms.enable_key_rotation(KeyId=key),
        }
        for op, call in blocked.items():
            with self.subTest(op=op):
                self.assertAwsError("KMSInvalidStateException", call)
        self.assertEqual(self.describe_key(alias)["KeyState"], "PendingDeletion")
        self.assertTrue(json.loads(self.kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"]))
        self.assertEqual(self.kms.list_key_policies(KeyId=key)["PolicyNames"], ["default"])
        self.assertEqual(self.kms.list_resource_tags(KeyId=key)["Tags"], [{"TagKey": "k", "TagValue": "v"}])
        self.assertEqual([a["AliasName"] for a in self.kms.list_aliases(KeyId=key)["Aliases"]], [alias])
        self.kms.delete_alias(AliasName=alias)
        self.assertEqual(self.kms.list_aliases(KeyId=key)["Aliases"], [])


class ListKeysTests(KMSTestCase):
    """ListKeys pagination (§2.1, §3.12)."""

    def test_list_keys_paginator_sees_new_keys(self):
        created = [self.create_key() for _ in range(3)]
        seen = {}
        for page in self.kms.get_paginator("list_keys").paginate(PaginationConfig={"PageSize": 50}):
            for entry in page["Keys"]:
                self.assertNotIn(entry["KeyId"], seen, "key listed twice")
                seen[entry["KeyId"]] = entry["KeyArn"]
        for meta in created:
            self.assertEqual(seen.get(meta["KeyId"]), meta["Arn"])
        for key_id, arn in seen.items():
            self.assertTrue(KMS_KEY_ARN_RE.match(arn) and arn.endswith("/" + key_id), arn)

    def test_list_keys_limit_and_marker(self):
        for _ in range(3):
            self.create_key()
        first = self.kms.list_keys(Limit=1)
        self.assertEqual(len(first["Keys"]), 1)
        self.assertIs(first["Truncated"], True)
        self.assertTrue(first["NextMarker"])
        second = self.kms.list_keys(Limit=2, Marker=first["NextMarker"])
        self.assertEqual(len(second["Keys"]), 2)
        ids = [k["KeyId"] for k in first["Keys"] + second["Keys"]]
        self.assertEqual(len(set(ids)), 3, ids)
        if second["Truncated"]:
            self.assertTrue(second["NextMarker"])
        # The last page says so and has no marker.
        page = {"Truncated": True, "NextMarker": second.get("NextMarker") or first["NextMarker"]}
        pages = 0
        while page["Truncated"]:
            page = self.kms.list_keys(Limit=1000, Marker=page["NextMarker"])
            pages += 1
            self.assertLess(pages, 1000)
        self.assertNotIn("NextMarker", page)

    def test_list_keys_bad_limit_and_marker(self):
        self.assertAwsError("ValidationException", self.kms.list_keys, Limit=1001)
        self.assertAwsError("ValidationException", kms(validate=False).list_keys, Limit=0)
        self.assertAwsError("InvalidMarkerException", self.kms.list_keys, Marker="not-a-marker-" + uuid.uuid4().hex)


class AliasTests(KMSTestCase):
    """CreateAlias, UpdateAlias, DeleteAlias, ListAliases (§2.2, §3.7)."""

    def test_create_alias_and_list_aliases_for_the_key(self):
        meta = self.create_key()
        a = self.create_alias(meta["KeyId"], "a")
        b = self.alias_name("b")
        self.kms.create_alias(AliasName=b, TargetKeyId=meta["Arn"])  # TargetKeyId as an ARN
        self.addCleanup(self.kms.delete_alias, AliasName=b)
        for key_id in (meta["KeyId"], meta["Arn"]):
            with self.subTest(key_id=key_id):
                out = self.kms.list_aliases(KeyId=key_id)
                self.assertIs(out["Truncated"], False)
                entries = sorted(out["Aliases"], key=lambda e: e["AliasName"])
                self.assertEqual([e["AliasName"] for e in entries], [a, b])
                for entry in entries:
                    self.assertEqual(entry["AliasArn"], self.alias_arn(meta, entry["AliasName"]))
                    self.assertTrue(KMS_ALIAS_ARN_RE.match(entry["AliasArn"]), entry["AliasArn"])
                    self.assertEqual(entry["TargetKeyId"], meta["KeyId"])  # a key ID, not an ARN
                    self.assertRecent(entry["CreationDate"], what="alias CreationDate")
                    self.assertRecent(entry["LastUpdatedDate"], what="alias LastUpdatedDate")

    def test_list_aliases_without_filter_paginates_and_includes_ours(self):
        meta = self.create_key()
        mine = {self.create_alias(meta["KeyId"], "p%d" % i) for i in range(3)}
        seen = []
        for page in self.kms.get_paginator("list_aliases").paginate(PaginationConfig={"PageSize": 2}):
            self.assertLessEqual(len(page["Aliases"]), 2)
            seen.extend(e["AliasName"] for e in page["Aliases"])
        self.assertEqual(len(seen), len(set(seen)), "alias listed twice")
        self.assertTrue(mine <= set(seen), mine - set(seen))
        first = self.kms.list_aliases(KeyId=meta["KeyId"], Limit=1)
        self.assertEqual(len(first["Aliases"]), 1)
        self.assertIs(first["Truncated"], True)
        rest = self.kms.list_aliases(KeyId=meta["KeyId"], Marker=first["NextMarker"])
        self.assertEqual({e["AliasName"] for e in first["Aliases"] + rest["Aliases"]}, mine)

    def test_alias_names_must_start_with_alias_and_not_be_reserved(self):
        meta = self.create_key()
        bad = {
            "no prefix": (("InvalidAliasNameException", "ValidationException"), self.prefix + "x"),
            "reserved": ("InvalidAliasNameException", "alias/aws/" + self.prefix + "x"),
            "bad characters": (("InvalidAliasNameException", "ValidationException"), self.alias_name("with space")),
        }
        for label, (codes, name) in bad.items():
            with self.subTest(label):
                self.assertAwsError(codes, self.kms.create_alias, AliasName=name, TargetKeyId=meta["KeyId"])
        self.assertEqual(self.kms.list_aliases(KeyId=meta["KeyId"])["Aliases"], [])

    def test_duplicate_alias_and_missing_target(self):
        one, two = self.create_key(), self.create_key()
        alias = self.create_alias(one["KeyId"])
        self.assertAwsError("AlreadyExistsException", self.kms.create_alias, AliasName=alias,
                            TargetKeyId=two["KeyId"], status=400)
        self.assertEqual(self.describe_key(alias)["KeyId"], one["KeyId"])
        self.assertAwsError("NotFoundException", self.kms.create_alias, AliasName=self.alias_name("orphan"),
                            TargetKeyId=str(uuid.uuid4()))

    def test_update_alias_points_it_at_another_key(self):
        one, two = self.create_key(), self.create_key()
        alias = self.create_alias(one["KeyId"])
        before = self.kms.encrypt(KeyId=alias, Plaintext=b"before")
        self.assertEqual(before["KeyId"], one["Arn"])
        self.kms.update_alias(AliasName=alias, TargetKeyId=two["KeyId"])
        self.assertEqual(self.describe_key(alias)["KeyId"], two["KeyId"])
        self.assertEqual(self.kms.list_aliases(KeyId=one["KeyId"])["Aliases"], [])
        self.assertEqual([e["AliasName"] for e in self.kms.list_aliases(KeyId=two["KeyId"])["Aliases"]], [alias])
        after = self.kms.encrypt(KeyId=alias, Plaintext=b"after")
        self.assertEqual(after["KeyId"], two["Arn"])
        # Old ciphertext still names its own key.
        self.assertEqual(self.kms.decrypt(CiphertextBlob=before["CiphertextBlob"])["KeyId"], one["Arn"])
        self.kms.update_alias(AliasName=alias, TargetKeyId=one["Arn"])
        self.assertEqual(self.describe_key(self.alias_arn(one, alias))["KeyId"], one["KeyId"])
        self.assertAwsError("NotFoundException", self.kms.update_alias, AliasName=self.alias_name("missing"),
                            TargetKeyId=one["KeyId"])
        self.assertAwsError("NotFoundException", self.kms.update_alias, AliasName=alias,
                            TargetKeyId=str(uuid.uuid4()))

    def test_delete_alias(self):
        meta = self.create_key()
        alias = self.alias_name()
        self.kms.create_alias(AliasName=alias, TargetKeyId=meta["KeyId"])
        self.kms.delete_alias(AliasName=alias)
        self.assertAwsError("NotFoundException", self.kms.describe_key, KeyId=alias)
        self.assertEqual(self.kms.list_aliases(KeyId=meta["KeyId"])["Aliases"], [])
        self.assertAwsError("NotFoundException", self.kms.delete_alias, AliasName=alias)
        self.assertAwsError("NotFoundException", self.kms.encrypt, KeyId=alias, Plaintext=b"x")
        # The key itself is untouched, and the name can be used again.
        self.assertEqual(self.describe_key(meta["KeyId"])["KeyState"], "Enabled")
        self.create_alias(meta["KeyId"])


class CryptoTests(KMSTestCase):
    """Encrypt, Decrypt, GenerateDataKey*, ReEncrypt, GenerateRandom (§2.3, §3.4, §3.5)."""

    def setUp(self):
        super().setUp()
        self.key = self.create_key()
        self.arn = self.key["Arn"]

    def test_encrypt_decrypt_with_every_key_identifier(self):
        alias = self.create_alias(self.key["KeyId"])
        plaintext = os.urandom(100)
        for key_id in (self.key["KeyId"], self.arn, alias, self.alias_arn(self.key, alias)):
            with self.subTest(key_id=key_id):
                out = self.kms.encrypt(KeyId=key_id, Plaintext=plaintext)
                self.assertEqual(out["KeyId"], self.arn)  # always the key ARN
                self.assertEqual(out["EncryptionAlgorithm"], "SYMMETRIC_DEFAULT")
                blob = out["CiphertextBlob"]
                self.assertTrue(len(plaintext) < len(blob) <= 6144, len(blob))
                self.assertNotIn(plaintext[:16], blob)
                plain = self.kms.decrypt(CiphertextBlob=blob)  # no KeyId: the blob names its key
                self.assertEqual(plain["Plaintext"], plaintext)
                self.assertEqual(plain["KeyId"], self.arn)
                self.assertEqual(plain["EncryptionAlgorithm"], "SYMMETRIC_DEFAULT")
                self.assertEqual(self.kms.decrypt(CiphertextBlob=blob, KeyId=key_id)["Plaintext"], plaintext)

    def test_encrypt_is_randomized_and_takes_1_to_4096_bytes(self):
        a = self.kms.encrypt(KeyId=self.arn, Plaintext=b"same")["CiphertextBlob"]
        b = self.kms.encrypt(KeyId=self.arn, Plaintext=b"same")["CiphertextBlob"]
        self.assertNotEqual(a, b)
        for size in (1, 4096):
            with self.subTest(size=size):
                data = os.urandom(size)
                blob = self.kms.encrypt(KeyId=self.arn, Plaintext=data)["CiphertextBlob"]
                self.assertLessEqual(len(blob), 6144)
                self.assertEqual(self.kms.decrypt(CiphertextBlob=blob)["Plaintext"], data)
        self.assertAwsError("ValidationException", self.kms.encrypt, KeyId=self.arn, Plaintext=os.urandom(4097))
        self.assertAwsError("ValidationException", kms(validate=False).encrypt, KeyId=self.arn, Plaintext=b"")

    def test_decrypt_with_the_wrong_key_id(self):
        other = self.create_key()
        other_alias = self.create_alias(other["KeyId"])
        blob = self.kms.encrypt(KeyId=self.arn, Plaintext=b"mine")["CiphertextBlob"]
        for key_id in (other["KeyId"], other["Arn"], other_alias):
            with self.subTest(key_id=key_id):
                self.assertAwsError("IncorrectKeyException", self.kms.decrypt, CiphertextBlob=blob, KeyId=key_id,
                                    status=400)

    def test_encryption_context_must_match_exactly(self):
        ctx = {"SecretARN": "arn:x", "purpose": "e2e", "ünïcode": "välue"}
        blob = self.kms.encrypt(KeyId=self.arn, Plaintext=b"ctx", EncryptionContext=ctx)["CiphertextBlob"]
        reordered = dict(reversed(list(ctx.items())))
        self.assertEqual(self.kms.decrypt(CiphertextBlob=blob, EncryptionContext=reordered)["Plaintext"], b"ctx")
        wrong = {
            "missing": None,
            "empty": {},
            "subset": {"SecretARN": "arn:x", "purpose": "e2e"},
            "extra": dict(ctx, more="x"),
            "other value": dict(ctx, purpose="E2E"),
            "other key case": {"secretarn": "arn:x", "purpose": "e2e", "ünïcode": "välue"},
        }
        for label, context in wrong.items():
            with self.subTest(label):
                kwargs = {} if context is None else {"EncryptionContext": context}
                self.assertAwsError("InvalidCiphertextException", self.kms.decrypt, CiphertextBlob=blob, **kwargs)
        plain = self.kms.encrypt(KeyId=self.arn, Plaintext=b"none")["CiphertextBlob"]
        self.assertAwsError("InvalidCiphertextException", self.kms.decrypt, CiphertextBlob=plain,
                            EncryptionContext={"a": "b"})

    def test_tampered_or_foreign_ciphertext(self):
        blob = self.kms.encrypt(KeyId=self.arn, Plaintext=os.urandom(64))["CiphertextBlob"]
        cases = {
            "last byte flipped": flip(blob, len(blob) - 1),
            "body byte flipped": flip(blob, len(blob) - 40),
            "truncated": blob[:-1],
            "extended": blob + b"\x00",
            "random bytes": os.urandom(len(blob)),
        }
        for label, bad in cases.items():
            with self.subTest(label):
                self.assertAwsError("InvalidCiphertextException", self.kms.decrypt, CiphertextBlob=bad, status=400)
        self.assertEqual(len(self.kms.decrypt(CiphertextBlob=blob)["Plaintext"]), 64)

    def test_unknown_key(self):
        missing = str(uuid.uuid4())
        for key_id in (missing, self.alias_name("missing")):
            with self.subTest(key_id=key_id):
                self.assertAwsError("NotFoundException", self.kms.encrypt, KeyId=key_id, Plaintext=b"x")
                self.assertAwsError("NotFoundException", self.kms.generate_data_key, KeyId=key_id,
                                    KeySpec="AES_256")

    def test_generate_data_key_sizes_and_round_trip(self):
        ctx = {"SecretVersionId": "v1"}
        for kwargs, size in (({"KeySpec": "AES_256"}, 32), ({"KeySpec": "AES_128"}, 16),
                             ({"NumberOfBytes": 64}, 64), ({"NumberOfBytes": 1}, 1), ({"NumberOfBytes": 1024}, 1024)):
            with self.subTest(**kwargs):
                out = self.kms.generate_data_key(KeyId=self.key["KeyId"], EncryptionContext=ctx, **kwargs)
                self.assertEqual(out["KeyId"], self.arn)
                self.assertEqual(len(out["Plaintext"]), size)
                back = self.kms.decrypt(CiphertextBlob=out["CiphertextBlob"], EncryptionContext=ctx)
                self.assertEqual(back["Plaintext"], out["Plaintext"])
                self.assertEqual(back["KeyId"], self.arn)
                self.assertAwsError("InvalidCiphertextException", self.kms.decrypt,
                                    CiphertextBlob=out["CiphertextBlob"])
        a = self.kms.generate_data_key(KeyId=self.arn, KeySpec="AES_256")["Plaintext"]
        b = self.kms.generate_data_key(KeyId=self.arn, KeySpec="AES_256")["Plaintext"]
        self.assertNotEqual(a, b)

    def test_generate_data_key_needs_exactly_one_of_key_spec_and_number_of_bytes(self):
        for label, kwargs in (("neither", {}), ("both", {"KeySpec": "AES_256", "NumberOfBytes": 32}),
                              ("too many bytes", {"NumberOfBytes": 1025})):
            with self.subTest(label):
                self.assertAwsError("ValidationException", self.kms.generate_data_key, KeyId=self.arn, **kwargs)
                self.assertAwsError("ValidationException", self.kms.generate_data_key_without_plaintext,
                                    KeyId=self.arn, **kwargs)

    def test_generate_data_key_through_an_alias(self):
        alias = self.create_alias(self.key["KeyId"])
        for key_id in (alias, self.alias_arn(self.key, alias)):
            with self.subTest(key_id=key_id):
                out = self.kms.generate_data_key(KeyId=key_id, KeySpec="AES_256")
                self.assertEqual(out["KeyId"], self.arn)

    def test_generate_data_key_without_plaintext(self):
        ctx = {"k": "v"}
        for kwargs, size in (({"KeySpec": "AES_256"}, 32), ({"KeySpec": "AES_128"}, 16), ({"NumberOfBytes": 48}, 48)):
            with self.subTest(**kwargs):
                out = self.kms.generate_data_key_without_plaintext(KeyId=self.arn, EncryptionContext=ctx, **kwargs)
                self.assertNotIn("Plaintext", out)
                self.assertEqual(out["KeyId"], self.arn)
                back = self.kms.decrypt(CiphertextBlob=out["CiphertextBlob"], EncryptionContext=ctx)
                self.assertEqual(len(back["Plaintext"]), size)

    def test_re_encrypt_to_another_key_and_context(self):
        other = self.create_key()
        other_alias = self.create_alias(other["KeyId"])
        blob = self.kms.encrypt(KeyId=self.arn, Plaintext=b"move me", EncryptionContext={"a": "1"})["CiphertextBlob"]
        out = self.kms.re_encrypt(
            CiphertextBlob=blob, SourceEncryptionContext={"a": "1"},
            DestinationKeyId=other_alias, DestinationEncryptionContext={"b": "2"},
        )
        self.assertEqual(out["SourceKeyId"], self.arn)
        self.assertEqual(out["KeyId"], other["Arn"])
        self.assertEqual(out["SourceEncryptionAlgorithm"], "SYMMETRIC_DEFAULT")
        self.assertEqual(out["DestinationEncryptionAlgorithm"], "SYMMETRIC_DEFAULT")
        new = out["CiphertextBlob"]
        self.assertNotEqual(new, blob)
        back = self.kms.decrypt(CiphertextBlob=new, EncryptionContext={"b": "2"})
        self.assertEqual((back["Plaintext"], back["KeyId"]), (b"move me", other["Arn"]))
        self.assertAwsError("InvalidCiphertextException", self.kms.decrypt, CiphertextBlob=new,
                            EncryptionContext={"a": "1"})
        self.assertAwsError("IncorrectKeyException", self.kms.decrypt, CiphertextBlob=new,
                            KeyId=self.arn, EncryptionContext={"b": "2"})
        # The source ciphertext is untouched.
        self.assertEqual(self.kms.decrypt(CiphertextBlob=blob, EncryptionContext={"a": "1"})["Plaintext"], b"move me")
        # Same key, new context; explicit SourceKeyId.
        same = self.kms.re_encrypt(CiphertextBlob=blob, SourceKeyId=self.key["KeyId"],
                                   SourceEncryptionContext={"a": "1"}, DestinationKeyId=self.key["KeyId"])
        self.assertEqual((same["SourceKeyId"], same["KeyId"]), (self.arn, self.arn))
        self.assertEqual(self.kms.decrypt(CiphertextBlob=same["CiphertextBlob"])["Plaintext"], b"move me")

    def test_re_encrypt_errors(self):
        other = self.create_key()
        blob = self.kms.encrypt(KeyId=self.arn, Plaintext=b"x", EncryptionContext={"a": "1"})["CiphertextBlob"]
        self.assertAwsError("InvalidCiphertextException", self.kms.re_encrypt, CiphertextBlob=blob,
                            DestinationKeyId=other["KeyId"])
        self.assertAwsError("IncorrectKeyException", self.kms.re_encrypt, CiphertextBlob=blob,
                            SourceKeyId=other["KeyId"], SourceEncryptionContext={"a": "1"},
                            DestinationKeyId=other["KeyId"])
        self.assertAwsError("InvalidCiphertextException", self.kms.re_encrypt, CiphertextBlob=flip(blob, len(blob) - 1),
                            SourceEncryptionContext={"a": "1"}, DestinationKeyId=other["KeyId"])
        self.assertAwsError("NotFoundException", self.kms.re_encrypt, CiphertextBlob=blob,
                            SourceEncryptionContext={"a": "1"}, DestinationKeyId=str(uuid.uuid4()))

    def test_generate_random(self):
        for size in (1, 32, 1024):
            with self.subTest(size=size):
                self.assertEqual(len(self.kms.generate_random(NumberOfBytes=size)["Plaintext"]), size)
        a, b = (self.kms.generate_random(NumberOfBytes=32)["Plaintext"] for _ in range(2))
        self.assertNotEqual(a, b)
        self.assertAwsError("ValidationException", self.kms.generate_random, NumberOfBytes=1025)
        self.assertAwsError("ValidationException", kms(validate=False).generate_random, NumberOfBytes=0)


class KeyStateTests(KMSTestCase):
    """What a disabled key and a key pending deletion refuse, with AWS's texts (§3.3)."""

    def crypto_calls(self, key_id, blob):
        return {
            "Encrypt": lambda: self.kms.encrypt(KeyId=key_id, Plaintext=b"x"),
            "Decrypt": lambda: self.kms.decrypt(CiphertextBlob=blob),
            "GenerateDataKey": lambda: self.kms.generate_data_key(KeyId=key_id, KeySpec="AES_256"),
            "GenerateDataKeyWithoutPlaintext":
                lambda: self.kms.generate_data_key_without_plaintext(KeyId=key_id, NumberOfBytes=32),
            "ReEncrypt": lambda: self.kms.re_encrypt(CiphertextBlob=blob, DestinationKeyId=key_id),
        }

    def test_disabled_key_refuses_cryptography(self):
        meta = self.create_key()
        alias = self.create_alias(meta["KeyId"])
        blob = self.kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"kept")["CiphertextBlob"]
        self.kms.disable_key(KeyId=meta["KeyId"])
        for key_id in (meta["KeyId"], alias):
            for op, call in self.crypto_calls(key_id, blob).items():
                with self.subTest(op=op, key_id=key_id):
                    self.assertAwsError("DisabledException", call, message="%s is disabled." % meta["Arn"],
                                        status=400)
        self.assertEqual(self.describe_key(alias)["KeyState"], "Disabled")
        self.kms.enable_key(KeyId=meta["KeyId"])
        self.assertEqual(self.kms.decrypt(CiphertextBlob=blob)["Plaintext"], b"kept")

    def test_re_encrypt_into_a_disabled_key(self):
        source, dest = self.create_key(), self.create_key()
        blob = self.kms.encrypt(KeyId=source["KeyId"], Plaintext=b"x")["CiphertextBlob"]
        self.kms.disable_key(KeyId=dest["KeyId"])
        self.assertAwsError("DisabledException", self.kms.re_encrypt, CiphertextBlob=blob,
                            DestinationKeyId=dest["KeyId"], message="%s is disabled." % dest["Arn"])

    def test_key_pending_deletion_refuses_cryptography(self):
        meta = self.create_key()
        alias = self.create_alias(meta["KeyId"])
        blob = self.kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"kept")["CiphertextBlob"]
        self.kms.schedule_key_deletion(KeyId=meta["KeyId"], PendingWindowInDays=7)
        for key_id in (meta["KeyId"], alias):
            for op, call in self.crypto_calls(key_id, blob).items():
                with self.subTest(op=op, key_id=key_id):
                    self.assertAwsError("KMSInvalidStateException", call,
                                        message="%s is pending deletion." % meta["Arn"], status=400)
        self.assertEqual(self.describe_key(meta["Arn"])["KeyState"], "PendingDeletion")
        self.kms.cancel_key_deletion(KeyId=meta["KeyId"])
        self.assertAwsError("DisabledException", self.kms.decrypt, CiphertextBlob=blob)
        self.kms.enable_key(KeyId=meta["KeyId"])
        self.assertEqual(self.kms.decrypt(CiphertextBlob=blob)["Plaintext"], b"kept")


class RotationTests(KMSTestCase):
    """Enable/DisableKeyRotation, GetKeyRotationStatus, RotateKeyOnDemand, ListKeyRotations (§2.4, §3.9)."""

    def test_rotation_is_off_for_a_new_key(self):
        meta = self.create_key()
        status = self.kms.get_key_rotation_status(KeyId=meta["KeyId"])
        self.assertIs(status["KeyRotationEnabled"], False)
        self.assertNotIn("NextRotationDate", status)
        self.assertEqual(self.kms.list_key_rotations(KeyId=meta["KeyId"])["Rotations"], [])

    def test_enable_with_the_default_period_and_disable(self):
        meta = self.create_key()
        now = utcnow()
        self.kms.enable_key_rotation(KeyId=meta["KeyId"])
        status = self.kms.get_key_rotation_status(KeyId=meta["Arn"])
        self.assertIs(status["KeyRotationEnabled"], True)
        self.assertEqual(status["KeyId"], meta["Arn"])
        self.assertEqual(status["RotationPeriodInDays"], 365)
        self.assertClose(status["NextRotationDate"], now + datetime.timedelta(days=365), DATE_SLACK,
                         "NextRotationDate")
        self.kms.disable_key_rotation(KeyId=meta["Arn"])
        self.assertIs(self.kms.get_key_rotation_status(KeyId=meta["KeyId"])["KeyRotationEnabled"], False)

    def test_rotation_period_bounds(self):
        meta = self.create_key()
        for days in (90, 2560, 180):
            with self.subTest(days=days):
                now = utcnow()
                self.kms.enable_key_rotation(KeyId=meta["KeyId"], RotationPeriodInDays=days)
                status = self.kms.get_key_rotation_status(KeyId=meta["KeyId"])
                self.assertEqual((status["KeyRotationEnabled"], status["RotationPeriodInDays"]), (True, days))
                self.assertClose(status["NextRotationDate"], now + datetime.timedelta(days=days), DATE_SLACK,
                                 "NextRotationDate")
        for days in (89, 2561):
            with self.subTest(days=days):
                self.assertAwsError("ValidationException", kms(validate=False).enable_key_rotation,
                                    KeyId=meta["KeyId"], RotationPeriodInDays=days)
        self.assertEqual(self.kms.get_key_rotation_status(KeyId=meta["KeyId"])["RotationPeriodInDays"], 180)

    def test_rotation_errors(self):
        meta = self.create_key()
        missing = str(uuid.uuid4())
        for op in (self.kms.enable_key_rotation, self.kms.disable_key_rotation, self.kms.get_key_rotation_status,
                   self.kms.rotate_key_on_demand, self.kms.list_key_rotations):
            with self.subTest(op=op.__name__):
                self.assertAwsError("NotFoundException", op, KeyId=missing)
        self.kms.disable_key(KeyId=meta["KeyId"])
        for op in (self.kms.enable_key_rotation, self.kms.disable_key_rotation, self.kms.rotate_key_on_demand):
            with self.subTest(op=op.__name__, state="Disabled"):
                self.assertAwsError("DisabledException", op, KeyId=meta["KeyId"])

    def test_rotate_on_demand_keeps_old_ciphertexts_readable(self):
        meta = self.create_key()
        self.kms.enable_key_rotation(KeyId=meta["KeyId"], RotationPeriodInDays=90)
        before = self.kms.get_key_rotation_status(KeyId=meta["KeyId"])["NextRotationDate"]
        blobs = []
        for i in range(3):
            blobs.append(self.kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"gen%d" % i)["CiphertextBlob"])
            out = self.kms.rotate_key_on_demand(KeyId=meta["KeyId"])
            self.assertIn(out["KeyId"], (meta["KeyId"], meta["Arn"]))
        blobs.append(self.kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"gen3")["CiphertextBlob"])
        material = set()
        for i, blob in enumerate(blobs):
            with self.subTest(generation=i):
                out = self.kms.decrypt(CiphertextBlob=blob)
                self.assertEqual(out["Plaintext"], b"gen%d" % i)
                if "KeyMaterialId" in out:
                    self.assertRegex(out["KeyMaterialId"], r"^[a-f0-9]{64}$")
                    material.add(out["KeyMaterialId"])
        if material:
            self.assertEqual(len(material), 4, "each rotation must make new key material")
        rotations = self.kms.list_key_rotations(KeyId=meta["KeyId"])
        self.assertIs(rotations["Truncated"], False)
        entries = rotations["Rotations"]
        self.assertEqual([e["RotationType"] for e in entries], ["ON_DEMAND"] * 3)
        for entry in entries:
            self.assertIn(entry["KeyId"], (meta["KeyId"], meta["Arn"]))
            self.assertRecent(entry["RotationDate"], what="RotationDate")
        # On-demand rotation doesn't move the automatic schedule.
        after = self.kms.get_key_rotation_status(KeyId=meta["KeyId"])
        self.assertEqual(after["KeyRotationEnabled"], True)
        self.assertClose(after["NextRotationDate"], before, 5, "NextRotationDate after on-demand rotations")
        # ReEncrypt moves an old ciphertext to the current material.
        moved = self.kms.re_encrypt(CiphertextBlob=blobs[0], DestinationKeyId=meta["KeyId"])
        self.assertEqual(self.kms.decrypt(CiphertextBlob=moved["CiphertextBlob"])["Plaintext"], b"gen0")

    def test_rotate_on_demand_without_automatic_rotation_and_list_pagination(self):
        meta = self.create_key()
        blob = self.kms.encrypt(KeyId=meta["Arn"], Plaintext=b"old")["CiphertextBlob"]
        self.kms.rotate_key_on_demand(KeyId=meta["Arn"])
        self.kms.rotate_key_on_demand(KeyId=meta["KeyId"])
        self.assertIs(self.kms.get_key_rotation_status(KeyId=meta["KeyId"])["KeyRotationEnabled"], False)
        first = self.kms.list_key_rotations(KeyId=meta["Arn"], Limit=1)
        self.assertEqual(len(first["Rotations"]), 1)
        self.assertIs(first["Truncated"], True)
        second = self.kms.list_key_rotations(KeyId=meta["Arn"], Limit=1, Marker=first["NextMarker"])
        self.assertEqual(len(second["Rotations"]), 1)
        self.assertIs(second["Truncated"], False)
        self.assertEqual(self.kms.decrypt(CiphertextBlob=blob)["Plaintext"], b"old")


class KeyPolicyTests(KMSTestCase):
    """GetKeyPolicy, PutKeyPolicy, ListKeyPolicies (§2.5, §3.6)."""

    def policy(self, account, sid="Enable IAM User Permissions"):
        return {
            "Version": "2012-10-17",
            "Id": "e2e-" + self.prefix.strip("/"),
            "Statement": [
                {"Sid": sid, "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::%s:root" % account},
                 "Action": "kms:*", "Resource": "*"},
                {"Sid": "ReadOnly", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::%s:root" % account},
                 "Action": ["kms:Describe*", "kms:Get*", "kms:List*"], "Resource": "*"},
            ],
        }

    def test_default_policy(self):
        meta = self.create_key()
        for kwargs in ({"PolicyName": "default"}, {}):
            with self.subTest(**kwargs):
                out = self.kms.get_key_policy(KeyId=meta["KeyId"], **kwargs)
                if "PolicyName" in out:
                    self.assertEqual(out["PolicyName"], "default")
                doc = json.loads(out["Policy"])
                self.assertEqual(doc.get("Version"), "2012-10-17")
                statements = {s.get("Sid"): s for s in doc["Statement"]}
                root = statements.get("Enable IAM User Permissions")
                self.assertIsNotNone(root, doc)
                self.assertEqual(root["Effect"], "Allow")
                self.assertEqual(root["Principal"], {"AWS": "arn:aws:iam::%s:root" % meta["AWSAccountId"]})
                self.assertIn(root["Action"], ("kms:*", ["kms:*"]))
                self.assertIn(root["Resource"], ("*", ["*"]))
        listed = self.kms.list_key_policies(KeyId=meta["Arn"])
        self.assertEqual(listed["PolicyNames"], ["default"])
        self.assertIs(listed["Truncated"], False)

    def test_put_key_policy_replaces_it(self):
        meta = self.create_key()
        doc = self.policy(meta["AWSAccountId"], sid="Root")
        self.kms.put_key_policy(KeyId=meta["KeyId"], PolicyName="default", Policy=json.dumps(doc, indent=2))
        self.assertEqual(json.loads(self.kms.get_key_policy(KeyId=meta["Arn"], PolicyName="default")["Policy"]), doc)
        # Keys still work under the new policy.
        blob = self.kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"p")["CiphertextBlob"]
        self.assertEqual(self.kms.decrypt(CiphertextBlob=blob)["Plaintext"], b"p")

    def test_create_key_with_a_policy(self):
        account = self.create_key()["AWSAccountId"]
        doc = self.policy(account)
        meta = self.create_key(Policy=json.dumps(doc))
        self.assertEqual(json.loads(self.kms.get_key_policy(KeyId=meta["KeyId"], PolicyName="default")["Policy"]), doc)

    def test_policy_errors(self):
        meta = self.create_key()
        original = self.kms.get_key_policy(KeyId=meta["KeyId"], PolicyName="default")["Policy"]
        for label, text in (("not JSON", "{not json"), ("truncated", '{"Version": "2012-10-17", "Statement": ['),
                            ("not an object", "[1, 2]")):
            with self.subTest(label):
                self.assertAwsError("MalformedPolicyDocumentException", self.kms.put_key_policy,
                                    KeyId=meta["KeyId"], PolicyName="default", Policy=text, status=400)
        self.assertEqual(self.kms.get_key_policy(KeyId=meta["KeyId"], PolicyName="default")["Policy"], original)
        self.assertAwsError("MalformedPolicyDocumentException", self.kms.create_key, Policy="{not json")
        self.assertAwsError("NotFoundException", self.kms.get_key_policy, KeyId=meta["KeyId"], PolicyName="other")
        self.assertAwsError("NotFoundException", self.kms.get_key_policy, KeyId=str(uuid.uuid4()),
                            PolicyName="default")
        self.assertAwsError("NotFoundException", self.kms.list_key_policies, KeyId=str(uuid.uuid4()))


class KmsTagTests(KMSTestCase):
    """TagResource, UntagResource, ListResourceTags (§2.6)."""

    def tags(self, key_id):
        return {t["TagKey"]: t["TagValue"] for t in self.kms.list_resource_tags(KeyId=key_id)["Tags"]}

    def test_tag_overwrite_and_untag(self):
        meta = self.create_key()
        self.assertEqual(self.tags(meta["KeyId"]), {})
        self.kms.tag_resource(KeyId=meta["KeyId"], Tags=[{"TagKey": "a", "TagValue": "1"},
                                                         {"TagKey": "b", "TagValue": ""}])
        self.kms.tag_resource(KeyId=meta["Arn"], Tags=[{"TagKey": "a", "TagValue": "2"},
                                                       {"TagKey": "c", "TagValue": "3"}])
        self.assertEqual(self.tags(meta["Arn"]), {"a": "2", "b": "", "c": "3"})
        self.kms.untag_resource(KeyId=meta["KeyId"], TagKeys=["a", "not-there"])
        self.assertEqual(self.tags(meta["KeyId"]), {"b": "", "c": "3"})
        self.kms.untag_resource(KeyId=meta["Arn"], TagKeys=["b", "c"])
        out = self.kms.list_resource_tags(KeyId=meta["KeyId"])
        self.assertEqual((out["Tags"], out["Truncated"]), ([], False))

    def test_list_resource_tags_pagination(self):
        meta = self.create_key(Tags=[{"TagKey": "k%d" % i, "TagValue": str(i)} for i in range(3)])
        seen = {}
        marker = None
        for _ in range(5):
            kwargs = {"Marker": marker} if marker else {}
            page = self.kms.list_resource_tags(KeyId=meta["KeyId"], Limit=2, **kwargs)
            self.assertLessEqual(len(page["Tags"]), 2)
            seen.update((t["TagKey"], t["TagValue"]) for t in page["Tags"])
            if not page["Truncated"]:
                break
            marker = page["NextMarker"]
        self.assertEqual(seen, {"k0": "0", "k1": "1", "k2": "2"})

    def test_tag_errors(self):
        meta = self.create_key()
        self.assertAwsError("TagException", self.kms.tag_resource, KeyId=meta["KeyId"],
                            Tags=[{"TagKey": "aws:reserved", "TagValue": "x"}], status=400)
        self.assertAwsError("TagException", self.kms.create_key,
                            Tags=[{"TagKey": "aws:reserved", "TagValue": "x"}])
        self.assertEqual(self.tags(meta["KeyId"]), {})
        missing = str(uuid.uuid4())
        self.assertAwsError("NotFoundException", self.kms.tag_resource, KeyId=missing,
                            Tags=[{"TagKey": "a", "TagValue": "b"}])
        self.assertAwsError("NotFoundException", self.kms.untag_resource, KeyId=missing, TagKeys=["a"])
        self.assertAwsError("NotFoundException", self.kms.list_resource_tags, KeyId=missing)


def _best_effort(func, **kwargs):
    try:
        func(**kwargs)
    except Exception:  # noqa: BLE001
        pass


class AwsManagedKeyTests(KMSTestCase):
    """`alias/aws/secretsmanager`: visible, but only Secrets Manager may use or change it (§3.8)."""

    def setUp(self):
        super().setUp()
        self.meta = self.describe_key(SECRETSMANAGER_MANAGED_ALIAS)
        key = self.meta["KeyId"]
        # Should the server wrongly accept a change, undo it so other tests keep a usable key.
        self.addCleanup(_best_effort, self.kms.enable_key, KeyId=key)
        self.addCleanup(_best_effort, self.kms.cancel_key_deletion, KeyId=key)

    def test_describe_the_managed_key(self):
        meta = self.meta
        self.assertEqual(meta["KeyManager"], "AWS")
        self.assertKeyArn(meta["Arn"], key_id=meta["KeyId"])
        self.assertRegex(meta["AWSAccountId"], r"^\d{12}$")
        self.assertEqual((meta["KeyState"], meta["Enabled"]), ("Enabled", True))
        self.assertEqual(meta["KeySpec"], "SYMMETRIC_DEFAULT")
        self.assertEqual(meta["KeyUsage"], "ENCRYPT_DECRYPT")
        self.assertEqual(self.describe_key(meta["Arn"])["KeyId"], meta["KeyId"])
        self.assertEqual(self.describe_key(self.alias_arn(meta, SECRETSMANAGER_MANAGED_ALIAS))["KeyId"], meta["KeyId"])
        aliases = self.kms.list_aliases(KeyId=meta["KeyId"])["Aliases"]
        self.assertIn(SECRETSMANAGER_MANAGED_ALIAS, [a["AliasName"] for a in aliases])
        entry = [a for a in aliases if a["AliasName"] == SECRETSMANAGER_MANAGED_ALIAS][0]
        self.assertEqual(entry["TargetKeyId"], meta["KeyId"])
        # Its policy can be read.
        self.assertTrue(json.loads(self.kms.get_key_policy(KeyId=meta["KeyId"], PolicyName="default")["Policy"]))

    def test_the_managed_key_cannot_be_changed_or_used_directly(self):
        key = self.meta["KeyId"]
        policy = self.kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"]
        calls = {
            "DisableKey": lambda: self.kms.disable_key(KeyId=key),
            "ScheduleKeyDeletion": lambda: self.kms.schedule_key_deletion(KeyId=key, PendingWindowInDays=7),
            "PutKeyPolicy": lambda: self.kms.put_key_policy(KeyId=key, PolicyName="default", Policy=policy),
            "EnableKeyRotation": lambda: self.kms.enable_key_rotation(KeyId=key),
            "Encrypt by alias": lambda: self.kms.encrypt(KeyId=SECRETSMANAGER_MANAGED_ALIAS, Plaintext=b"x"),
            "Encrypt by key id": lambda: self.kms.encrypt(KeyId=key, Plaintext=b"x"),
            "GenerateDataKey": lambda: self.kms.generate_data_key(KeyId=SECRETSMANAGER_MANAGED_ALIAS,
                                                                  KeySpec="AES_256"),
        }
        for op, call in calls.items():
            with self.subTest(op=op):
                self.assertAwsError("AccessDeniedException", call)
        self.assertEqual(self.describe_key(key)["KeyState"], "Enabled")

    def test_aws_aliases_are_reserved(self):
        mine = self.create_key()
        self.assertAwsError("InvalidAliasNameException", self.kms.create_alias,
                            AliasName=SECRETSMANAGER_MANAGED_ALIAS, TargetKeyId=mine["KeyId"])
        self.assertEqual(self.describe_key(SECRETSMANAGER_MANAGED_ALIAS)["KeyId"], self.meta["KeyId"])


class KmsOperationCoverageTests(unittest.TestCase):
    """Meta-test: every KMS operation Strongroom implements is exercised by this file."""

    OPERATIONS = (
        "CreateKey", "DescribeKey", "ListKeys", "UpdateKeyDescription", "EnableKey", "DisableKey",
        "ScheduleKeyDeletion", "CancelKeyDeletion", "CreateAlias", "ListAliases", "UpdateAlias", "DeleteAlias",
        "Encrypt", "Decrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "ReEncrypt", "GenerateRandom",
        "EnableKeyRotation", "DisableKeyRotation", "GetKeyRotationStatus", "RotateKeyOnDemand", "ListKeyRotations",
        "GetKeyPolicy", "PutKeyPolicy", "ListKeyPolicies", "TagResource", "UntagResource", "ListResourceTags",
    )

    def test_every_implemented_operation_has_a_test(self):
        from botocore import xform_name

        with open(os.path.join(HERE, "test_kms.py"), encoding="utf-8") as f:
            source = f.read()
        missing = [op for op in self.OPERATIONS
                   if not re.search(r"\.%s\b" % re.escape(xform_name(op)), source.split("class KmsOperationCoverageTests")[0])]
        self.assertEqual(missing, [])


if __name__ == "__main__":
    unittest.main()
