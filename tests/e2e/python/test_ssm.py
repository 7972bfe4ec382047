"""Parameter Store (SSM) through boto3, as `shared/api/ssm-parameter-store-api.md` describes AWS.

Every parameter lives below a fresh `/t-<uuid8>/` hierarchy and is deleted afterwards; KMS keys a
test creates are scheduled for deletion. Operations: PutParameter, GetParameter(s),
GetParametersByPath, DescribeParameters, GetParameterHistory, Label/UnlabelParameterVersion,
DeleteParameter(s), Add/RemoveTagsToResource, ListTagsForResource, SecureString under the AWS
managed key and customer keys, the `/aws/reference/secretsmanager/` bridge, parameter policies.
"""

import base64
import concurrent.futures
import datetime
import json
import os
import time
import unittest
import urllib.error
import urllib.request
import uuid

import botocore.session
from botocore import xform_name
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from helpers import (
    ACCESS_KEY,
    REGION,
    SECRET_KEY,
    SSM_MANAGED_ALIAS,
    SSMTestCase,
    endpoint,
    error_code,
    utcnow,
)

HERE = os.path.dirname(os.path.abspath(__file__))

# The Parameter Store operations of the SSM model (spec §2.1).
PARAMETER_OPERATIONS = (
    "PutParameter", "GetParameter", "GetParameters", "GetParametersByPath", "DescribeParameters",
    "GetParameterHistory", "DeleteParameter", "DeleteParameters", "LabelParameterVersion",
    "UnlabelParameterVersion", "AddTagsToResource", "RemoveTagsFromResource", "ListTagsForResource",
)

REFERENCE_PREFIX = "/aws/reference/secretsmanager/"
WITH_DECRYPTION_MESSAGE = "WithDecryption flag must be True for retrieving a Secret Manager secret."


def iso_instant(when):
    """`2020-05-13T00:00:00.000Z` (ISO_INSTANT, spec §3.6)."""
    return when.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def expiration(when):
    return {"Type": "Expiration", "Version": "1.0", "Attributes": {"Timestamp": iso_instant(when)}}


def no_change(after="5", unit="Days"):
    return {"Type": "NoChangeNotification", "Version": "1.0", "Attributes": {"After": after, "Unit": unit}}


def names_of(parameters):
    return [p["Name"] for p in parameters]


# ============================================================================ PutParameter


class PutParameterTests(SSMTestCase):
    def test_put_string_and_get_it(self):
        name = self.pname("app/db/url")
        resp = self.put(name, "jdbc:db-1", Description="the database")
        self.assertEqual((resp["Version"], resp["Tier"]), (1, "Standard"))
        p = self.ssm.get_parameter(Name=name)["Parameter"]
        self.assertEqual(p["Name"], name)
        self.assertEqual(p["Type"], "String")
        self.assertEqual(p["Value"], "jdbc:db-1")
        self.assertEqual(p["Version"], 1)
        self.assertEqual(p.get("DataType"), "text")
        self.assertNotIn("Selector", p)
        self.assertNotIn("SourceResult", p)
        self.assertRecent(p["LastModifiedDate"], what="LastModifiedDate")
        self.assertParameterArn(p["ARN"], name)

    def test_overwrite_increments_the_version_and_existing_name_needs_overwrite(self):
        name = self.pname("counter")
        self.assertEqual(self.put(name, "one")["Version"], 1)
        self.assertEqual(self.put(name, "two", Overwrite=True)["Version"], 2)
        self.assertEqual(self.put(name, "three", Overwrite=True)["Version"], 3)
        self.assertAwsError("ParameterAlreadyExists", self.put, name, "four", status=400)
        self.assertAwsError("ParameterAlreadyExists", self.put, name, "four", Overwrite=False)
        p = self.get(name)
        self.assertEqual((p["Value"], p["Version"]), ("three", 3))
        self.assertEqual(self.describe_one(name)["Version"], 3)

    def test_overwrite_without_type_keeps_type_and_description(self):
        name = self.pname("list")
        self.put(name, "a,b,c", "StringList", Description="letters")
        self.assertEqual(self.put(name, "d,e", type=None, Overwrite=True)["Version"], 2)
        p = self.get(name)
        self.assertEqual((p["Type"], p["Value"]), ("StringList", "d,e"))

    def test_string_list_value_is_returned_as_given(self):
        name = self.pname("hosts")
        self.put(name, "alpha,beta,gamma", "StringList")
        p = self.get(name)
        self.assertEqual((p["Type"], p["Value"]), ("StringList", "alpha,beta,gamma"))

    def test_metadata_in_describe_parameters(self):
        name = self.pname("meta")
        self.put(name, "12345", Description="digits only", AllowedPattern=r"^\d+$", DataType="text")
        meta = self.describe_one(name)
        self.assertEqual(meta["Type"], "String")
        self.assertEqual(meta["Description"], "digits only")
        self.assertEqual(meta["AllowedPattern"], r"^\d+$")
        self.assertEqual(meta["DataType"], "text")
        self.assertEqual(meta["Tier"], "Standard")
        self.assertEqual(meta["Version"], 1)
        self.assertNotIn("KeyId", meta)
        self.assertNotIn("Value", meta)
        self.assertRecent(meta["LastModifiedDate"], what="LastModifiedDate")
        self.assertTrue(meta.get("LastModifiedUser"), "LastModifiedUser missing: %r" % meta)

    def test_allowed_pattern_is_enforced_on_create_and_on_later_writes(self):
        name = self.pname("port")
        self.assertAwsError("ParameterPatternMismatchException", self.put, name, "http", AllowedPattern=r"^\d+$",
                            status=400)
        self.assertAwsError("ParameterNotFound", self.get, name)
        self.put(name, "8080", AllowedPattern=r"^\d+$")
        # The stored pattern is re-checked when the value changes.
        self.assertAwsError("ParameterPatternMismatchException", self.put, name, "eighty", Overwrite=True)
        self.assertEqual(self.put(name, "8081", Overwrite=True)["Version"], 2)
        self.assertEqual(self.get(name)["Value"], "8081")

    def test_allowed_pattern_must_match_the_whole_value(self):
        name = self.pname("whole")
        self.assertAwsError("ParameterPatternMismatchException", self.put, name, "12ab", AllowedPattern="[0-9]+")
        self.assertEqual(self.put(name, "12", AllowedPattern="[0-9]+")["Version"], 1)

    def test_invalid_allowed_pattern(self):
        name = self.pname("badregex")
        self.assertAwsError("InvalidAllowedPatternException", self.put, name, "x", AllowedPattern="([a-z")
        self.assertAwsError("ParameterNotFound", self.get, name)

    def test_tiers(self):
        cases = (
            ("standard", "Standard", "s", "Standard"),
            ("advanced", "Advanced", "a", "Advanced"),
            ("intelligent-small", "Intelligent-Tiering", "i", "Standard"),
            ("intelligent-large", "Intelligent-Tiering", "x" * 5000, "Advanced"),
        )
        for suffix, tier, value, applied in cases:
            with self.subTest(suffix):
                name = self.pname(suffix)
                self.assertEqual(self.put(name, value, Tier=tier)["Tier"], applied)
                self.assertEqual(self.describe_one(name)["Tier"], applied)
                self.assertEqual(self.get(name)["Value"], value)

    def test_standard_can_be_upgraded_but_advanced_cannot_be_downgraded(self):
        name = self.pname("tiered")
        self.put(name, "v1")
        resp = self.put(name, "v2", Overwrite=True, Tier="Advanced")
        self.assertEqual((resp["Version"], resp["Tier"]), (2, "Advanced"))
        self.assertAwsError("ValidationException", self.put, name, "v3", Overwrite=True, Tier="Standard")
        self.assertEqual(self.describe_one(name)["Tier"], "Advanced")
        self.assertEqual(self.get(name)["Version"], 2)

    def test_value_size_limits(self):
        std, adv = self.pname("std"), self.pname("adv")
        self.assertEqual(self.put(std, "s" * 4096)["Version"], 1)
        self.assertAwsError("ValidationException", self.put, std, "s" * 4097, Overwrite=True)
        self.assertAwsError("ValidationException", self.put, self.pname("std-new"), "s" * 4097, Tier="Standard")
        self.assertAwsError("ParameterNotFound", self.get, self.pname("std-new"))
        self.assertEqual(self.put(adv, "a" * 8192, Tier="Advanced")["Version"], 1)
        self.assertAwsError("ValidationException", self.put, adv, "a" * 8193, Overwrite=True)
        self.assertEqual(len(self.get(adv)["Value"]), 8192)
        self.assertEqual(len(self.get(std)["Value"]), 4096)

    def test_tags_on_create(self):
        name = self.pname("tagged")
        self.put(name, Tags=[{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "core"}])
        self.assertEqual(self.tags_of(name), {"env": "prod", "team": "core"})

    def test_tags_together_with_overwrite_are_refused(self):
        name = self.pname("tagged")
        self.put(name, "first")
        self.assertAwsError("ValidationException", self.put, name, "second", Overwrite=True,
                            Tags=[{"Key": "env", "Value": "prod"}])
        p = self.get(name)
        self.assertEqual((p["Value"], p["Version"]), ("first", 1))
        self.assertEqual(self.tags_of(name), {})

    def test_type_is_required_on_create_and_must_be_known(self):
        self.assertAwsError("ValidationException", self.put, self.pname("untyped"), "v", type=None)
        # A Type outside the model's enum: UnsupportedParameterType, or the generic enum ValidationException.
        self.assertAwsError(("UnsupportedParameterType", "ValidationException"), self.put, self.pname("number"), "1",
                            type="Number")
        self.assertAwsError("ParameterNotFound", self.get, self.pname("untyped"))
        self.assertAwsError("ParameterNotFound", self.get, self.pname("number"))

    def test_data_type(self):
        name = self.pname("typed")
        self.put(name, "plain", DataType="text")
        self.assertEqual(self.get(name)["DataType"], "text")
        self.assertAwsError("ValidationException", self.put, self.pname("bogus"), "v", DataType="bogus")

    def test_value_with_a_parameter_reference_is_refused(self):
        self.assertAwsError("ValidationException", self.put, self.pname("nested"), "{{ssm:%s}}" % self.pname("x"))


