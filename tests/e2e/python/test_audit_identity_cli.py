"""CloudTrail's userIdentity for every principal kind (issue #26, item 3), driven and read back through AWS CLI v1 and v2:

- an IAM user is type IAMUser with its IAM UserId (AIDA…, what `iam get-user` says) as principalId; a user deleted
  and created again under the same name gets a new one;
- the admin likewise: `iam get-user --user-name admin` answers, and its UserId is the trail's principalId (ADR 0032);
- a session of an assumed role is type AssumedRole, principalId ROLEID:SESSION, sessionContext.sessionIssuer the role;
- a rotation run's calls are such sessions of the rotation role.
"""

import datetime
import json

from helpers import REGION, IAMTestCase, allow, policy_json, run_cli, trust_policy, utcnow
from test_rotation_access import RotationAccessTestCase, wait_for


class AuditIdentityCliMixin:
    VERSION = None

    def cli(self, *args, creds=None):
        path = self.credentials_file({"default": creds}) if creds is not None else None
        result = run_cli(self.VERSION, *args, credentials_file=path)
        self.assertEqual(result.returncode, 0, result.describe())
        return result.json

    def records(self, key, value, event_name=None, since=None):
        window = ["--start-time", since.strftime("%Y-%m-%dT%H:%M:%SZ")] if since is not None else []
        found = self.cli("cloudtrail", "lookup-events", "--lookup-attributes", f"AttributeKey={key},AttributeValue={value}", *window)
        records = [json.loads(e["CloudTrailEvent"]) for e in found["Events"]]
        return [r for r in records if event_name is None or r["eventName"] == event_name]

    def test_user_and_admin_principal_ids_are_their_iam_user_ids(self):
        user = self.new_principal("reader", allow("secretsmanager:ListSecrets"))
        self.cli("secretsmanager", "list-secrets", "--max-results", "1", creds=user)
        user_id = self.cli("iam", "get-user", "--user-name", user.name)["User"]["UserId"]
        self.assertTrue(user_id.startswith("AIDA"), user_id)
        mine = self.records("AccessKeyId", user.access_key_id, "ListSecrets")
        self.assertEqual(len(mine), 1, mine)
        self.assertEqual(mine[0]["userIdentity"]["type"], "IAMUser")
        self.assertEqual(mine[0]["userIdentity"]["principalId"], user_id)
        self.assertEqual(mine[0]["userIdentity"]["userName"], user.name)

        # Deleted and created again: a new UserId, and the trail tells the two apart.
        self.iam.delete_user_policy(UserName=user.name, PolicyName="inline")
        self.iam.delete_access_key(UserName=user.name, AccessKeyId=user.access_key_id)
        self.iam.delete_user(UserName=user.name)
        self.iam.create_user(UserName=user.name)
        self.iam.put_user_policy(UserName=user.name, PolicyName="inline", PolicyDocument=policy_json(allow("secretsmanager:ListSecrets")))
        key = self.iam.create_access_key(UserName=user.name)["AccessKey"]
        again = type(user).from_access_key(key)
        self.cli("secretsmanager", "list-secrets", "--max-results", "1", creds=again)
        new_id = self.cli("iam", "get-user", "--user-name", user.name)["User"]["UserId"]
        self.assertNotEqual(new_id, user_id)
        self.assertEqual(self.records("AccessKeyId", again.access_key_id, "ListSecrets")[0]["userIdentity"]["principalId"], new_id)

        admin = self.cli("iam", "get-user", "--user-name", "admin")["User"]
        since = utcnow() - datetime.timedelta(seconds=2)
        marker = self.name("admin-marker")
        self.cli("secretsmanager", "list-secrets", "--filters", f"Key=name,Values={marker}")
        # The admin is busy in a parallel suite: its records of the last moments, and among them this call.
        by_admin = [r for r in self.records("AccessKeyId", "test", "ListSecrets", since=since) if marker in json.dumps(r.get("requestParameters"))]
        self.assertTrue(by_admin)
        self.assertEqual(by_admin[0]["userIdentity"]["type"], "IAMUser")
        self.assertEqual(by_admin[0]["userIdentity"]["principalId"], admin["UserId"])
        self.assertEqual(by_admin[0]["userIdentity"]["arn"], admin["Arn"])

    def test_assumed_role_session_is_assumed_role_with_its_issuer(self):
        user = self.new_principal("caller", allow("sts:AssumeRole"))
        role = self.create_role("reader", trust=trust_policy(user.arn))
        self.iam.put_role_policy(RoleName=role["RoleName"], PolicyName="list", PolicyDocument=policy_json(allow("secretsmanager:ListSecrets")))
        session = self.cli("sts", "assume-role", "--role-arn", role["Arn"], "--role-session-name", "audit-check", creds=user)["Credentials"]
        creds = type(user)(session["AccessKeyId"], session["SecretAccessKey"], session["SessionToken"])
        self.cli("secretsmanager", "list-secrets", "--max-results", "1", creds=creds)
        mine = self.records("AccessKeyId", session["AccessKeyId"], "ListSecrets")
        self.assertEqual(len(mine), 1, mine)
        identity = mine[0]["userIdentity"]
        self.assertEqual(identity["type"], "AssumedRole")
        self.assertEqual(identity["principalId"], role["RoleId"] + ":audit-check")
        self.assertEqual(identity["arn"], f"arn:aws:sts::{self.account}:assumed-role/{role['RoleName']}/audit-check")
        self.assertNotIn("userName", identity)
        self.assertEqual(identity["sessionContext"]["sessionIssuer"],
                         {"type": "Role", "principalId": role["RoleId"], "arn": role["Arn"], "accountId": self.account, "userName": role["RoleName"]})
        # CloudTrail's Username lookup finds a session by its session name.
        self.assertTrue([r for r in self.records("Username", "audit-check", "ListSecrets") if r["userIdentity"]["accessKeyId"] == session["AccessKeyId"]])


