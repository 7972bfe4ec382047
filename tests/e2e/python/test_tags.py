"""TagResource, UntagResource and tags in DescribeSecret (§3.11)."""

import unittest

from helpers import VALIDATION_CODES, SMTestCase

TOO_MANY_TAGS_CODES = VALIDATION_CODES + ("LimitExceededException",)


def tag_dict(tags):
    return {t["Key"]: t["Value"] for t in tags or []}


class TagTests(SMTestCase):
    def setUp(self):
        super().setUp()
        self.secret = self.create(SecretString="v", Tags=[{"Key": "env", "Value": "dev"}])
        self.arn = self.secret["ARN"]

    def tags(self):
        return tag_dict(self.client.describe_secret(SecretId=self.arn).get("Tags"))

    def test_create_with_tags_shows_them(self):
        self.assertEqual(self.tags(), {"env": "dev"})

    def test_tag_resource_adds_and_overwrites(self):
        resp = self.client.tag_resource(
            SecretId=self.secret["Name"],
            Tags=[{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "core"}, {"Key": "empty", "Value": ""}],
        )
        self.assertEqual({k: v for k, v in resp.items() if k != "ResponseMetadata"}, {})
        self.assertEqual(self.tags(), {"env": "prod", "team": "core", "empty": ""})

    def test_tag_keys_are_case_sensitive(self):
        self.client.tag_resource(SecretId=self.arn, Tags=[{"Key": "Env", "Value": "upper"}])
        self.assertEqual(self.tags(), {"env": "dev", "Env": "upper"})

    def test_untag_resource_removes_and_ignores_missing_keys(self):
        self.client.tag_resource(SecretId=self.arn, Tags=[{"Key": "team", "Value": "core"}])
        resp = self.client.untag_resource(SecretId=self.arn, TagKeys=["env", "no-such-key"])
        self.assertEqual({k: v for k, v in resp.items() if k != "ResponseMetadata"}, {})
        self.assertEqual(self.tags(), {"team": "core"})
        self.client.untag_resource(SecretId=self.arn, TagKeys=["no-such-key"])
        self.client.untag_resource(SecretId=self.arn, TagKeys=["team"])
        self.assertEqual(self.tags(), {})

    def test_tagging_does_not_create_a_version(self):
        self.client.tag_resource(SecretId=self.arn, Tags=[{"Key": "team", "Value": "core"}])
        self.assertEqual(self.versions_to_stages(self.arn), {self.secret["VersionId"]: ["AWSCURRENT"]})

    def test_fifty_tags_allowed_fifty_one_rejected(self):
        self.client.tag_resource(
            SecretId=self.arn, Tags=[{"Key": "k%02d" % i, "Value": str(i)} for i in range(49)]
        )
        self.assertEqual(len(self.tags()), 50)
        self.assertAwsError(
            TOO_MANY_TAGS_CODES, self.client.tag_resource, SecretId=self.arn, Tags=[{"Key": "one-more", "Value": "x"}]
        )
        self.assertEqual(len(self.tags()), 50)
        # Overwriting an existing key keeps the count at 50 and is allowed.
        self.client.tag_resource(SecretId=self.arn, Tags=[{"Key": "k00", "Value": "changed"}])
        self.assertEqual(self.tags()["k00"], "changed")

    def test_create_with_51_tags_is_rejected(self):
        self.assertAwsError(
            TOO_MANY_TAGS_CODES, self.client.create_secret,
            Name=self.name("many"), SecretString="v",
            Tags=[{"Key": "k%02d" % i, "Value": str(i)} for i in range(51)],
        )

    def test_aws_prefix_is_reserved(self):
        self.assertAwsError(
            "InvalidParameterException", self.client.tag_resource,
            SecretId=self.arn, Tags=[{"Key": "aws:owner", "Value": "me"}],
        )
        self.assertAwsError(
            "InvalidParameterException", self.client.create_secret,
            Name=self.name("reserved"), SecretString="v", Tags=[{"Key": "aws:owner", "Value": "me"}],
        )
        self.assertEqual(self.tags(), {"env": "dev"})

    def test_tag_key_and_value_length_limits(self):
        self.client.tag_resource(SecretId=self.arn, Tags=[{"Key": "k" * 128, "Value": "v" * 256}])
        self.assertAwsError(
            VALIDATION_CODES, self.client.tag_resource, SecretId=self.arn, Tags=[{"Key": "k" * 129, "Value": "v"}]
        )
        self.assertAwsError(
            VALIDATION_CODES, self.client.tag_resource, SecretId=self.arn, Tags=[{"Key": "k", "Value": "v" * 257}]
        )


if __name__ == "__main__":
    unittest.main()