# ============================================================================ names


class ParameterNameTests(SSMTestCase):
    def test_hierarchy_depth_at_most_15_levels(self):
        fifteen = self.path + "".join("/l%d" % i for i in range(2, 15)) + "/name"
        self.assertEqual(fifteen.count("/"), 15)
        self.assertEqual(self.put(fifteen)["Version"], 1)
        sixteen = self.path + "".join("/l%d" % i for i in range(2, 16)) + "/name"
        self.track(sixteen)
        self.assertAwsError("HierarchyLevelLimitExceededException", self.put, sixteen, status=400)
        # Not created (GetParameter on such a name may answer ParameterNotFound or reject the name itself).
        listed = names_of(self.describe({"Key": "Path", "Option": "Recursive", "Values": [self.path]}))
        self.assertEqual(listed, [fifteen])

    def test_names_starting_with_aws_or_ssm_are_reserved(self):
        tag = uuid.uuid4().hex[:8]
        for name in ("awsParam-" + tag, "AWS-" + tag, "/aws/t-%s/x" % tag, "ssmParam-" + tag, "/SSM/t-" + tag,
                     "/Ssm-%s/x" % tag, REFERENCE_PREFIX + "t-" + tag):
            with self.subTest(name):
                self.track(name)
                # `/aws/...` is AWS's own namespace: AccessDeniedException ("No access to reserved parameter name")
                # is as good as the ValidationException that other reserved names get.
                codes = ("ValidationException", "AccessDeniedException") if name.startswith("/aws/") \
                    else "ValidationException"
                self.assertAwsError(codes, self.put, name)

    def test_allowed_and_refused_characters(self):
        good = self.pname("Mixed_case.name-9/sub_2")
        self.assertEqual(self.put(good)["Version"], 1)
        self.assertEqual(self.get(good)["Name"], good)
        tag = uuid.uuid4().hex[:8]
        for bad in (self.pname("has space"), self.pname("hash#x"), self.pname("colon:x"), self.pname("star*"),
                    self.pname("quote'x"), "t-%s/no-leading-slash" % tag):
            with self.subTest(bad):
                self.track(bad)
                self.assertAwsError("ValidationException", self.put, bad)

    def test_names_are_case_sensitive(self):
        lower, upper = self.pname("case"), self.pname("CASE")
        self.put(lower, "lower")
        self.put(upper, "upper")
        self.assertEqual(self.get(lower)["Value"], "lower")
        self.assertEqual(self.get(upper)["Value"], "upper")

    def test_single_level_name_with_and_without_leading_slash_is_one_parameter(self):
        bare = "t-%s-single" % uuid.uuid4().hex[:8]
        self.track(bare, "/" + bare)
        self.put(bare, "one")
        self.assertEqual(self.get("/" + bare)["Value"], "one")
        self.assertAwsError("ParameterAlreadyExists", self.put, "/" + bare, "two")
        self.assertEqual(self.put("/" + bare, "two", Overwrite=True)["Version"], 2)
        self.assertEqual(self.get(bare)["Value"], "two")

    def test_name_length(self):
        ok = self.pname("n" * 900)
        self.assertEqual(self.put(ok)["Version"], 1)
        self.assertEqual(self.get(ok)["Name"], ok)
        too_long = self.pname("n" * 1100)
        self.track(too_long)
        self.assertAwsError("ValidationException", self.put, too_long)


# ============================================================================ GetParameter(s)


class GetParameterTests(SSMTestCase):
    def three_versions(self, suffix="versioned"):
        name = self.pname(suffix)
        for i, value in enumerate(("v1", "v2", "v3"), start=1):
            self.assertEqual(self.put(name, value, Overwrite=i > 1)["Version"], i)
        return name

    def test_unknown_parameter(self):
        self.assertAwsError("ParameterNotFound", self.get, self.pname("missing"), status=400)
        self.assertAwsError("ParameterNotFound", self.get, self.pname("missing"), True)

    def test_version_selector(self):
        name = self.three_versions()
        for version in (1, 2, 3):
            with self.subTest(version=version):
                p = self.get("%s:%d" % (name, version))
                self.assertEqual(p["Name"], name)
                self.assertEqual(p["Selector"], ":%d" % version)
                self.assertEqual(p["Version"], version)
                self.assertEqual(p["Value"], "v%d" % version)
                self.assertParameterArn(p["ARN"], name)
        self.assertAwsError("ParameterVersionNotFound", self.get, name + ":4", status=400)
        self.assertAwsError("ParameterVersionNotFound", self.get, name + ":0")

    def test_label_selector(self):
        name = self.three_versions()
        self.ssm.label_parameter_version(Name=name, ParameterVersion=1, Labels=["prod"])
        p = self.get(name + ":prod")
        self.assertEqual((p["Name"], p["Selector"], p["Version"], p["Value"]), (name, ":prod", 1, "v1"))
        # An unknown label never falls back to the latest version.
        self.assertAwsError("ParameterVersionNotFound", self.get, name + ":staging")
        self.assertAwsError("ParameterVersionNotFound", self.get, name + ":Prod")

    def test_get_by_arn(self):
        name = self.three_versions()
        arn = self.get(name)["ARN"]
        p = self.get(arn)
        self.assertEqual((p["Name"], p["Value"], p["Version"]), (name, "v3", 3))
        self.assertEqual(self.get(arn + ":2")["Value"], "v2")

    def test_get_parameters_valid_and_invalid(self):
        a, b, c = self.pname("a"), self.pname("b"), self.pname("c")
        self.put(c, "C")
        self.put(a, "A")
        self.put(b, "B", "StringList")
        missing = self.pname("missing")
        resp = self.ssm.get_parameters(Names=[c, missing, a, b])
        self.assertEqual(names_of(resp["Parameters"]), [a, b, c])  # documented as alphabetical
        self.assertEqual({p["Name"]: p["Value"] for p in resp["Parameters"]}, {a: "A", b: "B", c: "C"})
        self.assertEqual({p["Name"]: p["Type"] for p in resp["Parameters"]},
                         {a: "String", b: "StringList", c: "String"})
        for p in resp["Parameters"]:
            self.assertEqual(p["Version"], 1)
            self.assertParameterArn(p["ARN"], p["Name"])
        self.assertEqual(resp["InvalidParameters"], [missing])

    def test_get_parameters_with_selectors(self):
        name = self.three_versions()
        self.ssm.label_parameter_version(Name=name, ParameterVersion=2, Labels=["beta"])
        resp = self.ssm.get_parameters(Names=[name + ":1", name + ":beta", name + ":9", name + ":gamma"])
        got = sorted((p["Selector"], p["Version"], p["Value"], p["Name"]) for p in resp["Parameters"])
        self.assertEqual(got, [(":1", 1, "v1", name), (":beta", 2, "v2", name)])
        self.assertEqual(sorted(resp["InvalidParameters"]), sorted([name + ":9", name + ":gamma"]))

    def test_get_parameters_only_missing_names(self):
        missing = [self.pname("x"), self.pname("y")]
        resp = self.ssm.get_parameters(Names=missing)
        self.assertEqual(resp.get("Parameters", []), [])
        self.assertEqual(sorted(resp["InvalidParameters"]), sorted(missing))

    def test_get_parameters_takes_at_most_ten_names(self):
        names = [self.pname("n%d" % i) for i in range(11)]
        self.assertAwsError("ValidationException", self.ssm.get_parameters, Names=names)