class AuditIdentityCliV1Tests(AuditIdentityCliMixin, IAMTestCase):
    VERSION = 1


class AuditIdentityCliV2Tests(AuditIdentityCliMixin, IAMTestCase):
    VERSION = 2


class RotationRunIdentityTests(RotationAccessTestCase):
    """A rotation run's calls are an assumed-role session of the run's role, as CloudTrail records Lambda's calls."""

    def test_rotation_run_calls_are_assumed_role_sessions(self):
        secret = self.create("db/identity", SecretString="v")
        name = self.fname("describe")
        # The function's one call: DescribeSecret of the rotated secret, with the run's credentials, then it fails.
        command = ("/usr/bin/aws --region " + REGION + " --endpoint-url \"$AWS_ENDPOINT_URL\" secretsmanager describe-secret --secret-id "
                   + secret["ARN"] + " > /dev/null; exit 1")
        self.define(name, Command=command, TimeoutSeconds=60)
        self.client.rotate_secret(SecretId=secret["ARN"], RotationLambdaARN=self.function_arn(name), RotationRules={"AutomaticallyAfterDays": 30})
        self.addCleanup(self.client.cancel_rotate_secret, SecretId=secret["ARN"])

        def by_run():
            found = self.client_cloudtrail().lookup_events(LookupAttributes=[{"AttributeKey": "ResourceName", "AttributeValue": secret["ARN"]}])["Events"]
            return [json.loads(e["CloudTrailEvent"]) for e in found if e["EventName"] == "DescribeSecret" and e.get("AccessKeyId", "").startswith("ASIA")]

        records = wait_for(by_run, "the run's DescribeSecret record")
        identity = records[0]["userIdentity"]
        self.assertEqual(identity["type"], "AssumedRole")
        issuer = identity["sessionContext"]["sessionIssuer"]
        self.assertEqual(issuer["type"], "Role")
        self.assertTrue(identity["arn"].startswith(f"arn:aws:sts::{self.account}:assumed-role/{issuer['userName']}/strongroom-rotation-"), identity)
        self.assertTrue(identity["principalId"].startswith(issuer["principalId"] + ":strongroom-rotation-"), identity)
        self.assertNotIn("userName", identity)

    def client_cloudtrail(self):
        from helpers import cloudtrail
        return cloudtrail()
