"""Access control as AWS decides it, through boto3: each scenario makes its own users, secrets, keys and parameters.

Explicit Deny wins; else an Allow from an identity policy (user/group/role, inline or managed) or from
the resource's own policy (a secret's resource policy, a KMS key policy); else deny. Session
policies narrow an assumed role. A denied call is `AccessDeniedException` and does not tell
whether the resource exists. Policy, key and tag changes by the admin take effect on the next call.

Resource ARNs in the policies use the test's unique prefix: `prod/*` below stands for
`arn:aws:secretsmanager:*:*:secret:t-<uuid8>/prod/*`.
"""

import json
import re
import unittest

from helpers import (
    INVALID_TOKEN_JSON,
    INVALID_TOKEN_MESSAGE,
    INVALID_TOKEN_QUERY,
    SECRETSMANAGER_MANAGED_ALIAS,
    AwsCredentials,
    IAMTestCase,
    access_denied_message,
    allow,
    alter_one_character,
    cleanup_secret,
    clients_for,
    deny,
    policy_json,
    trust_policy,
)

GET = "secretsmanager:GetSecretValue"


class AccessTestCase(IAMTestCase):
    def secret_arn_pattern(self, path):
        """`arn:aws:secretsmanager:*:*:secret:<prefix><path>` (path may end with *)."""
        return "arn:aws:secretsmanager:*:*:secret:" + self.prefix + path

    def secret(self, path, value=None, **kwargs):
        """An admin-made secret named `<prefix><path>`; returns CreateSecret's response."""
        return self.create(path, SecretString=value if value is not None else "value of " + path, **kwargs)

    def assertReads(self, creds, secret_id, value, what=None):
        got = creds.sm().get_secret_value(SecretId=secret_id)
        self.assertEqual(got["SecretString"], value, what or secret_id)

    def assertDenied(self, func, *args, **kwargs):
        return self.assertAwsError("AccessDeniedException", func, *args, status=400, **kwargs)


class NoPolicyTests(AccessTestCase):
    """A new user without policies may do nothing but ask who they are."""

    def test_a_user_without_policies_is_denied_everything(self):
        secret = self.secret("any")
        key = self.create_key()
        self.put(self.pname("p"), "v")
        user = self.new_principal()
        me = user.sts().get_caller_identity()
        self.assertEqual(me["Arn"], user.arn)
        self.addCleanup(cleanup_secret, self.name("mine"))  # were CreateSecret wrongly allowed
        json_calls = {
            "secretsmanager:GetSecretValue": lambda: user.sm().get_secret_value(SecretId=secret["ARN"]),
            "secretsmanager:DescribeSecret": lambda: user.sm().describe_secret(SecretId=secret["ARN"]),
            "secretsmanager:ListSecrets": lambda: user.sm().list_secrets(),
            "secretsmanager:CreateSecret": lambda: user.sm().create_secret(Name=self.name("mine"), SecretString="x"),
            "secretsmanager:PutSecretValue": lambda: user.sm().put_secret_value(SecretId=secret["ARN"],
                                                                                SecretString="x"),
            "secretsmanager:DeleteSecret": lambda: user.sm().delete_secret(SecretId=secret["ARN"]),
            "kms:ListKeys": lambda: user.kms().list_keys(),
            "kms:CreateKey": lambda: user.kms().create_key(),
            "kms:Encrypt": lambda: user.kms().encrypt(KeyId=key["Arn"], Plaintext=b"x"),
            "kms:DescribeKey": lambda: user.kms().describe_key(KeyId=key["Arn"]),
            "ssm:GetParameter": lambda: user.ssm().get_parameter(Name=self.pname("p")),
            "ssm:PutParameter": lambda: user.ssm().put_parameter(Name=self.pname("q"), Value="x", Type="String"),
            "ssm:DescribeParameters": lambda: user.ssm().describe_parameters(),
            "cloudtrail:LookupEvents": lambda: user.cloudtrail().lookup_events(MaxResults=1),
        }
        for action, call in json_calls.items():
            with self.subTest(action=action):
                self.assertAwsError("AccessDeniedException", call)
        self.track(self.pname("q"))
        query_calls = {
            "iam:ListUsers": lambda: user.iam().list_users(),
            "iam:CreateUser": lambda: user.iam().create_user(UserName=self.iam_name("escalated")),
            "iam:PutUserPolicy (on itself)": lambda: user.iam().put_user_policy(
                UserName=user.name, PolicyName="all", PolicyDocument=policy_json(allow("*", "*"))),
            "iam:CreateAccessKey": lambda: user.iam().create_access_key(UserName=user.name),
        }
        self.track_user(self.iam_name("escalated"))
        for action, call in query_calls.items():
            with self.subTest(action=action):
                self.assertAwsError("AccessDenied", call, status=403)
        # Nothing was changed by the refused calls.
        self.assertEqual(self.client.get_secret_value(SecretId=secret["ARN"])["SecretString"], "value of any")
        self.assertEqual(self.iam.list_user_policies(UserName=user.name)["PolicyNames"], [])
        self.assertEqual(len(self.iam.list_access_keys(UserName=user.name)["AccessKeyMetadata"]), 1)
        self.assertAwsError("NoSuchEntity", self.iam.get_user, UserName=self.iam_name("escalated"))