# ============================================================================ SecureString


class SecureStringTests(SSMTestCase):
    def assertCiphertext(self, value, plaintext):
        self.assertNotEqual(value, plaintext)
        self.assertNotIn(plaintext, value)
        blob = base64.b64decode(value, validate=True)
        self.assertNotIn(plaintext.encode(), blob)
        return blob

    def test_default_key_with_and_without_decryption(self):
        name = self.pname("db/password")
        resp = self.put(name, "hunter2-secret", "SecureString")
        self.assertEqual(resp["Version"], 1)
        clear = self.get(name, True)
        self.assertEqual((clear["Type"], clear["Value"]), ("SecureString", "hunter2-secret"))
        for decrypt in (False, None):
            with self.subTest(WithDecryption=decrypt):
                hidden = self.get(name, decrypt)
                self.assertEqual(hidden["Type"], "SecureString")
                self.assertCiphertext(hidden["Value"], "hunter2-secret")
        self.assertEqual(self.describe_one(name).get("KeyId"), SSM_MANAGED_ALIAS)
        # The AWS managed key exists now (kms-api.md §3.8).
        self.assertEqual(self.kms.describe_key(KeyId=SSM_MANAGED_ALIAS)["KeyMetadata"]["KeyManager"], "AWS")

    def test_with_decryption_is_ignored_for_plain_types(self):
        s, sl = self.pname("s"), self.pname("sl")
        self.put(s, "plain")
        self.put(sl, "a,b", "StringList")
        for decrypt in (True, False):
            self.assertEqual(self.get(s, decrypt)["Value"], "plain")
            self.assertEqual(self.get(sl, decrypt)["Value"], "a,b")

    def test_get_parameters_with_decryption(self):
        sec, plain = self.pname("sec"), self.pname("plain")
        self.put(sec, "top-secret-1", "SecureString")
        self.put(plain, "open")
        clear = {p["Name"]: p["Value"] for p in self.ssm.get_parameters(Names=[sec, plain], WithDecryption=True)["Parameters"]}
        self.assertEqual(clear, {sec: "top-secret-1", plain: "open"})
        hidden = {p["Name"]: p["Value"] for p in self.ssm.get_parameters(Names=[sec, plain])["Parameters"]}
        self.assertEqual(hidden[plain], "open")
        self.assertCiphertext(hidden[sec], "top-secret-1")

    def test_overwrite_secure_string_keeps_it_encrypted(self):
        name = self.pname("rotating")
        self.put(name, "first-secret", "SecureString")
        self.assertEqual(self.put(name, "second-secret", type=None, Overwrite=True)["Version"], 2)
        p = self.get(name, True)
        self.assertEqual((p["Type"], p["Value"]), ("SecureString", "second-secret"))
        self.assertEqual(self.get(name + ":1", True)["Value"], "first-secret")
        self.assertCiphertext(self.get(name)["Value"], "second-secret")

    def test_advanced_secure_string(self):
        name = self.pname("big-secret")
        value = "z" * 6000
        self.assertEqual(self.put(name, value, "SecureString", Tier="Advanced")["Tier"], "Advanced")
        self.assertEqual(self.get(name, True)["Value"], value)
        self.assertCiphertext(self.get(name, False)["Value"], value)


class SecureStringCustomerKeyTests(SSMTestCase):
    def test_every_key_identifier(self):
        meta = self.create_key(Description="parameters")
        alias = self.create_alias(meta["KeyId"])
        identifiers = {"key-id": meta["KeyId"], "key-arn": meta["Arn"], "alias": alias,
                       "alias-arn": self.alias_arn(meta, alias)}
        for label, key_id in identifiers.items():
            with self.subTest(label):
                name = self.pname(label)
                self.put(name, "value-" + label, "SecureString", KeyId=key_id)
                self.assertEqual(self.get(name, True)["Value"], "value-" + label)
                self.assertIn(self.describe_one(name).get("KeyId"), {meta["KeyId"], meta["Arn"], key_id})

    def test_ciphertext_is_kms_ciphertext_bound_to_the_parameter_arn(self):
        meta = self.create_key()
        name = self.pname("bound")
        self.put(name, "bound-secret", "SecureString", KeyId=meta["KeyId"])
        p = self.get(name, False)
        blob = base64.b64decode(p["Value"], validate=True)
        # Standard tier: direct Encrypt with context {"PARAMETER_ARN": <parameter ARN>} (kms-api.md §3.11).
        out = self.kms.decrypt(CiphertextBlob=blob, EncryptionContext={"PARAMETER_ARN": p["ARN"]})
        self.assertEqual(out["Plaintext"], b"bound-secret")
        self.assertEqual(out["KeyId"], meta["Arn"])
        self.assertAwsError("InvalidCiphertextException", self.kms.decrypt, CiphertextBlob=blob)

    def test_disabled_key_blocks_decryption_until_enabled(self):
        meta = self.create_key()
        name = self.pname("guarded")
        self.put(name, "guarded-secret", "SecureString", KeyId=meta["KeyId"])
        ciphertext = self.get(name, False)["Value"]
        self.kms.disable_key(KeyId=meta["KeyId"])
        self.assertAwsError("InvalidKeyId", self.get, name, True, status=400)
        self.assertAwsError("InvalidKeyId", self.history, name, WithDecryption=True)
        # Without decryption the key isn't needed: the ciphertext comes back unchanged.
        hidden = self.get(name, False)
        self.assertEqual((hidden["Value"], hidden["Version"]), (ciphertext, 1))
        self.assertEqual(self.describe_one(name)["Version"], 1)
        # A new version can't be encrypted either, and no version is left behind.
        self.assertAwsError("InvalidKeyId", self.put, name, "new-secret", type=None, Overwrite=True)
        self.assertEqual(self.get(name, False)["Version"], 1)
        self.kms.enable_key(KeyId=meta["KeyId"])
        self.assertEqual(self.get(name, True)["Value"], "guarded-secret")
        self.assertEqual(self.put(name, "new-secret", type=None, Overwrite=True)["Version"], 2)
        self.assertEqual(self.get(name, True)["Value"], "new-secret")

    def test_key_pending_deletion_blocks_decryption(self):
        meta = self.create_key()
        name = self.pname("doomed")
        self.put(name, "doomed-secret", "SecureString", KeyId=meta["Arn"])
        self.kms.schedule_key_deletion(KeyId=meta["KeyId"], PendingWindowInDays=7)
        self.assertAwsError("InvalidKeyId", self.get, name, True)
        self.assertEqual(self.get(name, False)["Version"], 1)
        self.kms.cancel_key_deletion(KeyId=meta["KeyId"])
        self.kms.enable_key(KeyId=meta["KeyId"])
        self.assertEqual(self.get(name, True)["Value"], "doomed-secret")

    def test_unknown_or_unusable_key_on_put(self):
        meta = self.create_key()
        self.kms.disable_key(KeyId=meta["KeyId"])
        cases = {
            "unknown-id": str(uuid.uuid4()),
            "unknown-alias": self.alias_name("missing"),
            "unknown-arn": "arn:aws:kms:%s:%s:key/%s" % (self.region, meta["AWSAccountId"], uuid.uuid4()),
            "disabled": meta["KeyId"],
        }
        for label, key_id in cases.items():
            with self.subTest(label):
                name = self.pname(label)
                self.track(name)
                self.assertAwsError("InvalidKeyId", self.put, name, "s", "SecureString", KeyId=key_id)
                self.assertAwsError("ParameterNotFound", self.get, name)

    def test_key_id_only_for_secure_string(self):
        meta = self.create_key()
        name = self.pname("plain-with-key")
        self.track(name)
        self.assertAwsError("ValidationException", self.put, name, "v", "String", KeyId=meta["KeyId"])


