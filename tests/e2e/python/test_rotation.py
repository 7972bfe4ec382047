"""RotateSecret / CancelRotateSecret: configuration and validation only (§3.8).

Running rotation functions is out of scope here: nothing asserts that a rotation completes.
"""

import datetime
import unittest

from helpers import VALIDATION_CODES, SMTestCase, account_id, sm, utcnow



def lambda_arn():
    """A function RotateSecret accepts: the built-in MySQL rotator in the server's account (an unknown one fails the call)."""
    return "arn:aws:lambda:us-east-1:%s:function:strongroom-mysql-single-user" % account_id()


class RotationConfigurationTests(SMTestCase):
    def setUp(self):
        super().setUp()
        self.secret = self.create(SecretString="v")
        self.arn = self.secret["ARN"]

    def configure(self, rules, **kwargs):
        kwargs.setdefault("RotationLambdaARN", lambda_arn())
        return self.client.rotate_secret(
            SecretId=self.arn, RotationRules=rules, RotateImmediately=False, **kwargs
        )

    def test_rotate_without_lambda_ever_configured_is_invalid_request(self):
        self.assertAwsError("InvalidRequestException", self.client.rotate_secret, SecretId=self.arn)
        self.assertAwsError(
            "InvalidRequestException", self.client.rotate_secret,
            SecretId=self.arn, RotationRules={"AutomaticallyAfterDays": 7}, RotateImmediately=False,
        )
        self.assertFalse(self.client.describe_secret(SecretId=self.arn).get("RotationEnabled", False))

    def test_configure_rotation_without_rotating_now(self):
        resp = self.configure({"AutomaticallyAfterDays": 7})
        self.assertEqual(resp["ARN"], self.arn)
        self.assertEqual(resp["Name"], self.secret["Name"])
        desc = self.client.describe_secret(SecretId=self.arn)
        self.assertIs(desc["RotationEnabled"], True)
        self.assertEqual(desc["RotationLambdaARN"], lambda_arn())
        self.assertEqual(desc["RotationRules"]["AutomaticallyAfterDays"], 7)
        nxt = desc["NextRotationDate"]
        self.assertIsNotNone(nxt.tzinfo, "NextRotationDate must be timezone-aware")
        now = utcnow()
        self.assertGreater(nxt, now)
        self.assertLessEqual(nxt, now + datetime.timedelta(days=8, hours=1))
        # The current value is untouched.
        self.assertEqual(self.client.get_secret_value(SecretId=self.arn)["SecretString"], "v")

    def test_list_secrets_shows_rotation_configuration(self):
        self.configure({"AutomaticallyAfterDays": 30})
        entry = self.client.list_secrets(Filters=[{"Key": "name", "Values": [self.prefix]}])["SecretList"][0]
        self.assertIs(entry["RotationEnabled"], True)
        self.assertEqual(entry["RotationLambdaARN"], lambda_arn())
        self.assertEqual(entry["RotationRules"]["AutomaticallyAfterDays"], 30)

    def test_cancel_disables_rotation_but_keeps_rules(self):
        self.configure({"AutomaticallyAfterDays": 7})
        resp = self.client.cancel_rotate_secret(SecretId=self.secret["Name"])
        self.assertEqual(resp["ARN"], self.arn)
        self.assertEqual(resp["Name"], self.secret["Name"])
        desc = self.client.describe_secret(SecretId=self.arn)
        self.assertIs(desc["RotationEnabled"], False)
        self.assertEqual(desc["RotationRules"]["AutomaticallyAfterDays"], 7)
        self.assertEqual(desc["RotationLambdaARN"], lambda_arn())
        self.assertNotIn("NextRotationDate", desc)
        self.assertEqual(self.client.get_secret_value(SecretId=self.arn)["SecretString"], "v")

    def test_reenable_with_the_stored_lambda_arn(self):
        self.configure({"AutomaticallyAfterDays": 7})
        self.client.cancel_rotate_secret(SecretId=self.arn)
        self.client.rotate_secret(
            SecretId=self.arn, RotationRules={"AutomaticallyAfterDays": 14}, RotateImmediately=False
        )
        desc = self.client.describe_secret(SecretId=self.arn)
        self.assertIs(desc["RotationEnabled"], True)
        self.assertEqual(desc["RotationLambdaARN"], lambda_arn())
        self.assertEqual(desc["RotationRules"]["AutomaticallyAfterDays"], 14)

    def test_schedule_expressions_and_duration_are_accepted(self):
        cases = [
            {"AutomaticallyAfterDays": 7, "Duration": "3h"},
            {"ScheduleExpression": "rate(10 days)"},
            {"ScheduleExpression": "rate(4 hours)"},
            {"ScheduleExpression": "cron(0 16 1,15 * ? *)", "Duration": "2h"},
        ]
        for rules in cases:
            with self.subTest(rules=rules):
                self.configure(rules)
                shown = self.client.describe_secret(SecretId=self.arn)["RotationRules"]
                for key, value in rules.items():
                    self.assertEqual(shown.get(key), value)

    def test_automatically_after_days_out_of_range_is_rejected(self):
        raw = sm(validate=False)
        for days in (0, 1001):
            with self.subTest(days=days):
                self.assertAwsError(
                    VALIDATION_CODES, raw.rotate_secret,
                    SecretId=self.arn, RotationLambdaARN=lambda_arn(), RotateImmediately=False,
                    RotationRules={"AutomaticallyAfterDays": days},
                )
        self.assertFalse(self.client.describe_secret(SecretId=self.arn).get("RotationEnabled", False))

    def test_days_and_schedule_expression_together_is_invalid_parameter(self):
        self.assertAwsError(
            "InvalidParameterException", self.configure,
            {"AutomaticallyAfterDays": 7, "ScheduleExpression": "rate(10 days)"},
        )

    def test_rate_under_four_hours_is_invalid_parameter(self):
        self.assertAwsError("InvalidParameterException", self.configure, {"ScheduleExpression": "rate(1 hours)"})

    def test_bad_duration_is_rejected(self):
        self.assertAwsError(
            VALIDATION_CODES, self.configure, {"AutomaticallyAfterDays": 7, "Duration": "3d"}
        )

    def test_cancel_on_secret_without_rotation(self):
        # AWS lets you call it any time; it must at least not break the secret.
        try:
            self.client.cancel_rotate_secret(SecretId=self.arn)
        except self.client.exceptions.InvalidRequestException:
            pass
        self.assertEqual(self.client.get_secret_value(SecretId=self.arn)["SecretString"], "v")
        self.assertFalse(self.client.describe_secret(SecretId=self.arn).get("RotationEnabled", False))


if __name__ == "__main__":
    unittest.main()