class ResourceScopedAllowTests(AccessTestCase):
    """Scenario 1: GetSecretValue allowed on prod/* only."""

    def setUp(self):
        super().setUp()
        self.user = self.new_principal("reader", allow(GET, self.secret_arn_pattern("prod/*")))
        self.prod = self.secret("prod/db", "prod-password")
        self.dev = self.secret("dev/db", "dev-password")

    def test_reads_prod_and_is_denied_dev(self):
        self.assertReads(self.user, self.name("prod/db"), "prod-password")
        self.assertReads(self.user, self.prod["ARN"], "prod-password", "by ARN")
        self.assertDenied(self.user.sm().get_secret_value, SecretId=self.name("dev/db"))
        self.assertDenied(self.user.sm().get_secret_value, SecretId=self.dev["ARN"])
        # Only GetSecretValue was allowed.
        self.assertDenied(self.user.sm().describe_secret, SecretId=self.prod["ARN"])
        self.assertDenied(self.user.sm().put_secret_value, SecretId=self.prod["ARN"], SecretString="x")

    def test_missing_secrets_allowed_vs_denied(self):
        # Allowed action on a missing prod secret: the truth, ResourceNotFoundException.
        self.assertNotFound(self.user.sm().get_secret_value, SecretId=self.name("prod/missing"))
        # Denied action on a missing dev secret: AccessDeniedException, as for an existing one.
        self.assertDenied(self.user.sm().get_secret_value, SecretId=self.name("dev/missing"))

    def test_removing_the_policy_takes_effect_at_once(self):
        self.assertReads(self.user, self.prod["ARN"], "prod-password")
        self.iam.delete_user_policy(UserName=self.user.name, PolicyName="inline")
        self.assertDenied(self.user.sm().get_secret_value, SecretId=self.prod["ARN"])
        self.iam.put_user_policy(UserName=self.user.name, PolicyName="again",
                                 PolicyDocument=policy_json(allow(GET, self.secret_arn_pattern("*/db-??????"))))
        self.assertReads(self.user, self.prod["ARN"], "prod-password")
        self.assertReads(self.user, self.dev["ARN"], "dev-password")