# ============================================================================ GetParametersByPath


class GetParametersByPathTests(SSMTestCase):
    def by_path(self, path, **kwargs):
        pages = self.ssm.get_paginator("get_parameters_by_path").paginate(Path=path, **kwargs)
        return [p for page in pages for p in page.get("Parameters", [])]

    def tree(self):
        root = self.pname("app")
        names = {
            "a": root + "/a", "b": root + "/b", "c": root + "/sub/c", "d": root + "/sub/deep/d",
        }
        for key, name in names.items():
            self.put(name, "value-" + key)
        return root, names

    def test_one_level_and_recursive(self):
        root, n = self.tree()
        self.assertEqual(sorted(names_of(self.by_path(root))), [n["a"], n["b"]])
        self.assertEqual(sorted(names_of(self.by_path(root, Recursive=False))), [n["a"], n["b"]])
        self.assertEqual(sorted(names_of(self.by_path(root, Recursive=True))), sorted(n.values()))
        self.assertEqual(names_of(self.by_path(root + "/sub")), [n["c"]])
        self.assertEqual(sorted(names_of(self.by_path(root + "/sub", Recursive=True))), [n["c"], n["d"]])
        self.assertEqual(sorted(names_of(self.by_path(self.path, Recursive=True))), sorted(n.values()))
        self.assertEqual(self.by_path(self.path), [])
        got = {p["Name"]: p for p in self.by_path(root, Recursive=True)}
        self.assertEqual(got[n["d"]]["Value"], "value-d")
        self.assertEqual(got[n["d"]]["Type"], "String")
        self.assertEqual(got[n["d"]]["Version"], 1)
        self.assertParameterArn(got[n["d"]]["ARN"], n["d"])

    def test_a_parameter_name_is_not_a_path(self):
        root, n = self.tree()
        self.assertEqual(self.by_path(n["a"]), [])
        self.assertEqual(self.by_path(n["a"], Recursive=True), [])
        # A sibling that merely shares the prefix is not below the path.
        self.put(root + "/abc", "sibling")
        self.assertEqual(self.by_path(n["a"], Recursive=True), [])

    def test_with_decryption(self):
        root = self.pname("mixed")
        self.put(root + "/plain", "open")
        self.put(root + "/secret", "path-secret", "SecureString")
        clear = {p["Name"]: p["Value"] for p in self.by_path(root, WithDecryption=True)}
        self.assertEqual(clear, {root + "/plain": "open", root + "/secret": "path-secret"})
        hidden = {p["Name"]: p["Value"] for p in self.by_path(root)}
        self.assertEqual(hidden[root + "/plain"], "open")
        self.assertNotEqual(hidden[root + "/secret"], "path-secret")
        self.assertNotIn("path-secret", hidden[root + "/secret"])

    def test_filters_type_keyid_and_label(self):
        meta = self.create_key()
        root = self.pname("f")
        self.put(root + "/s", "s")
        self.put(root + "/l", "x,y", "StringList")
        self.put(root + "/sec-default", "d", "SecureString")
        self.put(root + "/sec-cmk", "c", "SecureString", KeyId=meta["KeyId"])
        self.put(root + "/s", "s2", Overwrite=True)
        self.ssm.label_parameter_version(Name=root + "/s", ParameterVersion=1, Labels=["prod"])
        self.ssm.label_parameter_version(Name=root + "/l", Labels=["prod", "other"])

        def names(*filters):
            return sorted(names_of(self.by_path(root, ParameterFilters=list(filters))))

        self.assertEqual(names({"Key": "Type", "Option": "Equals", "Values": ["SecureString"]}),
                         [root + "/sec-cmk", root + "/sec-default"])
        self.assertEqual(names({"Key": "Type", "Values": ["String", "StringList"]}), [root + "/l", root + "/s"])
        self.assertEqual(names({"Key": "Type", "Option": "BeginsWith", "Values": ["String"]}), [root + "/l", root + "/s"])
        self.assertEqual(names({"Key": "KeyId", "Option": "Equals", "Values": [meta["KeyId"]]}), [root + "/sec-cmk"])
        self.assertEqual(names({"Key": "KeyId", "Option": "Equals", "Values": [SSM_MANAGED_ALIAS]}),
                         [root + "/sec-default"])
        labelled = self.by_path(root, ParameterFilters=[{"Key": "Label", "Option": "Equals", "Values": ["prod"]}])
        self.assertEqual(sorted((p["Name"], p["Version"], p["Value"]) for p in labelled),
                         [(root + "/l", 1, "x,y"), (root + "/s", 1, "s")])
        self.assertEqual(names({"Key": "Label", "Values": ["none"]}), [])
        self.assertEqual(names({"Key": "Type", "Values": ["String"]},
                               {"Key": "Label", "Values": ["prod"]}), [root + "/s"])

    def test_filter_keys_and_options_that_are_not_allowed(self):
        root = self.pname("f")
        self.put(root + "/s")
        for key in ("tag:env", "Name", "Path", "Tier", "DataType"):
            with self.subTest(key):
                self.assertAwsError("InvalidFilterKey", self.ssm.get_parameters_by_path, Path=root,
                                    ParameterFilters=[{"Key": key, "Values": ["x"]}], status=400)
        self.assertAwsError("InvalidFilterOption", self.ssm.get_parameters_by_path, Path=root,
                            ParameterFilters=[{"Key": "Label", "Option": "BeginsWith", "Values": ["p"]}])
        self.assertAwsError("InvalidFilterOption", self.ssm.get_parameters_by_path, Path=root,
                            ParameterFilters=[{"Key": "Type", "Option": "Recursive", "Values": ["String"]}])

    def test_max_results_and_next_token(self):
        root = self.pname("page")
        names = [root + "/p%02d" % i for i in range(23)]
        for name in names:
            self.put(name)
        seen, token, calls = [], None, 0
        while True:
            kwargs = {"Path": root, "MaxResults": 10}
            if token:
                kwargs["NextToken"] = token
            page = self.ssm.get_parameters_by_path(**kwargs)
            calls += 1
            self.assertLessEqual(len(page.get("Parameters", [])), 10)
            seen += names_of(page.get("Parameters", []))
            token = page.get("NextToken")
            if not token:
                break
            self.assertLess(calls, 50, "pagination does not end")
        self.assertEqual(sorted(seen), names)
        self.assertEqual(len(seen), len(set(seen)), "a parameter came back twice")
        self.assertGreaterEqual(calls, 3)
        self.assertAwsError("ValidationException", self.ssm.get_parameters_by_path, Path=root, MaxResults=11)
        self.assertAwsError("InvalidNextToken", self.ssm.get_parameters_by_path, Path=root, MaxResults=10,
                            NextToken="not-a-token")

    def test_path_must_start_with_a_slash(self):
        self.assertAwsError("ValidationException", self.ssm.get_parameters_by_path, Path=self.prefix + "x")


class LargeHierarchyTests(SSMTestCase):
    """A few thousand parameters, read completely through boto3's paginators."""

    COUNT = 2500

    def test_hundreds_of_parameters_through_the_paginators(self):
        root = self.pname("many")
        names = ["%s/g%d/p%03d" % (root, i % 4, i) for i in range(self.COUNT)]
        names += ["%s/top%02d" % (root, i) for i in range(20)]
        self.track(*names)
        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(lambda n: self.ssm.put_parameter(Name=n, Value="v-" + n[-4:], Type="String"), names))

        def read(page_size, recursive=True):
            pages = self.ssm.get_paginator("get_parameters_by_path").paginate(
                Path=root, Recursive=recursive, PaginationConfig={"PageSize": page_size})
            out = []
            for page in pages:
                self.assertLessEqual(len(page.get("Parameters", [])), page_size)
                out += names_of(page.get("Parameters", []))
            return out

        by_ten = read(10)
        self.assertEqual(len(by_ten), len(names), "GetParametersByPath returned %d of %d" % (len(by_ten), len(names)))
        self.assertEqual(sorted(by_ten), sorted(names))
        # The order is the server's (AWS documents none), but it must be stable across page sizes.
        self.assertEqual(read(7), by_ten)
        self.assertEqual(sorted(read(10, recursive=False)), sorted(n for n in names if "/top" in n))

        described = self.describe({"Key": "Path", "Option": "Recursive", "Values": [root]},
                                  PaginationConfig={"PageSize": 50})
        self.assertEqual(sorted(names_of(described)), sorted(names))
        one_level = self.describe({"Key": "Path", "Option": "OneLevel", "Values": [root + "/g1"]})
        self.assertEqual(sorted(names_of(one_level)), sorted(n for n in names if "/g1/" in n))


