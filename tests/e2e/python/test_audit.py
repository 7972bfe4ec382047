"""The audit trail through CloudTrail's LookupEvents (boto3 and the AWS CLI): every call is recorded with
its identity, source address and error code, and no secret value ever reaches a record."""

import base64
import datetime
import json
import unittest

from helpers import SMTestCase, cleanup_secret, cloudtrail, kms, run_cli, sm, unique_name, utcnow


def events_since(start, **kwargs):
    """Every CloudTrail event since `start` (newest first), through boto3's paginator."""
    paginator = cloudtrail().get_paginator("lookup_events")
    events = []
    for page in paginator.paginate(StartTime=start - datetime.timedelta(seconds=2), **kwargs):
        events.extend(page["Events"])
    return events


class AuditTrailTests(SMTestCase):
    def test_read_is_recorded_with_identity_source_and_resource(self):
        name = unique_name("audit")
        arn = self.client.create_secret(Name=name, SecretString="x")["ARN"]
        self.addCleanup(cleanup_secret, arn)
        start = utcnow()
        self.client.get_secret_value(SecretId=name)
        found = events_since(start, LookupAttributes=[{"AttributeKey": "ResourceName", "AttributeValue": arn}])
        reads = [e for e in found if e["EventName"] == "GetSecretValue"]
        self.assertEqual(len(reads), 1, found)
        event = reads[0]
        self.assertEqual(event["ReadOnly"], "true")
        self.assertEqual(event["EventSource"], "secretsmanager.amazonaws.com")
        self.assertEqual(event["AccessKeyId"], "test")
        self.assertEqual(event["Resources"], [{"ResourceType": "AWS::SecretsManager::Secret", "ResourceName": arn}])
        record = json.loads(event["CloudTrailEvent"])
        self.assertEqual(record["sourceIPAddress"], "127.0.0.1")
        self.assertEqual(record["requestParameters"], {"secretId": name})
        self.assertEqual(record["userIdentity"]["type"], "IAMUser")
        self.assertTrue(record["userIdentity"]["arn"].endswith(":user/admin"))
        self.assertIn("Boto3", record["userAgent"])
        self.assertIsNone(record["responseElements"])
        self.assertEqual(record["eventType"], "AwsApiCall")

    def test_failed_call_is_recorded_with_its_error_code(self):
        start = utcnow()
        missing = unique_name("missing")
        self.assertAwsError("ResourceNotFoundException", self.client.get_secret_value, SecretId=missing)
        found = [json.loads(e["CloudTrailEvent"]) for e in events_since(start, LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "GetSecretValue"}])]
        mine = [r for r in found if r.get("requestParameters", {}).get("secretId") == missing]
        self.assertEqual(len(mine), 1)
        self.assertEqual(mine[0]["errorCode"], "ResourceNotFoundException")
        self.assertEqual(mine[0]["errorMessage"], "Secrets Manager can't find the specified secret.")

    def test_bad_signature_is_recorded(self):
        start = utcnow()
        bad = sm(secret_key="not-the-secret")
        self.assertAwsError("InvalidSignatureException", bad.list_secrets)
        records = [json.loads(e["CloudTrailEvent"]) for e in events_since(start, LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "ListSecrets"}])]
        self.assertTrue(any(r.get("errorCode") == "InvalidSignatureException" and r["userIdentity"].get("accessKeyId") == "test" for r in records), records)

    def test_no_plaintext_reaches_the_trail(self):
        canary = "AUDIT-CANARY-" + unique_name("v").replace("/", "-")
        start = utcnow()
        name = unique_name("canary")
        arn = self.client.create_secret(Name=name, SecretString=canary + "-create")["ARN"]
        self.addCleanup(cleanup_secret, arn)
        self.client.put_secret_value(SecretId=name, SecretString=canary + "-put")
        self.client.update_secret(SecretId=name, SecretString=canary + "-update")
        self.client.put_secret_value(SecretId=name, SecretBinary=(canary + "-binary").encode())
        self.client.get_secret_value(SecretId=name, VersionStage="AWSPREVIOUS")
        self.client.batch_get_secret_value(SecretIdList=[name])
        password = self.client.get_random_password(PasswordLength=40)["RandomPassword"]
        key = kms().create_key(Description="audit canary")["KeyMetadata"]["KeyId"]
        blob = kms().encrypt(KeyId=key, Plaintext=(canary + "-kms").encode())["CiphertextBlob"]
        kms().decrypt(CiphertextBlob=blob)
        data_key = kms().generate_data_key(KeyId=key, KeySpec="AES_256")["Plaintext"]
        kms().schedule_key_deletion(KeyId=key, PendingWindowInDays=7)
        trail = "\n".join(e["CloudTrailEvent"] for e in events_since(start))
        self.assertIn(name, trail)  # the calls are there ...
        self.assertNotIn(canary, trail)  # ... their values are not
        self.assertNotIn(base64.b64encode((canary + "-binary").encode()).decode(), trail)
        self.assertNotIn(base64.b64encode((canary + "-kms").encode()).decode(), trail)
        self.assertNotIn(password, trail)
        self.assertNotIn(base64.b64encode(data_key).decode(), trail)
        self.assertNotIn(base64.b64encode(blob).decode(), trail)

    def test_lookup_events_paginates_and_validates(self):
        start = utcnow()
        for _ in range(3):
            self.client.get_random_password(PasswordLength=8)
        page = cloudtrail().lookup_events(StartTime=start - datetime.timedelta(seconds=1), MaxResults=1,
                                          LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "GetRandomPassword"}])
        self.assertEqual(len(page["Events"]), 1)
        self.assertIn("NextToken", page)
        self.assertAwsError("InvalidMaxResultsException", cloudtrail().lookup_events, MaxResults=51)
        self.assertAwsError("InvalidLookupAttributesException", cloudtrail().lookup_events, LookupAttributes=[
            {"AttributeKey": "EventName", "AttributeValue": "a"}, {"AttributeKey": "Username", "AttributeValue": "b"}])
        self.assertAwsError("InvalidTimeRangeException", cloudtrail().lookup_events, StartTime=utcnow(), EndTime=utcnow() - datetime.timedelta(hours=1))
        self.assertAwsError("InvalidNextTokenException", cloudtrail().lookup_events, NextToken="not-a-token")

    def test_cli_v1_and_v2_lookup_events(self):
        name = unique_name("cli-audit")
        arn = self.client.create_secret(Name=name, SecretString="x")["ARN"]
        self.addCleanup(cleanup_secret, arn)
        for version in (1, 2):
            result = run_cli(version, "cloudtrail", "lookup-events", "--lookup-attributes", f"AttributeKey=ResourceName,AttributeValue={arn}")
            self.assertEqual(result.returncode, 0, result.stderr)
            events = json.loads(result.stdout)["Events"]
            self.assertEqual([e["EventName"] for e in events], ["CreateSecret"])


if __name__ == "__main__":
    unittest.main()
