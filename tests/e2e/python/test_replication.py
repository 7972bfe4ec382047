"""Replication between regions of one server (§3.13)."""

import unittest

from helpers import (
    VALIDATION_CODES,
    SMTestCase,
    arn_in_region,
    cleanup_secret,
    sm,
)

PRIMARY = "us-east-1"
REPLICA = "eu-west-1"
THIRD = "us-west-2"


def statuses(resp):
    return {r["Region"]: r.get("Status") for r in resp.get("ReplicationStatus", [])}


class ReplicationTests(SMTestCase):
    region = PRIMARY

    def setUp(self):
        super().setUp()
        self.east = sm(PRIMARY)
        self.eu = sm(REPLICA)
        self.west = sm(THIRD)
        self.secret = self.create(SecretString="replicated", AddReplicaRegions=[{"Region": REPLICA}])
        self.arn = self.secret["ARN"]
        self.name_ = self.secret["Name"]
        # Registered after create()'s cleanup, so it runs first: a promoted replica or a
        # left-over replica in another region is removed too.
        self.addCleanup(cleanup_secret, self.name_, THIRD)
        self.addCleanup(cleanup_secret, self.name_, REPLICA)

    def test_create_with_replica_reports_in_sync(self):
        self.assertEqual(statuses(self.secret), {REPLICA: "InSync"})
        desc = self.east.describe_secret(SecretId=self.arn)
        self.assertEqual(statuses(desc), {REPLICA: "InSync"})
        self.assertEqual(desc.get("PrimaryRegion", PRIMARY), PRIMARY)

    def test_replica_is_readable_in_its_region(self):
        got = self.eu.get_secret_value(SecretId=self.name_)
        self.assertEqual(got["SecretString"], "replicated")
        replica_arn = arn_in_region(self.arn, REPLICA)
        self.assertEqual(got["ARN"], replica_arn)
        self.assertEqual(got["Name"], self.name_)
        self.assertEqual(self.eu.get_secret_value(SecretId=replica_arn)["SecretString"], "replicated")
        desc = self.eu.describe_secret(SecretId=self.name_)
        self.assertEqual(desc["ARN"], replica_arn)
        self.assertEqual(desc["PrimaryRegion"], PRIMARY)

    def test_primary_writes_reach_the_replica(self):
        put = self.east.put_secret_value(SecretId=self.arn, SecretString="second")
        got = self.eu.get_secret_value(SecretId=self.name_)
        self.assertEqual(got["SecretString"], "second")
        self.assertEqual(
            self.eu.get_secret_value(SecretId=self.name_, VersionStage="AWSPREVIOUS")["SecretString"], "replicated"
        )
        self.assertEqual(got["VersionId"], put["VersionId"])

    def test_replica_is_read_only(self):
        # Real AWS text, quoted in public issue threads.
        self.assertAwsError(
            "InvalidParameterException", self.eu.put_secret_value, SecretId=self.name_, SecretString="nope",
            message="Operation not permitted on a replica secret. Call must be made in primary secret's region.",
        )
        self.assertEqual(self.east.get_secret_value(SecretId=self.arn)["SecretString"], "replicated")
        self.assertEqual(self.eu.get_secret_value(SecretId=self.name_)["SecretString"], "replicated")

    def test_replicate_to_another_region_then_remove_it(self):
        resp = self.east.replicate_secret_to_regions(SecretId=self.arn, AddReplicaRegions=[{"Region": THIRD}])
        self.assertEqual(resp["ARN"], self.arn)
        self.assertEqual(statuses(resp).get(THIRD), "InSync")
        self.assertEqual(statuses(self.east.describe_secret(SecretId=self.arn)), {REPLICA: "InSync", THIRD: "InSync"})
        got = self.west.get_secret_value(SecretId=self.name_)
        self.assertEqual(got["SecretString"], "replicated")
        self.assertEqual(got["ARN"], arn_in_region(self.arn, THIRD))

        removed = self.east.remove_regions_from_replication(SecretId=self.arn, RemoveReplicaRegions=[THIRD])
        self.assertEqual(removed["ARN"], self.arn)
        self.assertNotIn(THIRD, statuses(removed))
        self.assertEqual(statuses(self.east.describe_secret(SecretId=self.arn)), {REPLICA: "InSync"})
        self.assertAwsError("ResourceNotFoundException", self.west.get_secret_value, SecretId=self.name_)
        self.assertEqual(self.eu.get_secret_value(SecretId=self.name_)["SecretString"], "replicated")

    def test_stop_replication_promotes_the_replica(self):
        replica_arn = arn_in_region(self.arn, REPLICA)
        resp = self.eu.stop_replication_to_replica(SecretId=self.name_)
        self.assertEqual(resp["ARN"], replica_arn)
        desc = self.eu.describe_secret(SecretId=self.name_)
        self.assertIn(desc.get("PrimaryRegion", REPLICA), (REPLICA,))
        self.eu.put_secret_value(SecretId=self.name_, SecretString="standalone")
        self.assertEqual(self.eu.get_secret_value(SecretId=self.name_)["SecretString"], "standalone")
        self.assertEqual(self.east.get_secret_value(SecretId=self.arn)["SecretString"], "replicated")
        self.assertNotIn(REPLICA, statuses(self.east.describe_secret(SecretId=self.arn)))
        # The primary's later writes no longer reach the promoted secret.
        self.east.put_secret_value(SecretId=self.arn, SecretString="primary-only")
        self.assertEqual(self.eu.get_secret_value(SecretId=self.name_)["SecretString"], "standalone")

    def test_deleting_a_primary_with_replicas_is_invalid_parameter(self):
        # Real AWS text, quoted in public issue threads.
        self.assertAwsError(
            "InvalidParameterException", self.east.delete_secret, SecretId=self.arn, RecoveryWindowInDays=7,
            message="You can't delete secret %s that still has replica regions [%s]." % (self.arn, REPLICA),
        )
        self.assertNotIn("DeletedDate", self.east.describe_secret(SecretId=self.arn))
        self.east.remove_regions_from_replication(SecretId=self.arn, RemoveReplicaRegions=[REPLICA])
        self.east.delete_secret(SecretId=self.arn, ForceDeleteWithoutRecovery=True)
        self.assertAwsError("ResourceNotFoundException", self.eu.describe_secret, SecretId=self.name_)

    def test_bad_region_name_is_rejected(self):
        self.assertAwsError(
            VALIDATION_CODES, self.east.replicate_secret_to_regions,
            SecretId=self.arn, AddReplicaRegions=[{"Region": "Not_A_Region"}],
        )

    def test_secret_without_replicas_is_not_visible_elsewhere(self):
        plain = self.create("plain", SecretString="local")
        self.assertFalse(plain.get("ReplicationStatus"))
        self.assertAwsError("ResourceNotFoundException", self.eu.get_secret_value, SecretId=plain["Name"])


if __name__ == "__main__":
    unittest.main()