# ============================================================================ DescribeParameters


class DescribeParametersTests(SSMTestCase):
    def setUp(self):
        super().setUp()
        self.key = self.create_key()
        p = self.pname
        self.put(p("app/url"), "u", Description="url", Tags=[{"Key": "env", "Value": "prod"}])
        self.put(p("app/hosts"), "a,b", "StringList", Tags=[{"Key": "env", "Value": "preprod"}])
        self.put(p("app/db/password"), "pw", "SecureString", Tags=[{"Key": "team", "Value": "db"}])
        self.put(p("app/db/token"), "tk", "SecureString", KeyId=self.key["KeyId"], Tier="Advanced")
        self.put(p("other/flag"), "on")

    def names(self, *filters):
        return sorted(names_of(self.describe({"Key": "Path", "Option": "Recursive", "Values": [self.path]},
                                             *filters)))

    def test_path_filter(self):
        p = self.pname
        everything = sorted([p("app/url"), p("app/hosts"), p("app/db/password"), p("app/db/token"), p("other/flag")])
        self.assertEqual(self.names(), everything)
        one = self.describe({"Key": "Path", "Option": "OneLevel", "Values": [p("app")]})
        self.assertEqual(sorted(names_of(one)), [p("app/hosts"), p("app/url")])
        rec = self.describe({"Key": "Path", "Option": "Recursive", "Values": [p("app/db")]})
        self.assertEqual(sorted(names_of(rec)), [p("app/db/password"), p("app/db/token")])
        both = self.describe({"Key": "Path", "Option": "OneLevel", "Values": [p("app/db"), p("other")]})
        self.assertEqual(sorted(names_of(both)), [p("app/db/password"), p("app/db/token"), p("other/flag")])

    def test_name_filter(self):
        p = self.pname
        eq = self.describe({"Key": "Name", "Option": "Equals", "Values": [p("app/url"), p("other/flag")]})
        self.assertEqual(sorted(names_of(eq)), [p("app/url"), p("other/flag")])
        default_option = self.describe({"Key": "Name", "Values": [p("app/url")]})
        self.assertEqual(names_of(default_option), [p("app/url")])
        begins = self.describe({"Key": "Name", "Option": "BeginsWith", "Values": [p("app/db/")]})
        self.assertEqual(sorted(names_of(begins)), [p("app/db/password"), p("app/db/token")])
        self.assertEqual(self.names({"Key": "Name", "Option": "Contains", "Values": ["db/to", "hos"]}),
                         [p("app/db/token"), p("app/hosts")])

    def test_type_key_tier_and_data_type_filters(self):
        p = self.pname
        self.assertEqual(self.names({"Key": "Type", "Option": "Equals", "Values": ["SecureString"]}),
                         [p("app/db/password"), p("app/db/token")])
        self.assertEqual(self.names({"Key": "Type", "Option": "BeginsWith", "Values": ["String"]}),
                         [p("app/hosts"), p("app/url"), p("other/flag")])
        self.assertEqual(self.names({"Key": "KeyId", "Option": "Equals", "Values": [self.key["KeyId"]]}),
                         [p("app/db/token")])
        self.assertEqual(self.names({"Key": "KeyId", "Values": [SSM_MANAGED_ALIAS]}), [p("app/db/password")])
        self.assertEqual(self.names({"Key": "Tier", "Option": "Equals", "Values": ["Advanced"]}), [p("app/db/token")])
        self.assertEqual(len(self.names({"Key": "Tier", "Values": ["Standard"]})), 4)
        self.assertEqual(len(self.names({"Key": "DataType", "Option": "Equals", "Values": ["text"]})), 5)
        self.assertEqual(self.names({"Key": "DataType", "Values": ["aws:ec2:image"]}), [])

    def test_tag_filters(self):
        p = self.pname
        self.assertEqual(self.names({"Key": "tag:env", "Option": "Equals", "Values": ["prod"]}), [p("app/url")])
        self.assertEqual(self.names({"Key": "tag:env", "Option": "BeginsWith", "Values": ["pr"]}),
                         [p("app/hosts"), p("app/url")])
        self.assertEqual(self.names({"Key": "tag:env", "Values": ["prod", "preprod"]}), [p("app/hosts"), p("app/url")])
        self.assertEqual(self.names({"Key": "tag:team", "Values": ["db"]}), [p("app/db/password")])
        self.assertEqual(self.names({"Key": "tag:missing", "Values": ["x"]}), [])
        # Several filters must all match.
        self.assertEqual(self.names({"Key": "tag:env", "Values": ["prod", "preprod"]},
                                    {"Key": "Type", "Values": ["StringList"]}), [p("app/hosts")])

    def test_metadata_never_carries_values(self):
        for meta in self.describe({"Key": "Path", "Option": "Recursive", "Values": [self.path]}):
            self.assertNotIn("Value", meta)
            self.assertIn("Type", meta)
            self.assertIn("Version", meta)
            self.assertRecent(meta["LastModifiedDate"], what="LastModifiedDate")
        token = self.describe_one(self.pname("app/db/token"))
        self.assertIn(token["KeyId"], (self.key["KeyId"], self.key["Arn"]))
        self.assertEqual(token["Tier"], "Advanced")

    def test_pagination(self):
        seen, token, calls = [], None, 0
        filters = [{"Key": "Path", "Option": "Recursive", "Values": [self.path]}]
        while True:
            kwargs = {"ParameterFilters": filters, "MaxResults": 2}
            if token:
                kwargs["NextToken"] = token
            page = self.ssm.describe_parameters(**kwargs)
            calls += 1
            self.assertLessEqual(len(page.get("Parameters", [])), 2)
            seen += names_of(page.get("Parameters", []))
            token = page.get("NextToken")
            if not token:
                break
            self.assertLess(calls, 1000, "pagination does not end")
        self.assertEqual(sorted(seen), self.names())
        self.assertEqual(len(seen), len(set(seen)))
        self.assertAwsError("ValidationException", self.ssm.describe_parameters, MaxResults=51)
        self.assertAwsError("InvalidNextToken", self.ssm.describe_parameters, NextToken="not-a-token",
                            ParameterFilters=filters)

    def test_bad_filters(self):
        path = {"Key": "Path", "Option": "Recursive", "Values": [self.path]}
        cases = (
            ("InvalidFilterKey", {"Key": "Label", "Values": ["prod"]}),
            ("InvalidFilterOption", {"Key": "Type", "Option": "Recursive", "Values": ["String"]}),
            ("InvalidFilterOption", {"Key": "Path", "Option": "Equals", "Values": [self.path]}),
            ("InvalidFilterOption", {"Key": "Tier", "Option": "Contains", "Values": ["Std"]}),
            (("InvalidFilterValue", "ValidationException"),
             {"Key": "Path", "Option": "Recursive", "Values": ["no-leading-slash"]}),
        )
        for code, flt in cases:
            with self.subTest(flt):
                filters = [flt] if flt["Key"] == "Path" else [path, flt]
                self.assertAwsError(code, self.ssm.describe_parameters, ParameterFilters=filters, status=400)


# ============================================================================ history


