"""CreateSecret, GetSecretValue, DescribeSecret, UpdateSecret: values, ids, validation."""

import datetime
import json
import unittest

from helpers import (
    NOT_FOUND_MESSAGE,
    VALIDATION_CODES,
    SMTestCase,
    arn_in_region,
    new_token,
    partial_arn,
    sm,
    unique_name,
    utcnow,
)


class CreateSecretTests(SMTestCase):
    def test_create_returns_arn_name_and_version_from_token(self):
        token = new_token()
        resp = self.create("app/db", SecretString='{"user":"a","pass":"b"}', ClientRequestToken=token)
        m = self.assertArn(resp["ARN"], name=self.name("app/db"))
        self.assertEqual(resp["Name"], self.name("app/db"))
        self.assertEqual(resp["VersionId"], token)
        self.assertRegex(m.group("account"), r"^\d{12}$")
        self.assertNotIn("SecretString", resp)
        self.assertTrue(resp["ResponseMetadata"].get("RequestId"), "x-amzn-RequestId header missing")

    def test_create_without_token_uses_sdk_token_as_version_id(self):
        # botocore fills ClientRequestToken with a UUID4 (idempotencyToken trait).
        resp = self.create(SecretString="v")
        self.assertRegex(resp["VersionId"], r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

    def test_same_name_twice_is_resource_exists(self):
        resp = self.create(SecretString="one")
        self.assertAwsError(
            "ResourceExistsException", self.client.create_secret,
            Name=resp["Name"], SecretString="two",
            message="The operation failed because the secret %s already exists." % resp["Name"],
        )
        self.assertEqual(self.client.get_secret_value(SecretId=resp["Name"])["SecretString"], "one")

    def test_same_token_same_data_is_idempotent(self):
        token = new_token()
        first = self.create(SecretString="same", ClientRequestToken=token, Description="d")
        again = self.client.create_secret(
            Name=first["Name"], SecretString="same", ClientRequestToken=token, Description="d"
        )
        self.assertEqual(again["ARN"], first["ARN"])
        self.assertEqual(again["VersionId"], token)
        versions = self.client.list_secret_version_ids(SecretId=first["ARN"], IncludeDeprecated=True)
        self.assertEqual([v["VersionId"] for v in versions["Versions"]], [token])

    def test_same_token_different_data_is_resource_exists(self):
        token = new_token()
        first = self.create(SecretString="same", ClientRequestToken=token)
        self.assertAwsError(
            "ResourceExistsException", self.client.create_secret,
            Name=first["Name"], SecretString="different", ClientRequestToken=token,
        )
        self.assertEqual(self.client.get_secret_value(SecretId=first["ARN"])["SecretString"], "same")

    def test_create_without_value_has_no_version(self):
        resp = self.create(Description="empty")
        self.assertNotIn("VersionId", resp)
        self.assertAwsError("ResourceNotFoundException", self.client.get_secret_value, SecretId=resp["ARN"])
        desc = self.client.describe_secret(SecretId=resp["ARN"])
        self.assertFalse(desc.get("VersionIdsToStages"))
        self.assertEqual(
            self.client.list_secret_version_ids(SecretId=resp["ARN"], IncludeDeprecated=True)["Versions"], []
        )

    def test_binary_secret_round_trips_every_byte(self):
        data = bytes(range(256)) * 4
        resp = self.create(SecretBinary=data)
        got = self.client.get_secret_value(SecretId=resp["ARN"])
        self.assertEqual(got["SecretBinary"], data)
        self.assertNotIn("SecretString", got)
        new = b"\x00\xff\x00" + bytes(range(255, -1, -1))
        put = self.client.put_secret_value(SecretId=resp["ARN"], SecretBinary=new)
        got = self.client.get_secret_value(SecretId=resp["ARN"])
        self.assertEqual(got["SecretBinary"], new)
        self.assertEqual(got["VersionId"], put["VersionId"])
        self.assertEqual(
            self.client.get_secret_value(SecretId=resp["ARN"], VersionStage="AWSPREVIOUS")["SecretBinary"], data
        )

    def test_string_secret_round_trips_unicode(self):
        value = '{"pässwörd": "日本語 \\n ✓", "emoji": "🔐"}\n\ttrailing '
        resp = self.create(SecretString=value)
        self.assertEqual(self.client.get_secret_value(SecretId=resp["ARN"])["SecretString"], value)

    def test_names_with_every_allowed_character(self):
        suffix = "Az09/_+=.@-x"
        resp = self.create(suffix, SecretString="v")
        self.assertEqual(resp["Name"], self.name(suffix))
        self.assertArn(resp["ARN"], name=self.name(suffix))
        self.assertEqual(self.client.get_secret_value(SecretId=self.name(suffix))["SecretString"], "v")

    def test_name_of_512_characters_is_accepted(self):
        name = self.prefix + "n" * (512 - len(self.prefix))
        resp = self.create(Name=name, SecretString="v")
        self.assertEqual(resp["Name"], name)

    def test_name_longer_than_512_is_rejected(self):
        name = self.prefix + "n" * (513 - len(self.prefix))
        self.assertAwsError(VALIDATION_CODES, self.client.create_secret, Name=name, SecretString="v")

    def test_name_with_bad_characters_is_invalid_parameter(self):
        for bad in ("bad name", "bad#name", "bad*name", "bad$name", "bad%name", "bad,name", "bäd"):
            with self.subTest(name=bad):
                self.assertAwsError(
                    "InvalidParameterException", self.client.create_secret,
                    Name=self.name(bad), SecretString="v",
                )

    def test_empty_name_is_rejected_by_the_server(self):
        raw = sm(validate=False)
        self.assertAwsError(VALIDATION_CODES, raw.create_secret, Name="", SecretString="v")

    def test_string_and_binary_together_is_invalid_parameter(self):
        self.assertAwsError(
            "InvalidParameterException", self.client.create_secret,
            Name=self.name(), SecretString="s", SecretBinary=b"b",
        )
        self.assertAwsError("ResourceNotFoundException", self.client.describe_secret, SecretId=self.name())

    def test_secret_string_size_limit_is_65536_bytes(self):
        ok = self.create("max", SecretString="x" * 65536)
        self.assertEqual(len(self.client.get_secret_value(SecretId=ok["ARN"])["SecretString"]), 65536)
        self.assertAwsError(
            VALIDATION_CODES, self.client.create_secret, Name=self.name("big"), SecretString="x" * 65537
        )

    def test_secret_string_limit_counts_utf8_bytes(self):
        # 32,768 two-byte characters = 65,536 bytes: allowed; one more character is too big.
        self.create("max", SecretString="é" * 32768)
        self.assertAwsError(
            VALIDATION_CODES, self.client.create_secret, Name=self.name("big"), SecretString="é" * 32769
        )

    def test_secret_binary_size_limit_is_65536_bytes(self):
        self.create("max", SecretBinary=b"\x01" * 65536)
        self.assertAwsError(
            VALIDATION_CODES, self.client.create_secret, Name=self.name("big"), SecretBinary=b"\x01" * 65537
        )

    def test_empty_secret_string_is_rejected_by_the_server(self):
        raw = sm(validate=False)
        self.assertAwsError(VALIDATION_CODES, raw.create_secret, Name=self.name(), SecretString="")

    def test_description_longer_than_2048_is_rejected(self):
        self.assertAwsError(
            VALIDATION_CODES, self.client.create_secret, Name=self.name(), SecretString="v",
            Description="d" * 2049,
        )

    def test_client_request_token_longer_than_64_is_rejected(self):
        self.assertAwsError(
            VALIDATION_CODES, self.client.create_secret, Name=self.name(), SecretString="v",
            ClientRequestToken="a" * 65,
        )

    def test_client_request_token_shorter_than_32_is_rejected(self):
        raw = sm(validate=False)
        self.assertAwsError(
            VALIDATION_CODES, raw.create_secret, Name=self.name(), SecretString="v",
            ClientRequestToken="a" * 31,
        )

    def test_same_name_in_another_region_is_a_different_secret(self):
        east = self.create(SecretString="east")
        self.assertAwsError("ResourceNotFoundException", sm("eu-central-1").get_secret_value, SecretId=east["Name"])
        west = self.create(region="eu-central-1", SecretString="west")
        self.assertEqual(west["Name"], east["Name"])
        self.assertArn(west["ARN"], name=east["Name"], region="eu-central-1")
        self.assertEqual(self.client.get_secret_value(SecretId=east["Name"])["SecretString"], "east")
        self.assertEqual(sm("eu-central-1").get_secret_value(SecretId=west["Name"])["SecretString"], "west")


class SecretIdResolutionTests(SMTestCase):
    def setUp(self):
        super().setUp()
        self.secret = self.create("svc/api-key", SecretString="resolved")

    def test_get_by_name_full_arn_and_partial_arn(self):
        arn = self.secret["ARN"]
        for secret_id in (self.secret["Name"], arn, partial_arn(arn)):
            with self.subTest(secret_id=secret_id):
                got = self.client.get_secret_value(SecretId=secret_id)
                self.assertEqual(got["SecretString"], "resolved")
                self.assertEqual(got["ARN"], arn)
                self.assertEqual(got["Name"], self.secret["Name"])

    def test_operations_accept_a_partial_arn(self):
        pid = partial_arn(self.secret["ARN"])
        self.assertEqual(self.client.describe_secret(SecretId=pid)["ARN"], self.secret["ARN"])
        self.assertEqual(self.client.list_secret_version_ids(SecretId=pid)["ARN"], self.secret["ARN"])
        self.client.tag_resource(SecretId=pid, Tags=[{"Key": "k", "Value": "v"}])
        self.client.untag_resource(SecretId=pid, TagKeys=["k"])
        self.assertEqual(self.client.put_secret_value(SecretId=pid, SecretString="p")["ARN"], self.secret["ARN"])
        self.assertEqual(self.client.get_resource_policy(SecretId=pid)["ARN"], self.secret["ARN"])

    def test_arn_with_wrong_suffix_is_not_found(self):
        arn = self.secret["ARN"]
        wrong = arn[:-6] + ("ZZZZZZ" if not arn.endswith("ZZZZZZ") else "YYYYYY")
        self.assertNotFound(self.client.get_secret_value, SecretId=wrong)

    def test_arn_of_other_region_is_not_found(self):
        self.assertNotFound(self.client.describe_secret, SecretId=arn_in_region(self.secret["ARN"], "us-west-2"))

    def test_name_is_case_sensitive(self):
        self.assertNotFound(self.client.get_secret_value, SecretId=self.secret["Name"].upper())

    def test_unknown_secret_is_not_found_everywhere(self):
        missing = unique_name("missing")
        policy = json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
            "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]})
        calls = {
            "GetSecretValue": lambda: self.client.get_secret_value(SecretId=missing),
            "DescribeSecret": lambda: self.client.describe_secret(SecretId=missing),
            "PutSecretValue": lambda: self.client.put_secret_value(SecretId=missing, SecretString="x"),
            "UpdateSecret": lambda: self.client.update_secret(SecretId=missing, Description="x"),
            "DeleteSecret": lambda: self.client.delete_secret(SecretId=missing),
            "RestoreSecret": lambda: self.client.restore_secret(SecretId=missing),
            "ListSecretVersionIds": lambda: self.client.list_secret_version_ids(SecretId=missing),
            "UpdateSecretVersionStage": lambda: self.client.update_secret_version_stage(
                SecretId=missing, VersionStage="X", MoveToVersionId=new_token()),
            "TagResource": lambda: self.client.tag_resource(SecretId=missing, Tags=[{"Key": "k", "Value": "v"}]),
            "UntagResource": lambda: self.client.untag_resource(SecretId=missing, TagKeys=["k"]),
            "GetResourcePolicy": lambda: self.client.get_resource_policy(SecretId=missing),
            "PutResourcePolicy": lambda: self.client.put_resource_policy(SecretId=missing, ResourcePolicy=policy),
            "DeleteResourcePolicy": lambda: self.client.delete_resource_policy(SecretId=missing),
            "RotateSecret": lambda: self.client.rotate_secret(
                SecretId=missing, RotationLambdaARN="arn:aws:lambda:us-east-1:123456789012:function:nope",
                RotateImmediately=False),
            "CancelRotateSecret": lambda: self.client.cancel_rotate_secret(SecretId=missing),
            "ReplicateSecretToRegions": lambda: self.client.replicate_secret_to_regions(
                SecretId=missing, AddReplicaRegions=[{"Region": "eu-west-2"}]),
            "RemoveRegionsFromReplication": lambda: self.client.remove_regions_from_replication(
                SecretId=missing, RemoveReplicaRegions=["eu-west-2"]),
            "StopReplicationToReplica": lambda: self.client.stop_replication_to_replica(SecretId=missing),
        }
        for op, call in calls.items():
            with self.subTest(operation=op):
                self.assertAwsError("ResourceNotFoundException", call, message=NOT_FOUND_MESSAGE)


class GetSecretValueTests(SMTestCase):
    def setUp(self):
        super().setUp()
        self.secret = self.create(SecretString="v1", ClientRequestToken=new_token())
        self.v1 = self.secret["VersionId"]
        self.v2 = self.client.put_secret_value(SecretId=self.secret["ARN"], SecretString="v2")["VersionId"]

    def test_default_is_awscurrent_with_metadata(self):
        got = self.client.get_secret_value(SecretId=self.secret["Name"])
        self.assertEqual(got["SecretString"], "v2")
        self.assertEqual(got["VersionId"], self.v2)
        self.assertEqual(got["VersionStages"], ["AWSCURRENT"])
        self.assertEqual(got["ARN"], self.secret["ARN"])
        self.assertEqual(got["Name"], self.secret["Name"])
        self.assertNotIn("SecretBinary", got)
        self.assertRecent(got["CreatedDate"], what="CreatedDate")

    def test_by_version_id_and_stage(self):
        self.assertEqual(self.client.get_secret_value(SecretId=self.secret["ARN"], VersionId=self.v1)["SecretString"], "v1")
        prev = self.client.get_secret_value(SecretId=self.secret["ARN"], VersionStage="AWSPREVIOUS")
        self.assertEqual(prev["SecretString"], "v1")
        self.assertEqual(prev["VersionId"], self.v1)
        self.assertEqual(prev["VersionStages"], ["AWSPREVIOUS"])
        both = self.client.get_secret_value(SecretId=self.secret["ARN"], VersionId=self.v2, VersionStage="AWSCURRENT")
        self.assertEqual(both["SecretString"], "v2")

    def test_unknown_version_id_is_not_found(self):
        self.assertAwsError(
            "ResourceNotFoundException", self.client.get_secret_value,
            SecretId=self.secret["ARN"], VersionId=new_token(),
        )

    def test_unknown_version_stage_is_not_found(self):
        self.assertAwsError(
            "ResourceNotFoundException", self.client.get_secret_value,
            SecretId=self.secret["ARN"], VersionStage="NOPE",
        )

    def test_version_id_and_stage_of_different_versions_is_invalid_request(self):
        self.assertAwsError(
            "InvalidRequestException", self.client.get_secret_value,
            SecretId=self.secret["ARN"], VersionId=self.v1, VersionStage="AWSCURRENT",
        )


class DescribeSecretTests(SMTestCase):
    def test_describe_shows_metadata_but_never_the_value(self):
        resp = self.create(
            SecretString="hidden", Description="the description",
            Tags=[{"Key": "env", "Value": "test"}],
        )
        desc = self.client.describe_secret(SecretId=resp["Name"])
        self.assertEqual(desc["ARN"], resp["ARN"])
        self.assertEqual(desc["Name"], resp["Name"])
        self.assertEqual(desc["Description"], "the description")
        self.assertEqual(desc["Tags"], [{"Key": "env", "Value": "test"}])
        self.assertEqual(desc["VersionIdsToStages"], {resp["VersionId"]: ["AWSCURRENT"]})
        self.assertNotIn("KmsKeyId", desc)  # omitted for the AWS managed key
        self.assertFalse(desc.get("RotationEnabled", False))
        self.assertNotIn("DeletedDate", desc)
        self.assertNotIn("SecretString", desc)
        self.assertNotIn("SecretBinary", desc)
        self.assertRecent(desc["CreatedDate"], what="CreatedDate")
        self.assertRecent(desc["LastChangedDate"], what="LastChangedDate")
        self.assertLessEqual(desc["CreatedDate"], desc["LastChangedDate"])

    def test_last_accessed_date_is_day_granular_after_a_read(self):
        resp = self.create(SecretString="v")
        self.client.get_secret_value(SecretId=resp["ARN"])
        desc = self.client.describe_secret(SecretId=resp["ARN"])
        accessed = desc["LastAccessedDate"]
        self.assertIsNotNone(accessed.tzinfo, "LastAccessedDate must be timezone-aware")
        accessed = accessed.astimezone(datetime.timezone.utc)
        self.assertEqual((accessed.hour, accessed.minute, accessed.second, accessed.microsecond), (0, 0, 0, 0))
        self.assertIn((utcnow().date() - accessed.date()).days, (0, 1))


class UpdateSecretTests(SMTestCase):
    def test_update_description_only_creates_no_version(self):
        resp = self.create(SecretString="v", Description="old")
        up = self.client.update_secret(SecretId=resp["ARN"], Description="new")
        self.assertEqual(up["ARN"], resp["ARN"])
        self.assertEqual(up["Name"], resp["Name"])
        self.assertNotIn("VersionId", up)
        desc = self.client.describe_secret(SecretId=resp["ARN"])
        self.assertEqual(desc["Description"], "new")
        self.assertEqual(desc["VersionIdsToStages"], {resp["VersionId"]: ["AWSCURRENT"]})

    def test_update_with_value_moves_awscurrent_and_awsprevious(self):
        resp = self.create(SecretString="v1")
        token = new_token()
        up = self.client.update_secret(SecretId=resp["Name"], SecretString="v2", ClientRequestToken=token)
        self.assertEqual(up["VersionId"], token)
        self.assertEqual(
            self.versions_to_stages(resp["ARN"]),
            {resp["VersionId"]: ["AWSPREVIOUS"], token: ["AWSCURRENT"]},
        )
        self.assertEqual(self.client.get_secret_value(SecretId=resp["ARN"])["SecretString"], "v2")
        up_bin = self.client.update_secret(SecretId=resp["Name"], SecretBinary=b"\x00bin")
        got = self.client.get_secret_value(SecretId=resp["ARN"])
        self.assertEqual(got["SecretBinary"], b"\x00bin")
        self.assertEqual(got["VersionId"], up_bin["VersionId"])

    def test_update_with_token_of_existing_version_and_other_data_is_resource_exists(self):
        resp = self.create(SecretString="v1")
        self.assertAwsError(
            "ResourceExistsException", self.client.update_secret,
            SecretId=resp["ARN"], SecretString="other", ClientRequestToken=resp["VersionId"],
        )

    def test_update_with_string_and_binary_is_invalid_parameter(self):
        resp = self.create(SecretString="v1")
        self.assertAwsError(
            "InvalidParameterException", self.client.update_secret,
            SecretId=resp["ARN"], SecretString="s", SecretBinary=b"b",
        )

    def test_update_value_too_large_is_rejected(self):
        resp = self.create(SecretString="v1")
        self.assertAwsError(
            VALIDATION_CODES, self.client.update_secret, SecretId=resp["ARN"], SecretString="x" * 65537
        )

    def test_update_changes_last_changed_date(self):
        resp = self.create(SecretString="v1")
        before = self.client.describe_secret(SecretId=resp["ARN"])["LastChangedDate"]
        self.client.update_secret(SecretId=resp["ARN"], Description="changed")
        after = self.client.describe_secret(SecretId=resp["ARN"])["LastChangedDate"]
        self.assertGreaterEqual(after, before)
        self.assertRecent(after, what="LastChangedDate")


if __name__ == "__main__":
    unittest.main()
