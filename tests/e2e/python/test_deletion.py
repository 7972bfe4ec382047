"""DeleteSecret, recovery window, RestoreSecret, ForceDeleteWithoutRecovery (§3.6)."""

import datetime
import json
import unittest

from helpers import (
    MARKED_FOR_DELETION_MESSAGE,
    SMTestCase,
    account_id,
    sm,
    unique_name,
    utcnow,
)

DAY = datetime.timedelta(days=1)


def lambda_arn():
    """A function RotateSecret accepts: the built-in MySQL rotator in the server's account (an unknown one fails the call)."""
    return "arn:aws:lambda:us-east-1:%s:function:strongroom-mysql-single-user" % account_id()


class DeleteSecretTests(SMTestCase):
    def setUp(self):
        super().setUp()
        self.secret = self.create(SecretString="keep-me", Tags=[{"Key": "team", "Value": "core"}])
        self.arn = self.secret["ARN"]

    def list_names(self, **kwargs):
        resp = self.client.list_secrets(Filters=[{"Key": "name", "Values": [self.prefix]}], **kwargs)
        return [s["Name"] for s in resp["SecretList"]]

    def test_default_recovery_window_is_30_days(self):
        now = utcnow()
        resp = self.client.delete_secret(SecretId=self.secret["Name"])
        self.assertEqual(resp["ARN"], self.arn)
        self.assertEqual(resp["Name"], self.secret["Name"])
        self.assertClose(resp["DeletionDate"], now + 30 * DAY, what="DeletionDate")

    def test_recovery_window_of_7_days(self):
        now = utcnow()
        resp = self.client.delete_secret(SecretId=self.arn, RecoveryWindowInDays=7)
        self.assertClose(resp["DeletionDate"], now + 7 * DAY, what="DeletionDate")

    def test_recovery_window_outside_7_to_30_is_invalid_parameter(self):
        raw = sm(validate=False)
        for days in (6, 31, 0, -1):
            with self.subTest(days=days):
                self.assertAwsError(
                    "InvalidParameterException", raw.delete_secret, SecretId=self.arn, RecoveryWindowInDays=days
                )
        self.assertNotIn("DeletedDate", self.client.describe_secret(SecretId=self.arn))

    def test_window_and_force_together_is_invalid_parameter(self):
        self.assertAwsError(
            "InvalidParameterException", self.client.delete_secret,
            SecretId=self.arn, RecoveryWindowInDays=7, ForceDeleteWithoutRecovery=True,
        )
        self.assertEqual(self.client.get_secret_value(SecretId=self.arn)["SecretString"], "keep-me")

    def test_scheduled_secret_refuses_reads_and_writes(self):
        self.client.delete_secret(SecretId=self.arn, RecoveryWindowInDays=7)
        version_id = self.secret["VersionId"]
        calls = {
            "GetSecretValue": lambda: self.client.get_secret_value(SecretId=self.arn),
            "PutSecretValue": lambda: self.client.put_secret_value(SecretId=self.arn, SecretString="x"),
            "UpdateSecret": lambda: self.client.update_secret(SecretId=self.arn, SecretString="x"),
            "UpdateSecret(description)": lambda: self.client.update_secret(SecretId=self.arn, Description="x"),
            "UpdateSecretVersionStage": lambda: self.client.update_secret_version_stage(
                SecretId=self.arn, VersionStage="X", MoveToVersionId=version_id),
            "RotateSecret": lambda: self.client.rotate_secret(
                SecretId=self.arn, RotationLambdaARN=lambda_arn(), RotateImmediately=False,
                RotationRules={"AutomaticallyAfterDays": 7}),
        }
        for op, call in calls.items():
            with self.subTest(operation=op):
                self.assertAwsError("InvalidRequestException", call, message=MARKED_FOR_DELETION_MESSAGE)

    def test_delete_again_without_force_is_invalid_request(self):
        self.client.delete_secret(SecretId=self.arn, RecoveryWindowInDays=7)
        self.assertAwsError("InvalidRequestException", self.client.delete_secret, SecretId=self.arn)

    def test_describe_shows_deleted_date_while_scheduled(self):
        now = utcnow()
        deletion = self.client.delete_secret(SecretId=self.arn, RecoveryWindowInDays=10)["DeletionDate"]
        desc = self.client.describe_secret(SecretId=self.arn)
        self.assertIn("DeletedDate", desc)
        deleted = desc["DeletedDate"]
        self.assertIsNotNone(deleted.tzinfo)
        # The docs disagree on whether this is the request time or the scheduled date: accept both.
        near_now = abs((deleted - now).total_seconds()) < 300
        near_deletion = abs((deleted - deletion).total_seconds()) < 300
        self.assertTrue(near_now or near_deletion, "DeletedDate %s is neither now nor %s" % (deleted, deletion))

    def test_list_secrets_hides_scheduled_secret_unless_asked(self):
        self.assertEqual(self.list_names(), [self.secret["Name"]])
        self.client.delete_secret(SecretId=self.arn, RecoveryWindowInDays=7)
        self.assertEqual(self.list_names(), [])
        self.assertEqual(self.list_names(IncludePlannedDeletion=False), [])
        listed = self.client.list_secrets(
            Filters=[{"Key": "name", "Values": [self.prefix]}], IncludePlannedDeletion=True
        )["SecretList"]
        self.assertEqual([s["Name"] for s in listed], [self.secret["Name"]])
        self.assertIn("DeletedDate", listed[0])

    def test_create_with_the_name_of_a_scheduled_secret_is_invalid_request(self):
        self.client.delete_secret(SecretId=self.arn, RecoveryWindowInDays=7)
        self.assertAwsError(
            "InvalidRequestException", self.client.create_secret, Name=self.secret["Name"], SecretString="new"
        )

    def test_restore_brings_everything_back(self):
        v2 = self.client.put_secret_value(SecretId=self.arn, SecretString="second")["VersionId"]
        policy = json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                           "Action": "secretsmanager:GetSecretValue", "Resource": "*"}],
        })
        self.client.put_resource_policy(SecretId=self.arn, ResourcePolicy=policy)
        self.client.delete_secret(SecretId=self.arn)
        resp = self.client.restore_secret(SecretId=self.secret["Name"])
        self.assertEqual(resp["ARN"], self.arn)
        self.assertEqual(resp["Name"], self.secret["Name"])
        desc = self.client.describe_secret(SecretId=self.arn)
        self.assertNotIn("DeletedDate", desc)
        self.assertEqual(desc["Tags"], [{"Key": "team", "Value": "core"}])
        self.assertEqual(
            {k: sorted(v) for k, v in desc["VersionIdsToStages"].items()},
            {self.secret["VersionId"]: ["AWSPREVIOUS"], v2: ["AWSCURRENT"]},
        )
        self.assertEqual(self.client.get_secret_value(SecretId=self.arn)["SecretString"], "second")
        self.assertEqual(
            self.client.get_secret_value(SecretId=self.arn, VersionStage="AWSPREVIOUS")["SecretString"], "keep-me"
        )
        self.assertEqual(json.loads(self.client.get_resource_policy(SecretId=self.arn)["ResourcePolicy"]),
                         json.loads(policy))
        self.assertEqual(self.list_names(), [self.secret["Name"]])
        self.client.put_secret_value(SecretId=self.arn, SecretString="third")

    def test_restore_by_partial_arn(self):
        self.client.delete_secret(SecretId=self.arn, RecoveryWindowInDays=7)
        resp = self.client.restore_secret(SecretId=self.arn[:-7])
        self.assertEqual(resp["ARN"], self.arn)
        self.assertEqual(self.client.get_secret_value(SecretId=self.arn)["SecretString"], "keep-me")

    def test_force_delete_removes_at_once_and_name_is_free_again(self):
        now = utcnow()
        resp = self.client.delete_secret(SecretId=self.arn, ForceDeleteWithoutRecovery=True)
        self.assertEqual(resp["ARN"], self.arn)
        self.assertEqual(resp["Name"], self.secret["Name"])
        self.assertClose(resp["DeletionDate"], now, what="DeletionDate")
        self.assertNotFound(self.client.describe_secret, SecretId=self.arn)
        self.assertNotFound(self.client.get_secret_value, SecretId=self.secret["Name"])
        self.assertAwsError("ResourceNotFoundException", self.client.restore_secret, SecretId=self.arn)
        self.assertEqual(self.list_names(IncludePlannedDeletion=True), [])
        # Strongroom deletes synchronously: the name can be re-used immediately (AWS may lag).
        again = self.create(Name=self.secret["Name"], SecretString="reborn")
        self.assertNotEqual(again["ARN"], self.arn)
        self.assertEqual(self.client.get_secret_value(SecretId=self.secret["Name"])["SecretString"], "reborn")
        self.assertNotFound(self.client.get_secret_value, SecretId=self.arn)

    def test_force_delete_of_a_scheduled_secret(self):
        self.client.delete_secret(SecretId=self.arn, RecoveryWindowInDays=7)
        self.client.delete_secret(SecretId=self.arn, ForceDeleteWithoutRecovery=True)
        self.assertNotFound(self.client.describe_secret, SecretId=self.arn)

    def test_force_delete_of_unknown_secret_succeeds(self):
        self.client.delete_secret(SecretId=unique_name("never-existed"), ForceDeleteWithoutRecovery=True)

    def test_delete_without_force_of_unknown_secret_is_not_found(self):
        self.assertNotFound(self.client.delete_secret, SecretId=unique_name("never-existed"))


if __name__ == "__main__":
    unittest.main()