class HistoryTests(SSMTestCase):
    def test_every_version_oldest_first(self):
        name = self.pname("hist")
        self.put(name, "v1", Description="first")
        self.put(name, "v2", Overwrite=True, Description="second")
        self.put(name, "v3", Overwrite=True)
        self.ssm.label_parameter_version(Name=name, ParameterVersion=1, Labels=["old", "first"])
        self.ssm.label_parameter_version(Name=name, Labels=["latest"])
        history = self.history(name)
        self.assertEqual([h["Version"] for h in history], [1, 2, 3])
        self.assertEqual([h["Value"] for h in history], ["v1", "v2", "v3"])
        self.assertEqual([sorted(h.get("Labels", [])) for h in history], [["first", "old"], [], ["latest"]])
        self.assertEqual([h.get("Description") for h in history[:2]], ["first", "second"])
        for h in history:
            self.assertEqual(h["Name"], name)
            self.assertEqual(h["Type"], "String")
            self.assertEqual(h["Tier"], "Standard")
            self.assertEqual(h.get("DataType"), "text")
            self.assertRecent(h["LastModifiedDate"], what="LastModifiedDate")
            self.assertTrue(h.get("LastModifiedUser"), "LastModifiedUser missing: %r" % h)
        self.assertLessEqual(history[0]["LastModifiedDate"], history[2]["LastModifiedDate"])

    def test_paging_by_arn_and_unknown_names(self):
        name = self.pname("hist")
        for i in range(1, 6):
            self.put(name, "v%d" % i, Overwrite=i > 1)
        first = self.ssm.get_parameter_history(Name=name, MaxResults=2)
        self.assertLessEqual(len(first["Parameters"]), 2)
        self.assertEqual([h["Version"] for h in first["Parameters"]], [1, 2][:len(first["Parameters"])])
        self.assertIn("NextToken", first)
        self.assertEqual([h["Version"] for h in self.history(name, PaginationConfig={"PageSize": 2})], [1, 2, 3, 4, 5])
        arn = self.get(name)["ARN"]
        self.assertEqual(len(self.history(arn)), 5)
        self.assertAwsError("ParameterNotFound", self.ssm.get_parameter_history, Name=self.pname("missing"), status=400)
        self.assertAwsError("ValidationException", self.ssm.get_parameter_history, Name=name, MaxResults=51)
        self.assertAwsError("InvalidNextToken", self.ssm.get_parameter_history, Name=name, NextToken="not-a-token")

    def test_secure_string_history_with_decryption(self):
        name = self.pname("hist-sec")
        self.put(name, "old-secret", "SecureString")
        self.put(name, "new-secret", "SecureString", Overwrite=True)
        clear = self.history(name, WithDecryption=True)
        self.assertEqual([h["Value"] for h in clear], ["old-secret", "new-secret"])
        self.assertEqual([h.get("KeyId") for h in clear], [SSM_MANAGED_ALIAS] * 2)
        for h in self.history(name):
            self.assertNotIn(h["Value"], ("old-secret", "new-secret"))
            self.assertNotIn("secret", h["Value"])

    def test_only_100_versions_and_a_labelled_oldest_version_blocks_the_next(self):
        name = self.pname("hundred")
        for i in range(1, 101):
            self.put(name, "v%d" % i, Overwrite=i > 1)
        self.ssm.label_parameter_version(Name=name, ParameterVersion=1, Labels=["pinned"])
        self.assertAwsError("ParameterMaxVersionLimitExceeded", self.put, name, "v101", Overwrite=True, status=400)
        self.assertEqual(self.get(name)["Version"], 100)
        self.ssm.label_parameter_version(Name=name, ParameterVersion=2, Labels=["pinned"])  # moves the label
        self.assertEqual(self.put(name, "v101", Overwrite=True)["Version"], 101)
        history = self.history(name)
        self.assertEqual(len(history), 100)
        self.assertEqual((history[0]["Version"], history[-1]["Version"]), (2, 101))
        self.assertAwsError("ParameterVersionNotFound", self.get, name + ":1")
        self.assertEqual(self.get(name + ":pinned")["Value"], "v2")


# ============================================================================ labels


class LabelTests(SSMTestCase):
    def two_versions(self):
        name = self.pname("labelled")
        self.put(name, "v1")
        self.put(name, "v2", Overwrite=True)
        return name

    def labels(self, name):
        return {h["Version"]: sorted(h.get("Labels", [])) for h in self.history(name)}

    def test_label_defaults_to_the_latest_version(self):
        name = self.two_versions()
        resp = self.ssm.label_parameter_version(Name=name, Labels=["current"])
        self.assertEqual(resp["ParameterVersion"], 2)
        self.assertEqual(resp.get("InvalidLabels", []), [])
        self.assertEqual(self.labels(name), {1: [], 2: ["current"]})

    def test_a_label_moves_between_versions(self):
        name = self.two_versions()
        self.ssm.label_parameter_version(Name=name, ParameterVersion=1, Labels=["prod", "stable"])
        self.assertEqual(self.get(name + ":prod")["Version"], 1)
        resp = self.ssm.label_parameter_version(Name=name, ParameterVersion=2, Labels=["prod"])
        self.assertEqual(resp["ParameterVersion"], 2)
        self.assertEqual(self.labels(name), {1: ["stable"], 2: ["prod"]})
        self.assertEqual(self.get(name + ":prod")["Value"], "v2")
        self.assertEqual(self.get(name + ":stable")["Value"], "v1")
        # Labelling again with the same label is harmless.
        self.ssm.label_parameter_version(Name=name, ParameterVersion=2, Labels=["prod"])
        self.assertEqual(self.labels(name), {1: ["stable"], 2: ["prod"]})

    def test_labels_are_case_sensitive(self):
        name = self.two_versions()
        self.ssm.label_parameter_version(Name=name, ParameterVersion=1, Labels=["Prod"])
        self.ssm.label_parameter_version(Name=name, ParameterVersion=2, Labels=["prod"])
        self.assertEqual(self.labels(name), {1: ["Prod"], 2: ["prod"]})

    def test_at_most_ten_labels_per_version(self):
        name = self.two_versions()
        ten = ["l%d" % i for i in range(10)]
        self.ssm.label_parameter_version(Name=name, ParameterVersion=1, Labels=ten)
        self.assertAwsError("ParameterVersionLabelLimitExceeded", self.ssm.label_parameter_version,
                            Name=name, ParameterVersion=1, Labels=["eleventh"], status=400)
        self.assertEqual(self.labels(name)[1], sorted(ten))
        # Moving one away makes room.
        self.ssm.label_parameter_version(Name=name, ParameterVersion=2, Labels=["l0"])
        self.ssm.label_parameter_version(Name=name, ParameterVersion=1, Labels=["eleventh"])
        self.assertEqual(len(self.labels(name)[1]), 10)

    def test_invalid_labels_are_returned_not_attached(self):
        name = self.two_versions()
        bad = ["1starts-with-digit", "awsLabel", "AWS-upper", "ssmLabel", "SsM.mixed", "has space", "a/b", "c:d"]
        resp = self.ssm.label_parameter_version(Name=name, ParameterVersion=1, Labels=["good-1", "Good_2.x"] + bad)
        self.assertEqual(resp["ParameterVersion"], 1)
        self.assertEqual(sorted(resp.get("InvalidLabels", [])), sorted(bad))
        self.assertEqual(self.labels(name), {1: ["Good_2.x", "good-1"], 2: []})

    def test_label_errors(self):
        name = self.two_versions()
        self.assertAwsError("ParameterVersionNotFound", self.ssm.label_parameter_version, Name=name,
                            ParameterVersion=3, Labels=["x"], status=400)
        self.assertAwsError("ParameterNotFound", self.ssm.label_parameter_version, Name=self.pname("missing"),
                            Labels=["x"], status=400)

    def test_unlabel(self):
        name = self.two_versions()
        self.ssm.label_parameter_version(Name=name, ParameterVersion=1, Labels=["a", "b"])
        resp = self.ssm.unlabel_parameter_version(Name=name, ParameterVersion=1, Labels=["a", "c"])
        self.assertEqual(resp.get("RemovedLabels"), ["a"])
        self.assertEqual(resp.get("InvalidLabels"), ["c"])
        self.assertEqual(self.labels(name), {1: ["b"], 2: []})
        self.assertAwsError("ParameterVersionNotFound", self.get, name + ":a")
        # A label on another version is not removed.
        resp = self.ssm.unlabel_parameter_version(Name=name, ParameterVersion=2, Labels=["b"])
        self.assertEqual(resp.get("RemovedLabels", []), [])
        self.assertEqual(resp.get("InvalidLabels"), ["b"])
        self.assertEqual(self.get(name + ":b")["Version"], 1)

    def test_unlabel_errors(self):
        name = self.two_versions()
        self.assertAwsError("ParameterVersionNotFound", self.ssm.unlabel_parameter_version, Name=name,
                            ParameterVersion=9, Labels=["x"])
        self.assertAwsError("ParameterNotFound", self.ssm.unlabel_parameter_version, Name=self.pname("missing"),
                            ParameterVersion=1, Labels=["x"])


