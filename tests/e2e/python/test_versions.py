"""PutSecretValue, staging labels, UpdateSecretVersionStage, ListSecretVersionIds, idempotency (§3.3, §3.4)."""

import unittest

from helpers import VALIDATION_CODES, SMTestCase, new_token, sm


class PutSecretValueTests(SMTestCase):
    def setUp(self):
        super().setUp()
        self.v1 = new_token()
        self.secret = self.create(SecretString="one", ClientRequestToken=self.v1)
        self.arn = self.secret["ARN"]

    def put(self, value, **kwargs):
        return self.client.put_secret_value(SecretId=self.arn, SecretString=value, **kwargs)

    def test_put_returns_new_version_with_awscurrent(self):
        token = new_token()
        resp = self.put("two", ClientRequestToken=token)
        self.assertEqual(resp["ARN"], self.arn)
        self.assertEqual(resp["Name"], self.secret["Name"])
        self.assertEqual(resp["VersionId"], token)
        self.assertEqual(resp["VersionStages"], ["AWSCURRENT"])

    def test_put_without_stages_moves_awscurrent_and_awsprevious(self):
        v2 = self.put("two")["VersionId"]
        self.assertEqual(self.versions_to_stages(self.arn), {self.v1: ["AWSPREVIOUS"], v2: ["AWSCURRENT"]})
        v3 = self.put("three")["VersionId"]
        # v1 lost AWSPREVIOUS to v2 and is now deprecated (no labels): hidden from the map.
        self.assertEqual(self.versions_to_stages(self.arn), {v2: ["AWSPREVIOUS"], v3: ["AWSCURRENT"]})
        self.assertEqual(self.client.get_secret_value(SecretId=self.arn)["SecretString"], "three")
        prev = self.client.get_secret_value(SecretId=self.arn, VersionStage="AWSPREVIOUS")
        self.assertEqual((prev["SecretString"], prev["VersionId"]), ("two", v2))

    def test_deprecated_version_hidden_but_readable_by_version_id(self):
        v2 = self.put("two")["VersionId"]
        v3 = self.put("three")["VersionId"]
        listed = self.client.list_secret_version_ids(SecretId=self.arn)
        self.assertEqual(listed["ARN"], self.arn)
        self.assertEqual(listed["Name"], self.secret["Name"])
        self.assertEqual(
            {v["VersionId"]: sorted(v["VersionStages"]) for v in listed["Versions"]},
            {v2: ["AWSPREVIOUS"], v3: ["AWSCURRENT"]},
        )
        for v in listed["Versions"]:
            self.assertRecent(v["CreatedDate"], what="version CreatedDate")
            self.assertNotIn("SecretString", v)
        full = self.client.list_secret_version_ids(SecretId=self.arn, IncludeDeprecated=True)
        by_id = {v["VersionId"]: v for v in full["Versions"]}
        self.assertEqual(set(by_id), {self.v1, v2, v3})
        self.assertFalse(by_id[self.v1].get("VersionStages"))
        old = self.client.get_secret_value(SecretId=self.arn, VersionId=self.v1)
        self.assertEqual(old["SecretString"], "one")
        self.assertFalse(old.get("VersionStages"))

    def test_put_with_custom_stage_leaves_awscurrent(self):
        v2 = self.put("two", VersionStages=["X"])["VersionId"]
        self.assertEqual(self.versions_to_stages(self.arn), {self.v1: ["AWSCURRENT"], v2: ["X"]})
        self.assertEqual(self.client.get_secret_value(SecretId=self.arn)["SecretString"], "one")
        self.assertEqual(self.client.get_secret_value(SecretId=self.arn, VersionStage="X")["SecretString"], "two")
        self.assertAwsError(
            "ResourceNotFoundException", self.client.get_secret_value, SecretId=self.arn, VersionStage="AWSPREVIOUS"
        )
        # Putting the same label again takes it away from v2.
        v3 = self.put("three", VersionStages=["X"])["VersionId"]
        self.assertEqual(self.versions_to_stages(self.arn), {self.v1: ["AWSCURRENT"], v3: ["X"]})

    def test_put_with_awscurrent_and_custom_stage(self):
        resp = self.put("two", VersionStages=["AWSCURRENT", "Y"])
        self.assertEqual(sorted(resp["VersionStages"]), ["AWSCURRENT", "Y"])
        self.assertEqual(
            self.versions_to_stages(self.arn),
            {self.v1: ["AWSPREVIOUS"], resp["VersionId"]: ["AWSCURRENT", "Y"]},
        )

    def test_put_on_secret_without_versions_adds_awscurrent(self):
        empty = self.create("empty")
        resp = self.client.put_secret_value(SecretId=empty["ARN"], SecretString="first", VersionStages=["X"])
        self.assertEqual(self.versions_to_stages(empty["ARN"]), {resp["VersionId"]: ["AWSCURRENT", "X"]})
        self.assertEqual(self.client.get_secret_value(SecretId=empty["ARN"])["SecretString"], "first")

    def test_same_token_same_data_is_idempotent(self):
        token = new_token()
        first = self.put("two", ClientRequestToken=token)
        again = self.put("two", ClientRequestToken=token)
        self.assertEqual(again["VersionId"], token)
        self.assertEqual(again["VersionStages"], ["AWSCURRENT"])
        self.assertEqual(first["VersionId"], again["VersionId"])
        full = self.client.list_secret_version_ids(SecretId=self.arn, IncludeDeprecated=True)
        self.assertEqual(sorted(v["VersionId"] for v in full["Versions"]), sorted([self.v1, token]))
        self.assertEqual(self.versions_to_stages(self.arn), {self.v1: ["AWSPREVIOUS"], token: ["AWSCURRENT"]})

    def test_retry_of_an_older_version_changes_nothing(self):
        # Re-sending the create token with the same data: success, labels stay as they are.
        v2 = self.put("two")["VersionId"]
        again = self.put("one", ClientRequestToken=self.v1)
        self.assertEqual(again["VersionId"], self.v1)
        self.assertEqual(again["VersionStages"], ["AWSPREVIOUS"])
        self.assertEqual(self.versions_to_stages(self.arn), {self.v1: ["AWSPREVIOUS"], v2: ["AWSCURRENT"]})
        self.assertEqual(self.client.get_secret_value(SecretId=self.arn)["SecretString"], "two")

    def test_same_token_different_data_is_resource_exists(self):
        token = new_token()
        self.put("two", ClientRequestToken=token)
        self.assertAwsError("ResourceExistsException", self.put, "changed", ClientRequestToken=token)
        self.assertAwsError(
            "ResourceExistsException", self.client.put_secret_value,
            SecretId=self.arn, SecretBinary=b"two", ClientRequestToken=token,
        )
        self.assertEqual(self.client.get_secret_value(SecretId=self.arn, VersionId=token)["SecretString"], "two")

    def test_string_and_binary_together_is_invalid_parameter(self):
        self.assertAwsError(
            "InvalidParameterException", self.client.put_secret_value,
            SecretId=self.arn, SecretString="s", SecretBinary=b"b",
        )

    def test_value_too_large_is_rejected(self):
        self.assertAwsError(VALIDATION_CODES, self.put, "x" * 65537)
        self.assertAwsError(
            VALIDATION_CODES, self.client.put_secret_value, SecretId=self.arn, SecretBinary=b"x" * 65537
        )
        self.assertEqual(self.versions_to_stages(self.arn), {self.v1: ["AWSCURRENT"]})

    def test_put_without_a_value_is_rejected(self):
        raw = sm(validate=False)
        self.assertAwsError(
            ("InvalidParameterException", "InvalidRequestException", "ValidationException"),
            raw.put_secret_value, SecretId=self.arn, ClientRequestToken=new_token(),
        )


