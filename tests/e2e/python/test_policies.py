"""Put/Get/Delete/ValidateResourcePolicy (§3.10)."""

import json
import unittest

from helpers import VALIDATION_CODES, SMTestCase, unique_name

ACCOUNT_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
        "Action": "secretsmanager:GetSecretValue",
        "Resource": "*",
    }],
}


def public_policy(principal):
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": principal,
                       "Action": "secretsmanager:GetSecretValue", "Resource": "*"}],
    })


class ResourcePolicyTests(SMTestCase):
    def setUp(self):
        super().setUp()
        self.secret = self.create(SecretString="v")
        self.arn = self.secret["ARN"]

    def test_put_get_delete(self):
        put = self.client.put_resource_policy(SecretId=self.secret["Name"], ResourcePolicy=json.dumps(ACCOUNT_POLICY))
        self.assertEqual(put["ARN"], self.arn)
        self.assertEqual(put["Name"], self.secret["Name"])
        got = self.client.get_resource_policy(SecretId=self.arn)
        self.assertEqual(got["ARN"], self.arn)
        self.assertEqual(got["Name"], self.secret["Name"])
        self.assertEqual(json.loads(got["ResourcePolicy"]), ACCOUNT_POLICY)
        deleted = self.client.delete_resource_policy(SecretId=self.arn)
        self.assertEqual(deleted["ARN"], self.arn)
        self.assertEqual(deleted["Name"], self.secret["Name"])
        self.assertNotIn("ResourcePolicy", self.client.get_resource_policy(SecretId=self.arn))

    def test_put_replaces_the_previous_policy(self):
        self.client.put_resource_policy(SecretId=self.arn, ResourcePolicy=json.dumps(ACCOUNT_POLICY))
        other = json.loads(json.dumps(ACCOUNT_POLICY))
        other["Statement"][0]["Action"] = "secretsmanager:DescribeSecret"
        self.client.put_resource_policy(SecretId=self.arn, ResourcePolicy=json.dumps(other))
        self.assertEqual(json.loads(self.client.get_resource_policy(SecretId=self.arn)["ResourcePolicy"]), other)

    def test_get_without_policy_has_arn_and_name_only(self):
        got = self.client.get_resource_policy(SecretId=self.arn)
        self.assertEqual(got["ARN"], self.arn)
        self.assertEqual(got["Name"], self.secret["Name"])
        self.assertNotIn("ResourcePolicy", got)

    def test_delete_without_policy_succeeds(self):
        resp = self.client.delete_resource_policy(SecretId=self.arn)
        self.assertEqual(resp["ARN"], self.arn)
        self.assertEqual(resp["Name"], self.secret["Name"])

    def test_malformed_json_is_malformed_policy_document(self):
        for text in ("{not json", '{"Version": "2012-10-17", "Statement": ['):
            with self.subTest(policy=text):
                self.assertAwsError(
                    "MalformedPolicyDocumentException", self.client.put_resource_policy,
                    SecretId=self.arn, ResourcePolicy=text,
                )
        self.assertNotIn("ResourcePolicy", self.client.get_resource_policy(SecretId=self.arn))

    def test_block_public_policy_rejects_wildcard_principal(self):
        for principal in ("*", {"AWS": "*"}):
            with self.subTest(principal=principal):
                self.assertAwsError(
                    "PublicPolicyException", self.client.put_resource_policy,
                    SecretId=self.arn, ResourcePolicy=public_policy(principal), BlockPublicPolicy=True,
                )
        self.assertNotIn("ResourcePolicy", self.client.get_resource_policy(SecretId=self.arn))

    def test_block_public_policy_accepts_an_account_principal(self):
        self.client.put_resource_policy(
            SecretId=self.arn, ResourcePolicy=json.dumps(ACCOUNT_POLICY), BlockPublicPolicy=True
        )
        self.assertEqual(json.loads(self.client.get_resource_policy(SecretId=self.arn)["ResourcePolicy"]),
                         ACCOUNT_POLICY)

    def test_public_policy_is_accepted_without_block_public_policy(self):
        self.client.put_resource_policy(SecretId=self.arn, ResourcePolicy=public_policy("*"))
        got = json.loads(self.client.get_resource_policy(SecretId=self.arn)["ResourcePolicy"])
        self.assertEqual(got["Statement"][0]["Principal"], "*")

    def test_policy_longer_than_20480_is_rejected(self):
        policy = json.loads(json.dumps(ACCOUNT_POLICY))
        policy["Statement"][0]["Sid"] = "S" * 20480
        self.assertAwsError(
            VALIDATION_CODES + ("MalformedPolicyDocumentException", "LimitExceededException"),
            self.client.put_resource_policy, SecretId=self.arn, ResourcePolicy=json.dumps(policy),
        )

    def test_validate_good_policy_passes(self):
        resp = self.client.validate_resource_policy(ResourcePolicy=json.dumps(ACCOUNT_POLICY))
        self.assertIs(resp["PolicyValidationPassed"], True)
        self.assertFalse(resp.get("ValidationErrors"))
        resp = self.client.validate_resource_policy(SecretId=self.arn, ResourcePolicy=json.dumps(ACCOUNT_POLICY))
        self.assertIs(resp["PolicyValidationPassed"], True)
        self.assertNotIn("ResourcePolicy", self.client.get_resource_policy(SecretId=self.arn))

    def test_validate_public_policy_fails_with_errors(self):
        resp = self.client.validate_resource_policy(ResourcePolicy=public_policy("*"))
        self.assertIs(resp["PolicyValidationPassed"], False)
        self.assertTrue(resp.get("ValidationErrors"))
        for entry in resp["ValidationErrors"]:
            self.assertTrue(entry.get("CheckName"))

    def test_validate_malformed_policy(self):
        # Either answer is AWS-like: a MalformedPolicyDocumentException or a failed validation.
        try:
            resp = self.client.validate_resource_policy(ResourcePolicy="{not json")
        except self.client.exceptions.MalformedPolicyDocumentException:
            return
        self.assertIs(resp["PolicyValidationPassed"], False)
        self.assertTrue(resp.get("ValidationErrors"))

    def test_validate_with_unknown_secret_is_not_found(self):
        self.assertNotFound(
            self.client.validate_resource_policy,
            SecretId=unique_name("missing"), ResourcePolicy=json.dumps(ACCOUNT_POLICY),
        )


if __name__ == "__main__":
    unittest.main()