# ============================================================================ delete


class DeleteTests(SSMTestCase):
    def test_delete_parameter_removes_versions_labels_and_tags(self):
        name = self.pname("gone")
        self.put(name, "v1", Tags=[{"Key": "k", "Value": "v"}])
        self.put(name, "v2", Overwrite=True)
        self.ssm.label_parameter_version(Name=name, ParameterVersion=1, Labels=["keep"])
        resp = self.ssm.delete_parameter(Name=name)
        resp.pop("ResponseMetadata")
        self.assertEqual(resp, {})
        self.assertAwsError("ParameterNotFound", self.get, name)
        self.assertAwsError("ParameterNotFound", self.ssm.get_parameter_history, Name=name)
        self.assertAwsError("ParameterNotFound", self.ssm.delete_parameter, Name=name, status=400)
        self.assertEqual(self.describe({"Key": "Name", "Values": [name]}), [])
        # Re-created: a new parameter from version 1, without the old labels and tags.
        self.assertEqual(self.put(name, "fresh")["Version"], 1)
        self.assertEqual([h["Value"] for h in self.history(name)], ["fresh"])
        self.assertAwsError("ParameterVersionNotFound", self.get, name + ":keep")
        self.assertEqual(self.tags_of(name), {})

    def test_delete_parameters_reports_deleted_and_invalid(self):
        a, b, missing = self.pname("a"), self.pname("b"), self.pname("missing")
        self.put(a)
        self.put(b, "s", "SecureString")
        resp = self.ssm.delete_parameters(Names=[a, missing, b])
        self.assertEqual(sorted(resp["DeletedParameters"]), sorted([a, b]))
        self.assertEqual(resp["InvalidParameters"], [missing])
        self.assertEqual(self.ssm.get_parameters(Names=[a, b]).get("Parameters", []), [])
        again = self.ssm.delete_parameters(Names=[a])
        self.assertEqual(again.get("DeletedParameters", []), [])
        self.assertEqual(again["InvalidParameters"], [a])

    def test_delete_parameters_takes_at_most_ten_names(self):
        names = [self.pname("n%d" % i) for i in range(11)]
        self.assertAwsError("ValidationException", self.ssm.delete_parameters, Names=names)


# ============================================================================ tags


class TagTests(SSMTestCase):
    def test_add_list_overwrite_and_remove(self):
        name = self.pname("tagged")
        self.put(name, Tags=[{"Key": "env", "Value": "dev"}])
        resp = self.ssm.add_tags_to_resource(ResourceType="Parameter", ResourceId=name,
                                             Tags=[{"Key": "team", "Value": "core"}, {"Key": "env", "Value": "prod"}])
        resp.pop("ResponseMetadata")
        self.assertEqual(resp, {})
        listed = self.ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=name)["TagList"]
        self.assertEqual(sorted((t["Key"], t["Value"]) for t in listed), [("env", "prod"), ("team", "core")])
        self.ssm.add_tags_to_resource(ResourceType="Parameter", ResourceId=name,
                                      Tags=[{"Key": "empty", "Value": ""}, {"Key": "a.b:c/d=e+f-g@h", "Value": "x y"}])
        self.assertEqual(self.tags_of(name), {"env": "prod", "team": "core", "empty": "", "a.b:c/d=e+f-g@h": "x y"})
        self.ssm.remove_tags_from_resource(ResourceType="Parameter", ResourceId=name,
                                           TagKeys=["env", "empty", "not-there"])
        self.assertEqual(self.tags_of(name), {"team": "core", "a.b:c/d=e+f-g@h": "x y"})
        # Tags don't make a new version.
        self.assertEqual(self.get(name)["Version"], 1)

    def test_unknown_parameter_and_resource_type(self):
        missing = self.pname("missing")
        tags = [{"Key": "k", "Value": "v"}]
        self.assertAwsError("InvalidResourceId", self.ssm.add_tags_to_resource, ResourceType="Parameter",
                            ResourceId=missing, Tags=tags, status=400)
        self.assertAwsError("InvalidResourceId", self.ssm.list_tags_for_resource, ResourceType="Parameter",
                            ResourceId=missing)
        self.assertAwsError("InvalidResourceId", self.ssm.remove_tags_from_resource, ResourceType="Parameter",
                            ResourceId=missing, TagKeys=["k"])
        name = self.pname("p")
        self.put(name)
        self.assertAwsError(("InvalidResourceType", "ValidationException"), self.ssm.add_tags_to_resource,
                            ResourceType="Bogus", ResourceId=name, Tags=tags)

    def test_at_most_50_tags(self):
        name = self.pname("many-tags")
        self.put(name)
        fifty = [{"Key": "k%02d" % i, "Value": "v"} for i in range(50)]
        self.ssm.add_tags_to_resource(ResourceType="Parameter", ResourceId=name, Tags=fifty)
        self.assertEqual(len(self.tags_of(name)), 50)
        self.assertAwsError("TooManyTagsError", self.ssm.add_tags_to_resource, ResourceType="Parameter",
                            ResourceId=name, Tags=[{"Key": "one-more", "Value": "v"}], status=400)
        # Overwriting an existing key is still fine.
        self.ssm.add_tags_to_resource(ResourceType="Parameter", ResourceId=name, Tags=[{"Key": "k00", "Value": "new"}])
        self.assertEqual(self.tags_of(name)["k00"], "new")
        self.assertEqual(len(self.tags_of(name)), 50)

    def test_bad_tag_key(self):
        name = self.pname("p")
        self.put(name)
        self.assertAwsError("ValidationException", self.ssm.add_tags_to_resource, ResourceType="Parameter",
                            ResourceId=name, Tags=[{"Key": "bad#key", "Value": "v"}])
        self.assertEqual(self.tags_of(name), {})


# ============================================================================ Secrets Manager bridge


class SecretsManagerReferenceTests(SSMTestCase):
    def setUp(self):
        super().setUp()
        self.secret = self.create("db", SecretString="first-secret-value")
        self.v2 = self.client.put_secret_value(SecretId=self.secret["ARN"], SecretString="second-secret-value")
        self.ref = REFERENCE_PREFIX + self.secret["Name"]

    def test_reference_returns_the_current_secret(self):
        p = self.get(self.ref, True)
        self.assertEqual(p["Name"], self.ref)
        self.assertEqual(p["Type"], "SecureString")
        self.assertEqual(p["Value"], "second-secret-value")
        self.assertEqual(p["Version"], 0)
        self.assertEqual(p["ARN"], self.secret["ARN"])
        self.assertNotIn("Selector", p)
        self.assertRecent(p["LastModifiedDate"], what="LastModifiedDate")
        source = json.loads(p["SourceResult"])
        self.assertEqual(source["Name"], self.secret["Name"])
        self.assertEqual(source["ARN"], self.secret["ARN"])
        self.assertEqual(source["VersionId"], self.v2["VersionId"])
        self.assertEqual(source["SecretString"], "second-secret-value")
        self.assertIn("AWSCURRENT", source["VersionStages"])

    def test_stage_and_version_selectors(self):
        previous = self.get(self.ref + ":AWSPREVIOUS", True)
        self.assertEqual((previous["Name"], previous["Selector"], previous["Value"]),
                         (self.ref, ":AWSPREVIOUS", "first-secret-value"))
        self.assertEqual(json.loads(previous["SourceResult"])["VersionId"], self.secret["VersionId"])
        current = self.get(self.ref + ":AWSCURRENT", True)
        self.assertEqual((current["Selector"], current["Value"]), (":AWSCURRENT", "second-secret-value"))
        by_id = self.get("%s:%s" % (self.ref, self.secret["VersionId"]), True)
        self.assertEqual((by_id["Selector"], by_id["Value"]), (":" + self.secret["VersionId"], "first-secret-value"))

    def test_with_decryption_is_required(self):
        for decrypt in (False, None):
            with self.subTest(WithDecryption=decrypt):
                self.assertAwsError("ValidationException", self.get, self.ref, decrypt,
                                    message=WITH_DECRYPTION_MESSAGE, status=400)
        self.assertAwsError("ValidationException", self.ssm.get_parameters, Names=[self.ref])

    def test_missing_secret(self):
        self.assertAwsError("ParameterNotFound", self.get, REFERENCE_PREFIX + self.name("missing"), True)
        self.assertAwsError(("ParameterNotFound", "ParameterVersionNotFound"), self.get,
                            self.ref + ":NOSUCHSTAGE", True)

    def test_get_parameters_mixes_references_and_parameters(self):
        name = self.pname("plain")
        self.put(name, "plain-value")
        resp = self.ssm.get_parameters(Names=[self.ref, name], WithDecryption=True)
        self.assertEqual({p["Name"]: p["Value"] for p in resp["Parameters"]},
                         {self.ref: "second-secret-value", name: "plain-value"})
        self.assertEqual(resp.get("InvalidParameters", []), [])

    def test_the_reference_namespace_is_read_only(self):
        self.assertAwsError(("ValidationException", "AccessDeniedException"), self.put, self.ref, "x", Overwrite=True)
        self.assertEqual(self.client.get_secret_value(SecretId=self.secret["ARN"])["SecretString"],
                         "second-secret-value")