class ExplicitDenyTests(AccessTestCase):
    """Scenario 2: an explicit Deny anywhere beats any Allow."""

    def setUp(self):
        super().setUp()
        self.prod = self.secret("prod/db", "p")
        self.other = self.secret("prod/other", "o")

    def test_deny_in_an_attached_managed_policy(self):
        denial = self.create_policy("deny", document=json.loads(policy_json(deny(GET, self.prod["ARN"]))))
        user = self.new_principal("u", allow("secretsmanager:*", "*"), managed=[denial["Arn"]])
        self.assertDenied(user.sm().get_secret_value, SecretId=self.prod["ARN"])
        self.assertReads(user, self.other["ARN"], "o")
        self.iam.detach_user_policy(UserName=user.name, PolicyArn=denial["Arn"])
        self.assertReads(user, self.prod["ARN"], "p")

    def test_deny_in_a_group_policy(self):
        group = self.create_group()["GroupName"]
        self.iam.put_group_policy(GroupName=group, PolicyName="no-prod-db",
                                  PolicyDocument=policy_json(deny(GET, self.secret_arn_pattern("prod/d*"))))
        user = self.new_principal("u", allow(GET, "*"), groups=[group])
        self.assertDenied(user.sm().get_secret_value, SecretId=self.prod["ARN"])
        self.assertReads(user, self.other["ARN"], "o")
        self.iam.remove_user_from_group(GroupName=group, UserName=user.name)
        self.assertReads(user, self.prod["ARN"], "p")

    def test_deny_in_the_same_policy_with_not_resource(self):
        user = self.new_principal("u", allow(GET, "*"),
                                  deny(GET, NotResource=self.secret_arn_pattern("prod/o*"), resources=None))
        self.assertDenied(user.sm().get_secret_value, SecretId=self.prod["ARN"])
        self.assertReads(user, self.other["ARN"], "o")

    def test_deny_in_a_resource_policy_beats_an_identity_allow(self):
        user = self.new_principal("u", allow(GET, "*"))
        self.client.put_resource_policy(SecretId=self.prod["ARN"], ResourcePolicy=policy_json(
            deny(GET, "*", principal={"AWS": user.arn})))
        self.assertDenied(user.sm().get_secret_value, SecretId=self.prod["ARN"])
        self.assertReads(user, self.other["ARN"], "o")


class GroupAndManagedAllowTests(AccessTestCase):
    """Allows that come from a group's policies or from managed policies."""

    def test_group_managed_policy_allows_and_leaving_the_group_revokes(self):
        secret = self.secret("prod/db", "p")
        policy = self.create_policy("read", document=json.loads(policy_json(allow(GET, secret["ARN"]))))
        group = self.create_group()["GroupName"]
        self.iam.attach_group_policy(GroupName=group, PolicyArn=policy["Arn"])
        user = self.new_principal("u", groups=[group])
        self.assertReads(user, secret["ARN"], "p")
        self.iam.remove_user_from_group(GroupName=group, UserName=user.name)
        self.assertDenied(user.sm().get_secret_value, SecretId=secret["ARN"])

    def test_new_default_policy_version_takes_effect(self):
        prod = self.secret("prod/db", "p")
        dev = self.secret("dev/db", "d")
        policy = self.create_policy("read", document=json.loads(policy_json(allow(GET, prod["ARN"]))))
        user = self.new_principal("u", managed=[policy["Arn"]])
        self.assertReads(user, prod["ARN"], "p")
        self.assertDenied(user.sm().get_secret_value, SecretId=dev["ARN"])
        self.iam.create_policy_version(PolicyArn=policy["Arn"], PolicyDocument=policy_json(allow(GET, dev["ARN"])),
                                       SetAsDefault=True)
        self.assertReads(user, dev["ARN"], "d")
        self.assertDenied(user.sm().get_secret_value, SecretId=prod["ARN"])


class ResourcePolicyTests(AccessTestCase):
    """Scenario 3: a secret's resource policy naming the user is enough on its own."""

    def test_resource_policy_grants_and_deleting_it_revokes(self):
        secret = self.secret("shared/db", "shared-value")
        other = self.secret("shared/other", "o")
        user = self.new_principal()
        self.assertDenied(user.sm().get_secret_value, SecretId=secret["ARN"])
        self.client.put_resource_policy(SecretId=secret["ARN"], ResourcePolicy=policy_json(
            allow(GET, "*", principal={"AWS": user.arn})))
        self.assertReads(user, secret["ARN"], "shared-value")
        self.assertReads(user, self.name("shared/db"), "shared-value", "by name")
        self.assertDenied(user.sm().get_secret_value, SecretId=other["ARN"])
        self.assertDenied(user.sm().describe_secret, SecretId=secret["ARN"])
        self.client.delete_resource_policy(SecretId=secret["ARN"])
        self.assertDenied(user.sm().get_secret_value, SecretId=secret["ARN"])

    def test_resource_policy_for_another_principal_does_not_grant(self):
        secret = self.secret("shared/db", "v")
        user = self.new_principal("u")
        someone = self.create_user("someone")
        self.client.put_resource_policy(SecretId=secret["ARN"], ResourcePolicy=policy_json(
            allow(GET, "*", principal={"AWS": someone["Arn"]})))
        self.assertDenied(user.sm().get_secret_value, SecretId=secret["ARN"])