class UpdateSecretVersionStageTests(SMTestCase):
    def setUp(self):
        super().setUp()
        self.v1 = new_token()
        self.secret = self.create(SecretString="one", ClientRequestToken=self.v1)
        self.arn = self.secret["ARN"]
        self.v2 = self.client.put_secret_value(SecretId=self.arn, SecretString="two")["VersionId"]

    def stage(self, **kwargs):
        return self.client.update_secret_version_stage(SecretId=self.arn, **kwargs)

    def test_rollback_moves_awscurrent_and_awsprevious(self):
        resp = self.stage(VersionStage="AWSCURRENT", MoveToVersionId=self.v1, RemoveFromVersionId=self.v2)
        self.assertEqual(resp["ARN"], self.arn)
        self.assertEqual(resp["Name"], self.secret["Name"])
        self.assertEqual(self.versions_to_stages(self.arn), {self.v1: ["AWSCURRENT"], self.v2: ["AWSPREVIOUS"]})
        self.assertEqual(self.client.get_secret_value(SecretId=self.arn)["SecretString"], "one")
        self.assertEqual(
            self.client.get_secret_value(SecretId=self.arn, VersionStage="AWSPREVIOUS")["SecretString"], "two"
        )

    def test_move_awscurrent_without_remove_from_is_invalid_parameter(self):
        self.assertAwsError(
            "InvalidParameterException", self.stage, VersionStage="AWSCURRENT", MoveToVersionId=self.v1
        )
        self.assertEqual(self.versions_to_stages(self.arn), {self.v1: ["AWSPREVIOUS"], self.v2: ["AWSCURRENT"]})

    def test_remove_from_a_version_without_the_label_is_invalid_parameter(self):
        self.assertAwsError(
            "InvalidParameterException", self.stage,
            VersionStage="AWSCURRENT", MoveToVersionId=self.v1, RemoveFromVersionId=self.v1,
        )
        self.assertEqual(self.versions_to_stages(self.arn), {self.v1: ["AWSPREVIOUS"], self.v2: ["AWSCURRENT"]})

    def test_move_to_unknown_version_is_invalid_parameter(self):
        self.assertAwsError(
            "InvalidParameterException", self.stage,
            VersionStage="AWSCURRENT", MoveToVersionId=new_token(), RemoveFromVersionId=self.v2,
        )
        self.assertEqual(self.versions_to_stages(self.arn), {self.v1: ["AWSPREVIOUS"], self.v2: ["AWSCURRENT"]})

    def test_add_new_label_then_move_it_then_remove_it(self):
        self.stage(VersionStage="BLUE", MoveToVersionId=self.v1)
        self.assertEqual(
            self.versions_to_stages(self.arn), {self.v1: ["AWSPREVIOUS", "BLUE"], self.v2: ["AWSCURRENT"]}
        )
        self.assertEqual(self.client.get_secret_value(SecretId=self.arn, VersionStage="BLUE")["SecretString"], "one")
        # The label is attached elsewhere now, so moving it needs RemoveFromVersionId.
        self.assertAwsError("InvalidParameterException", self.stage, VersionStage="BLUE", MoveToVersionId=self.v2)
        self.stage(VersionStage="BLUE", MoveToVersionId=self.v2, RemoveFromVersionId=self.v1)
        self.assertEqual(
            self.versions_to_stages(self.arn), {self.v1: ["AWSPREVIOUS"], self.v2: ["AWSCURRENT", "BLUE"]}
        )
        # Without MoveToVersionId the label is only removed.
        self.stage(VersionStage="BLUE", RemoveFromVersionId=self.v2)
        self.assertEqual(self.versions_to_stages(self.arn), {self.v1: ["AWSPREVIOUS"], self.v2: ["AWSCURRENT"]})
        self.assertAwsError(
            "ResourceNotFoundException", self.client.get_secret_value, SecretId=self.arn, VersionStage="BLUE"
        )

    def test_removing_all_labels_deprecates_a_version(self):
        self.stage(VersionStage="AWSPREVIOUS", RemoveFromVersionId=self.v1)
        self.assertEqual(self.versions_to_stages(self.arn), {self.v2: ["AWSCURRENT"]})
        listed = self.client.list_secret_version_ids(SecretId=self.arn)
        self.assertEqual([v["VersionId"] for v in listed["Versions"]], [self.v2])
        self.assertEqual(self.client.get_secret_value(SecretId=self.arn, VersionId=self.v1)["SecretString"], "one")

    def test_label_longer_than_256_is_rejected(self):
        self.assertAwsError(
            VALIDATION_CODES, self.stage, VersionStage="L" * 257, MoveToVersionId=self.v1
        )