# ============================================================================ policies


class ParameterPolicyTests(SSMTestCase):
    def future(self, days=30):
        return utcnow() + datetime.timedelta(days=days)

    def test_policies_are_reported_on_advanced_parameters(self):
        name = self.pname("expiring")
        policies = [expiration(self.future()), no_change("10", "Days")]
        self.assertEqual(self.put(name, Tier="Advanced", Policies=json.dumps(policies))["Tier"], "Advanced")
        meta = self.describe_one(name)
        got = sorted(meta.get("Policies", []), key=lambda p: str(p.get("PolicyType")))
        self.assertEqual([p["PolicyType"] for p in got], ["Expiration", "NoChangeNotification"])
        for p in got:
            self.assertEqual(p["PolicyStatus"], "Pending")
            self.assertEqual(json.loads(p["PolicyText"])["Type"], p["PolicyType"])
        self.assertEqual(json.loads(got[0]["PolicyText"])["Attributes"]["Timestamp"],
                         policies[0]["Attributes"]["Timestamp"])
        # An overwrite without Policies keeps them; [{}] removes them all.
        self.put(name, "v2", Overwrite=True)
        self.assertEqual(len(self.describe_one(name).get("Policies", [])), 2)
        self.put(name, "v3", Overwrite=True, Policies="[{}]")
        self.assertEqual(self.describe_one(name).get("Policies", []), [])

    def test_intelligent_tiering_with_policies_is_advanced(self):
        name = self.pname("smart")
        resp = self.put(name, Tier="Intelligent-Tiering", Policies=json.dumps([no_change("1", "Hours")]))
        self.assertEqual(resp["Tier"], "Advanced")
        self.assertEqual(self.describe_one(name)["Tier"], "Advanced")

    def test_policies_need_the_advanced_tier(self):
        name = self.pname("standard-policy")
        self.track(name)
        self.assertAwsError(("ValidationException", "InvalidPolicyAttributeException", "InvalidPolicyTypeException",
                             "IncompatiblePolicyException"),
                            self.put, name, Tier="Standard", Policies=json.dumps([expiration(self.future())]))

    def test_bad_policies(self):
        future = self.future()
        cases = (
            ("IncompatiblePolicyException", [expiration(future), expiration(future + datetime.timedelta(days=1))]),
            ("InvalidPolicyTypeException", [{"Type": "Teleport", "Version": "1.0", "Attributes": {}}]),
            ("InvalidPolicyAttributeException",
             [{"Type": "Expiration", "Version": "1.0", "Attributes": {"Timestamp": "not-a-time"}}]),
            ("InvalidPolicyAttributeException", [no_change("5", "Weeks")]),
            ("PoliciesLimitExceededException", [no_change(str(i + 1)) for i in range(11)]),
        )
        for i, (code, policies) in enumerate(cases):
            with self.subTest(code, case=i):
                name = self.pname("bad-%d" % i)
                self.track(name)
                self.assertAwsError(code, self.put, name, Tier="Advanced", Policies=json.dumps(policies), status=400)
                self.assertAwsError("ParameterNotFound", self.get, name)

    def test_expiration_in_the_past_is_refused_or_deletes_the_parameter(self):
        name = self.pname("expired")
        policy = json.dumps([expiration(utcnow() - datetime.timedelta(minutes=5))])
        try:
            self.put(name, Tier="Advanced", Policies=policy)
        except ClientError as exc:
            self.assertEqual(error_code(exc), "InvalidPolicyAttributeException", exc.response.get("Error"))
            self.assertAwsError("ParameterNotFound", self.get, name)
            return
        # Accepted: the parameter must be gone once the policy is due (allow 3 s for the enforcement).
        deadline = time.monotonic() + 3
        while True:
            try:
                self.get(name)
            except ClientError as exc:
                self.assertEqual(error_code(exc), "ParameterNotFound", exc.response.get("Error"))
                break
            self.assertLess(time.monotonic(), deadline, "a parameter past its Expiration is still there after 3 s")
            time.sleep(0.25)
        self.assertEqual(self.describe({"Key": "Name", "Values": [name]}), [])


# ============================================================================ wire


def raw_ssm_call(operation, payload):
    body = json.dumps(payload).encode("utf-8")
    headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "AmazonSSM." + operation}
    request = AWSRequest(method="POST", url=endpoint() + "/", data=body, headers=headers)
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "ssm", REGION).add_auth(request)
    prepared = request.prepare()
    req = urllib.request.Request(prepared.url, data=prepared.body, headers=dict(prepared.headers), method="POST")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read()


class WireTests(SSMTestCase):
    def test_json_1_1_framing(self):
        name = self.pname("wire")
        status, headers, body = raw_ssm_call("PutParameter", {"Name": name, "Value": "w", "Type": "String"})
        self.track(name)
        self.assertEqual(status, 200, body)
        self.assertTrue(headers.get("content-type", "").startswith("application/x-amz-json-1.1"), headers)
        self.assertEqual(json.loads(body)["Version"], 1)
        status, _, body = raw_ssm_call("GetParameter", {"Name": name})
        self.assertEqual(status, 200, body)
        param = json.loads(body)["Parameter"]
        self.assertIsInstance(param["LastModifiedDate"], (int, float))  # epoch seconds, not a string
        self.assertIsInstance(param["Version"], int)

    def test_error_shape(self):
        status, headers, body = raw_ssm_call("GetParameter", {"Name": self.pname("missing")})
        self.assertEqual(status, 400, body)
        err = json.loads(body)
        self.assertEqual(err["__type"].split("#")[-1], "ParameterNotFound")
        self.assertTrue(headers.get("content-type", "").startswith("application/x-amz-json-1.1"), headers)
        # Shared wire rules (secretsmanager-api.md §1): an X-Amz-Target naming no operation.
        status, _, body = raw_ssm_call("NoSuchOperation", {})
        self.assertEqual(status, 400, body)
        self.assertEqual(json.loads(body)["__type"].split("#")[-1], "UnknownOperationException")


class OperationCoverageTests(unittest.TestCase):
    def test_every_parameter_operation_has_a_test(self):
        model = botocore.session.get_session().get_service_model("ssm")
        for op in PARAMETER_OPERATIONS:
            self.assertIn(op, model.operation_names)
        sources = {}
        for filename in ("test_ssm.py", "test_ssm_cli.py"):
            with open(os.path.join(HERE, filename), encoding="utf-8") as f:
                sources[filename] = f.read()
        missing = [op for op in PARAMETER_OPERATIONS if "." + xform_name(op) + "(" not in sources["test_ssm.py"]
                   and '"%s"' % xform_name(op) not in sources["test_ssm.py"]]
        self.assertEqual(missing, [], "operations without a boto3 test")
        missing = [op for op in PARAMETER_OPERATIONS if '"%s"' % xform_name(op, "-") not in sources["test_ssm_cli.py"]]
        self.assertEqual(missing, [], "operations without a CLI test")


if __name__ == "__main__":
    unittest.main()