class TagConditionTests(AccessTestCase):
    """Scenario 4: Condition on secretsmanager:ResourceTag/team."""

    def check_tag_condition(self, user, value):
        secret = self.secret("tagged/db", "tagged", Tags=[{"Key": "team", "Value": value}])
        untagged = self.secret("untagged/db", "untagged")
        self.assertReads(user, secret["ARN"], "tagged")
        self.assertDenied(user.sm().get_secret_value, SecretId=untagged["ARN"])
        self.client.tag_resource(SecretId=secret["ARN"], Tags=[{"Key": "team", "Value": "someone-else"}])
        self.assertDenied(user.sm().get_secret_value, SecretId=secret["ARN"])
        self.client.tag_resource(SecretId=secret["ARN"], Tags=[{"Key": "team", "Value": value}])
        self.assertReads(user, secret["ARN"], "tagged")
        self.client.untag_resource(SecretId=secret["ARN"], TagKeys=["team"])
        self.assertDenied(user.sm().get_secret_value, SecretId=secret["ARN"])
        self.client.tag_resource(SecretId=untagged["ARN"], Tags=[{"Key": "team", "Value": value}])
        self.assertReads(user, untagged["ARN"], "untagged")

    def test_tag_equal_to_the_user_name(self):
        user = self.new_principal("u", allow(GET, "*", condition={
            "StringEquals": {"secretsmanager:ResourceTag/team": "${aws:username}"}}))
        self.check_tag_condition(user, user.name)

    def test_tag_equal_to_a_fixed_value(self):
        user = self.new_principal("u", allow(GET, "*", condition={
            "StringEquals": {"secretsmanager:ResourceTag/team": "blue"}}))
        self.check_tag_condition(user, "blue")