class ListSecretVersionIdsTests(SMTestCase):
    def setUp(self):
        super().setUp()
        self.secret = self.create(SecretString="v0")
        self.arn = self.secret["ARN"]
        self.ids = [self.secret["VersionId"]]
        for i in range(1, 5):
            self.ids.append(self.client.put_secret_value(SecretId=self.arn, SecretString="v%d" % i)["VersionId"])

    def test_pagination_with_max_results(self):
        seen = []
        kwargs = {"SecretId": self.arn, "MaxResults": 1, "IncludeDeprecated": True}
        for _ in range(20):
            page = self.client.list_secret_version_ids(**kwargs)
            self.assertLessEqual(len(page["Versions"]), 1)
            seen.extend(v["VersionId"] for v in page["Versions"])
            if not page.get("NextToken"):
                break
            kwargs["NextToken"] = page["NextToken"]
        else:
            self.fail("ListSecretVersionIds pagination did not end")
        self.assertEqual(sorted(seen), sorted(self.ids))
        self.assertEqual(len(seen), len(set(seen)))

    def test_by_name_lists_labelled_versions_only(self):
        listed = self.client.list_secret_version_ids(SecretId=self.secret["Name"])
        self.assertEqual(
            {v["VersionId"]: v["VersionStages"] for v in listed["Versions"]},
            {self.ids[-1]: ["AWSCURRENT"], self.ids[-2]: ["AWSPREVIOUS"]},
        )

    def test_bad_next_token_is_invalid_next_token(self):
        self.assertAwsError(
            "InvalidNextTokenException", self.client.list_secret_version_ids,
            SecretId=self.arn, NextToken="not-a-token-%%%",
        )

    def test_max_results_over_100_is_rejected(self):
        self.assertAwsError(
            VALIDATION_CODES, self.client.list_secret_version_ids, SecretId=self.arn, MaxResults=101
        )


if __name__ == "__main__":
    unittest.main()
