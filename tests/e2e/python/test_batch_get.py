"""BatchGetSecretValue (§3.7)."""

import unittest

from helpers import VALIDATION_CODES, SMTestCase, unique_name


class BatchGetSecretValueTests(SMTestCase):
    def setUp(self):
        super().setUp()
        self.a = self.create("a", SecretString="value-a")
        self.b = self.create("b", SecretBinary=b"\x00value-b\xff")
        self.c = self.create("c", SecretString="value-c")

    def test_by_id_list_with_a_missing_secret(self):
        missing = unique_name("missing")
        resp = self.client.batch_get_secret_value(SecretIdList=[self.a["Name"], self.b["ARN"], missing])
        values = {v["Name"]: v for v in resp["SecretValues"]}
        self.assertEqual(set(values), {self.a["Name"], self.b["Name"]})
        a = values[self.a["Name"]]
        self.assertEqual(a["SecretString"], "value-a")
        self.assertEqual(a["ARN"], self.a["ARN"])
        self.assertEqual(a["VersionId"], self.a["VersionId"])
        self.assertEqual(a["VersionStages"], ["AWSCURRENT"])
        self.assertRecent(a["CreatedDate"], what="CreatedDate")
        self.assertNotIn("SecretBinary", a)
        b = values[self.b["Name"]]
        self.assertEqual(b["SecretBinary"], b"\x00value-b\xff")
        self.assertNotIn("SecretString", b)
        self.assertEqual(len(resp["Errors"]), 1)
        error = resp["Errors"][0]
        self.assertEqual(error["SecretId"], missing)
        self.assertEqual(error["ErrorCode"], "ResourceNotFoundException")
        self.assertTrue(error.get("Message"))

    def test_returns_the_current_version(self):
        v2 = self.client.put_secret_value(SecretId=self.a["ARN"], SecretString="value-a2")["VersionId"]
        resp = self.client.batch_get_secret_value(SecretIdList=[self.a["ARN"]])
        self.assertEqual([(v["SecretString"], v["VersionId"]) for v in resp["SecretValues"]], [("value-a2", v2)])
        self.assertFalse(resp.get("Errors"))

    def test_secret_scheduled_for_deletion_is_reported_in_errors(self):
        self.client.delete_secret(SecretId=self.c["ARN"], RecoveryWindowInDays=7)
        resp = self.client.batch_get_secret_value(SecretIdList=[self.a["ARN"], self.c["ARN"]])
        self.assertEqual([v["Name"] for v in resp["SecretValues"]], [self.a["Name"]])
        self.assertEqual([e["SecretId"] for e in resp["Errors"]], [self.c["ARN"]])
        self.assertTrue(resp["Errors"][0].get("ErrorCode"))

    def test_filters_with_max_results_paginate(self):
        seen, kwargs = {}, {}
        for _ in range(20):
            resp = self.client.batch_get_secret_value(
                Filters=[{"Key": "name", "Values": [self.prefix]}], MaxResults=1, **kwargs
            )
            self.assertLessEqual(len(resp["SecretValues"]), 1)
            for v in resp["SecretValues"]:
                self.assertNotIn(v["Name"], seen)
                seen[v["Name"]] = v.get("SecretString", v.get("SecretBinary"))
            if not resp.get("NextToken"):
                break
            kwargs = {"NextToken": resp["NextToken"]}
        else:
            self.fail("BatchGetSecretValue pagination did not end")
        self.assertEqual(seen, {
            self.a["Name"]: "value-a", self.b["Name"]: b"\x00value-b\xff", self.c["Name"]: "value-c",
        })

    def test_filters_without_max_results(self):
        resp = self.client.batch_get_secret_value(
            Filters=[{"Key": "name", "Values": [self.prefix + "a", self.prefix + "c"]}]
        )
        self.assertEqual(sorted(v["SecretString"] for v in resp["SecretValues"]), ["value-a", "value-c"])

    def test_both_id_list_and_filters_is_invalid_parameter(self):
        self.assertAwsError(
            "InvalidParameterException", self.client.batch_get_secret_value,
            SecretIdList=[self.a["ARN"]], Filters=[{"Key": "name", "Values": [self.prefix]}],
        )

    def test_neither_id_list_nor_filters_is_invalid_parameter(self):
        self.assertAwsError("InvalidParameterException", self.client.batch_get_secret_value)

    def test_max_results_without_filters_is_invalid_parameter(self):
        self.assertAwsError(
            "InvalidParameterException", self.client.batch_get_secret_value,
            SecretIdList=[self.a["ARN"]], MaxResults=5,
        )

    def test_more_than_20_ids_is_rejected(self):
        ids = [self.a["ARN"]] + [unique_name("x%d" % i) for i in range(20)]
        self.assertAwsError(VALIDATION_CODES, self.client.batch_get_secret_value, SecretIdList=ids)

    def test_max_results_over_20_is_rejected(self):
        self.assertAwsError(
            VALIDATION_CODES, self.client.batch_get_secret_value,
            Filters=[{"Key": "name", "Values": [self.prefix]}], MaxResults=21,
        )


if __name__ == "__main__":
    unittest.main()