class AssumedRoleTests(AccessTestCase):
    """Scenario 5: a role allowed everything, narrowed by a session policy to prod/*."""

    def setUp(self):
        super().setUp()
        self.prod = self.secret("prod/db", "p")
        self.dev = self.secret("dev/db", "d")
        self.user = self.new_principal("caller", allow("sts:AssumeRole", "*"))
        self.role = self.create_role(trust=trust_policy(self.user.arn))
        self.iam.put_role_policy(RoleName=self.role["RoleName"], PolicyName="read-all",
                                 PolicyDocument=policy_json(allow(GET, "*")))
        # The user itself may not read secrets.
        self.assertDenied(self.user.sm().get_secret_value, SecretId=self.prod["ARN"])

    def assume(self, session_name="s1", **kwargs):
        resp = self.user.sts().assume_role(RoleArn=self.role["Arn"], RoleSessionName=session_name, **kwargs)
        return AwsCredentials.from_sts(resp)

    def session_arn(self, session_name):
        return "arn:aws:sts::%s:assumed-role/%s/%s" % (self.account, self.role["RoleName"], session_name)

    def test_session_policy_narrows_the_role(self):
        session = self.assume("narrow", Policy=policy_json(allow(GET, self.secret_arn_pattern("prod/*"))))
        me = session.sts().get_caller_identity()
        self.assertEqual(me["Arn"], self.session_arn("narrow"))
        self.assertReads(session, self.prod["ARN"], "p")
        err = self.assertDenied(session.sm().get_secret_value, SecretId=self.dev["ARN"])
        self.assertTrue(err["Message"].startswith("User: %s is not authorized to perform: %s on resource: "
                                                  % (self.session_arn("narrow"), GET)), err["Message"])

    def test_without_session_policy_the_role_policy_applies(self):
        session = self.assume("wide")
        self.assertReads(session, self.prod["ARN"], "p")
        self.assertReads(session, self.dev["ARN"], "d")
        self.assertDenied(session.sm().describe_secret, SecretId=self.dev["ARN"])

    def test_session_policy_cannot_widen_the_role(self):
        session = self.assume("greedy", Policy=policy_json(allow("secretsmanager:*", "*")))
        self.assertReads(session, self.dev["ARN"], "d")
        self.assertDenied(session.sm().describe_secret, SecretId=self.dev["ARN"])

    def test_role_managed_policy_allows(self):
        self.iam.delete_role_policy(RoleName=self.role["RoleName"], PolicyName="read-all")
        session = self.assume("managed")
        self.assertDenied(session.sm().get_secret_value, SecretId=self.prod["ARN"])
        policy = self.create_policy("read-prod", document=json.loads(policy_json(allow(GET, self.prod["ARN"]))))
        self.iam.attach_role_policy(RoleName=self.role["RoleName"], PolicyArn=policy["Arn"])
        self.assertReads(session, self.prod["ARN"], "p")
        self.assertDenied(session.sm().get_secret_value, SecretId=self.dev["ARN"])

    def test_altered_or_missing_session_token_is_refused(self):
        session = self.assume("tamper", DurationSeconds=900)
        self.assertReads(session, self.prod["ARN"], "p")
        # Characters in the middle of the token: a base64 tail may carry unused bits, the middle never does.
        for index in (len(session.session_token) // 2, len(session.session_token) // 3):
            token = alter_one_character(session.session_token, index)
            with self.subTest(changed_at=index):
                self.assertNotEqual(token, session.session_token)
                bad = session.replace(session_token=token)
                self.assertAwsError(INVALID_TOKEN_QUERY, bad.sts().get_caller_identity)
                self.assertAwsError(INVALID_TOKEN_JSON, bad.sm().get_secret_value, SecretId=self.prod["ARN"],
                                    message=INVALID_TOKEN_MESSAGE)
        no_token = clients_for(session.access_key_id, session.secret_access_key)
        self.assertAwsError(INVALID_TOKEN_QUERY, no_token.sts().get_caller_identity)
        self.assertAwsError(INVALID_TOKEN_JSON, no_token.sm().get_secret_value, SecretId=self.prod["ARN"])
        # Another session's token does not fit this session's key.
        other = self.assume("other")
        mixed = session.replace(session_token=other.session_token)
        self.assertAwsError(INVALID_TOKEN_JSON, mixed.sm().get_secret_value, SecretId=self.prod["ARN"])
        # The untouched session still works.
        self.assertReads(session, self.prod["ARN"], "p")


class AccessKeyStatusTests(AccessTestCase):
    """Scenario 6: Inactive and deleted keys are refused on the next call."""

    def test_deactivate_reactivate_and_delete(self):
        secret = self.secret("prod/db", "p")
        user = self.new_principal("u", allow(GET, "*"))
        self.assertReads(user, secret["ARN"], "p")

        self.iam.update_access_key(UserName=user.name, AccessKeyId=user.access_key_id, Status="Inactive")
        self.assertAwsError(INVALID_TOKEN_JSON, user.sm().get_secret_value, SecretId=secret["ARN"],
                            message=INVALID_TOKEN_MESSAGE, status=400)
        self.assertAwsError(INVALID_TOKEN_QUERY, user.sts().get_caller_identity)

        self.iam.update_access_key(UserName=user.name, AccessKeyId=user.access_key_id, Status="Active")
        self.assertReads(user, secret["ARN"], "p")
        self.assertEqual(user.sts().get_caller_identity()["Arn"], user.arn)

        self.iam.delete_access_key(UserName=user.name, AccessKeyId=user.access_key_id)
        self.assertAwsError(INVALID_TOKEN_JSON, user.sm().get_secret_value, SecretId=secret["ARN"],
                            message=INVALID_TOKEN_MESSAGE)
        self.assertAwsError(INVALID_TOKEN_QUERY, user.sts().get_caller_identity)

    def test_one_inactive_key_does_not_affect_the_other(self):
        secret = self.secret("prod/db", "p")
        first = self.new_principal("u", allow(GET, "*"))
        second = self.create_key_for(first.name)
        self.iam.update_access_key(UserName=first.name, AccessKeyId=first.access_key_id, Status="Inactive")
        self.assertAwsError(INVALID_TOKEN_JSON, first.sm().get_secret_value, SecretId=secret["ARN"])
        self.assertReads(second, secret["ARN"], "p")

    def test_unknown_issued_looking_keys_are_refused_by_every_service(self):
        # A key shaped like a Strongroom key that Strongroom never issued is not the admin, even in dev mode.
        user = self.new_principal("u")
        self.iam.delete_access_key(UserName=user.name, AccessKeyId=user.access_key_id)
        calls = {
            "secretsmanager": (INVALID_TOKEN_JSON, lambda: user.sm().list_secrets()),
            "kms": (INVALID_TOKEN_JSON, lambda: user.kms().list_keys()),
            "ssm": (INVALID_TOKEN_JSON, lambda: user.ssm().describe_parameters()),
            "cloudtrail": (INVALID_TOKEN_JSON, lambda: user.cloudtrail().lookup_events(MaxResults=1)),
            "sts": (INVALID_TOKEN_QUERY, lambda: user.sts().get_caller_identity()),
            "iam": (INVALID_TOKEN_QUERY, lambda: user.iam().list_users()),
        }
        for service, (code, call) in calls.items():
            with self.subTest(service=service):
                self.assertAwsError(code, call)


class KmsForSecretsTests(AccessTestCase):
    """Scenario 7: reading a secret under a customer managed key also needs kms:Decrypt on that key."""

    def setUp(self):
        super().setUp()
        self.key = self.create_key(Description="customer key for access tests")
        self.under_cmk = self.secret("cmk/db", "cmk-value", KmsKeyId=self.key["Arn"])
        self.under_default = self.secret("default/db", "default-value")
        self.user = self.new_principal("u", allow(GET, "*"))

    def test_decrypt_permission_on_the_key_is_needed(self):
        self.assertReads(self.user, self.under_default["ARN"], "default-value")
        self.assertDenied(self.user.sm().get_secret_value, SecretId=self.under_cmk["ARN"])
        # Permission on another key does not help.
        other = self.create_key()
        self.iam.put_user_policy(UserName=self.user.name, PolicyName="other-key",
                                 PolicyDocument=policy_json(allow("kms:Decrypt", other["Arn"])))
        self.assertDenied(self.user.sm().get_secret_value, SecretId=self.under_cmk["ARN"])
        self.iam.put_user_policy(UserName=self.user.name, PolicyName="this-key",
                                 PolicyDocument=policy_json(allow("kms:Decrypt", self.key["Arn"])))
        self.assertReads(self.user, self.under_cmk["ARN"], "cmk-value")

    def test_the_managed_key_needs_nothing_extra(self):
        explicit = self.secret("managed/db", "m", KmsKeyId=SECRETSMANAGER_MANAGED_ALIAS)
        self.assertReads(self.user, explicit["ARN"], "m")

    def test_a_key_policy_naming_the_user_grants_decrypt(self):
        self.assertDenied(self.user.sm().get_secret_value, SecretId=self.under_cmk["ARN"])
        self.kms.put_key_policy(KeyId=self.key["KeyId"], PolicyName="default", Policy=policy_json(
            allow("kms:*", "*", principal={"AWS": "arn:aws:iam::%s:root" % self.account}, sid="admin"),
            allow("kms:Decrypt", "*", principal={"AWS": self.user.arn}, sid="reader"),
        ))
        self.assertReads(self.user, self.under_cmk["ARN"], "cmk-value")


class BatchGetTests(AccessTestCase):
    """Scenario 8: BatchGetSecretValue reports each denied secret in Errors."""

    def test_denied_secrets_are_errors_and_allowed_ones_values(self):
        prod = self.secret("prod/db", "p")
        dev = self.secret("dev/db", "d")
        user = self.new_principal("u", allow("secretsmanager:BatchGetSecretValue", "*"),
                                  allow(GET, self.secret_arn_pattern("prod/*")))
        missing_dev = self.name("dev/missing")
        resp = user.sm().batch_get_secret_value(SecretIdList=[prod["ARN"], dev["ARN"], missing_dev])
        self.assertEqual([(v["ARN"], v["SecretString"]) for v in resp["SecretValues"]], [(prod["ARN"], "p")])
        errors = {e["SecretId"]: e for e in resp["Errors"]}
        self.assertEqual(sorted(errors), sorted([dev["ARN"], missing_dev]))
        for secret_id, e in errors.items():
            with self.subTest(secret_id=secret_id):
                self.assertEqual(e["ErrorCode"], "AccessDeniedException")
                self.assertTrue(e.get("Message"))

    def test_without_batch_permission_the_call_is_denied(self):
        prod = self.secret("prod/db", "p")
        user = self.new_principal("u", allow(GET, "*"))
        self.assertDenied(user.sm().batch_get_secret_value, SecretIdList=[prod["ARN"]])


class DenialMessageTests(AccessTestCase):
    """Scenario 9: AWS's wording, the same whether or not the secret exists."""

    MESSAGE_RE = (r"^User: (?P<principal>\S+) is not authorized to perform: (?P<action>\S+) on resource: "
                  r"(?P<resource>\S+) because no identity-based policy allows the (?P=action) action$")

    def test_message_form_for_existing_and_missing_secrets(self):
        self.secret("dev/db", "d")
        user = self.new_principal("u", allow(GET, self.secret_arn_pattern("prod/*")))
        messages = {}
        for which in ("dev/db", "dev/missing"):
            err = self.assertDenied(user.sm().get_secret_value, SecretId=self.name(which))
            m = re.match(self.MESSAGE_RE, err["Message"] or "")
            self.assertIsNotNone(m, "not AWS's form: %r" % err["Message"])
            self.assertEqual(m.group("principal"), user.arn)
            self.assertEqual(m.group("action"), GET)
            resource = m.group("resource")
            self.assertIn(resource, (self.name(which), "arn:aws:secretsmanager:%s:%s:secret:%s"
                                     % (self.region, self.account, self.name(which))),
                          "resource names the SecretId as given (or its suffix-less ARN), nothing more")
            messages[which] = err["Message"].replace(self.name(which), "<id>")
        self.assertEqual(messages["dev/db"], messages["dev/missing"], "the message tells whether the secret exists")

    def test_message_by_arn(self):
        dev = self.secret("dev/db", "d")
        user = self.new_principal("u", allow(GET, self.secret_arn_pattern("prod/*")))
        self.assertDenied(user.sm().get_secret_value, SecretId=dev["ARN"],
                          message=access_denied_message(user.arn, GET, dev["ARN"]))

    def test_other_actions_name_themselves(self):
        dev = self.secret("dev/db", "d")
        user = self.new_principal("u")
        self.assertDenied(user.sm().describe_secret, SecretId=dev["ARN"],
                          message=access_denied_message(user.arn, "secretsmanager:DescribeSecret", dev["ARN"]))


class KmsEnforcementTests(AccessTestCase):
    """Scenario 10: kms:Encrypt alone does not allow kms:Decrypt."""

    def test_encrypt_only(self):
        key = self.create_key()
        other = self.create_key()
        user = self.new_principal("u", allow("kms:Encrypt", key["Arn"]))
        blob = user.kms().encrypt(KeyId=key["Arn"], Plaintext=b"hello")["CiphertextBlob"]
        self.assertEqual(user.kms().encrypt(KeyId=key["KeyId"], Plaintext=b"x")["KeyId"], key["Arn"])
        self.assertAwsError("AccessDeniedException", user.kms().decrypt, CiphertextBlob=blob,
                            message=access_denied_message(user.arn, "kms:Decrypt", key["Arn"]))
        self.assertAwsError("AccessDeniedException", user.kms().encrypt, KeyId=other["Arn"], Plaintext=b"x",
                            message=access_denied_message(user.arn, "kms:Encrypt", other["Arn"]))
        # The admin can still decrypt it: the refusal was about the user.
        self.assertEqual(self.kms.decrypt(CiphertextBlob=blob)["Plaintext"], b"hello")

    def test_decrypt_allowed_by_identity_policy(self):
        key = self.create_key()
        blob = self.kms.encrypt(KeyId=key["Arn"], Plaintext=b"hello")["CiphertextBlob"]
        user = self.new_principal("u", allow("kms:Decrypt", key["Arn"]))
        self.assertEqual(user.kms().decrypt(CiphertextBlob=blob)["Plaintext"], b"hello")
        self.assertAwsError("AccessDeniedException", user.kms().encrypt, KeyId=key["Arn"], Plaintext=b"x")


class SsmEnforcementTests(AccessTestCase):
    """Scenario 11: ssm:GetParameter on parameter/<path>/app/*."""

    def test_get_parameter_by_path(self):
        allowed, denied = self.pname("app/x"), self.pname("other/x")
        self.put(allowed, "app-value")
        self.put(denied, "other-value")
        user = self.new_principal("u", allow("ssm:GetParameter",
                                             "arn:aws:ssm:*:*:parameter%s/app/*" % self.path))
        self.assertEqual(user.ssm().get_parameter(Name=allowed)["Parameter"]["Value"], "app-value")
        err = self.assertAwsError("AccessDeniedException", user.ssm().get_parameter, Name=denied)
        self.assertIn(user.arn, err["Message"])
        self.assertIn("ssm:GetParameter", err["Message"])
        self.assertAwsError("AccessDeniedException", user.ssm().put_parameter, Name=allowed, Value="x",
                            Type="String", Overwrite=True)
        self.assertEqual(self.get(allowed)["Value"], "app-value")
        # An allowed action on a missing parameter tells the truth.
        self.assertAwsError("ParameterNotFound", user.ssm().get_parameter, Name=self.pname("app/missing"))

    def test_ssm_recursive_and_resource_tag_condition_keys(self):
        self.put(self.pname("tree/a/b"), "deep")
        self.put(self.pname("tree/top"), "top")
        self.ssm.add_tags_to_resource(ResourceType="Parameter", ResourceId=self.pname("tree/top"), Tags=[{"Key": "tier", "Value": "gold"}])
        user = self.new_principal("u",
                                  allow("ssm:GetParametersByPath", "*", {"Bool": {"ssm:Recursive": "false"}}),
                                  allow("ssm:GetParameter", "*", {"StringEquals": {"aws:ResourceTag/tier": "gold"}}))
        names = [p["Name"] for p in user.ssm().get_parameters_by_path(Path=self.pname("tree"))["Parameters"]]
        self.assertEqual(names, [self.pname("tree/top")])
        self.assertAwsError("AccessDeniedException", user.ssm().get_parameters_by_path, Path=self.pname("tree"), Recursive=True)
        self.assertEqual(user.ssm().get_parameter(Name=self.pname("tree/top"))["Parameter"]["Value"], "top")
        self.assertAwsError("AccessDeniedException", user.ssm().get_parameter, Name=self.pname("tree/a/b"))


class BlockPublicPolicyConditionTests(AccessTestCase):
    def test_put_resource_policy_only_with_block_public_policy(self):
        secret = self.secret("guarded/s")
        user = self.new_principal("u", allow("secretsmanager:PutResourcePolicy", "*", {"Bool": {"secretsmanager:BlockPublicPolicy": "true"}}))
        policy = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": self.admin_arn() if hasattr(self, "admin_arn") else "arn:aws:iam::%s:root" % self.account},
                                                                        "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]})
        self.assertDenied(user.sm().put_resource_policy, SecretId=secret["ARN"], ResourcePolicy=policy, BlockPublicPolicy=False)
        user.sm().put_resource_policy(SecretId=secret["ARN"], ResourcePolicy=policy, BlockPublicPolicy=True)


if __name__ == "__main__":
    unittest.main()
