"""Privilege escalation as an attacker with an ordinary IAM user would try it (issue #25), through boto3.

Each test is the request that once worked, now refused, and proof that nothing changed: renaming oneself to
`admin` (any case), acting on the admin, IAM actions checked against the wrong resource (paths, the group of
AddUserToGroup, a missing UserName on access-key calls), a session policy bypassed through a secret's resource
policy, an account principal in a resource policy granting by itself, and BlockPublicPolicy accepting `*`
behind a condition that narrows nothing. Also the identities GetCallerIdentity reports (issue #15, item 2).
"""

import json
import unittest

from helpers import (
    AwsCredentials,
    cleanup_user,
    policy_json,
)
from test_access import GET, AccessTestCase, allow, deny, trust_policy

ADMIN = "admin"


def self_arn(account):
    """The caller's own user ARN as a policy variable (users made by new_principal live at path /)."""
    return "arn:aws:iam::%s:user/${aws:username}" % account


class AdminIdentityTests(AccessTestCase):
    """Finding 1: the admin is a stored IAM user whose privilege no API call can give away."""

    def admin_user(self):
        return self.iam.get_user(UserName=ADMIN)["User"]

    def assertStillOrdinary(self, creds, secret_arn):
        """The caller is itself, not the admin: its own ARN and no access to a secret it has no policy for."""
        me = creds.sts().get_caller_identity()
        self.assertNotEqual(me["Arn"], self.admin_user()["Arn"])
        self.assertDenied(creds.sm().get_secret_value, SecretId=secret_arn)

    def test_the_admin_is_a_real_user_with_its_own_unique_id(self):
        admin = self.admin_user()
        self.assertEqual(admin["UserName"], ADMIN)
        self.assertEqual(admin["Path"], "/")
        self.assertEqual(admin["Arn"], "arn:aws:iam::%s:user/admin" % self.account)
        self.assertRegex(admin["UserId"], r"^AIDA[A-Z2-7]{16,}$")
        me = self.sts.get_caller_identity()
        self.assertEqual(me["Arn"], admin["Arn"])
        self.assertEqual(me["UserId"], admin["UserId"])
        # GetUser without a name is the caller.
        self.assertEqual(self.iam.get_user()["User"]["UserId"], admin["UserId"])

    def test_renaming_oneself_to_admin_in_any_case_is_refused(self):
        secret = self.secret("crown/jewels", "crown")
        # A user allowed to rename anyone (iam:UpdateUser on every user) still cannot take the admin's name.
        user = self.new_principal("rename", allow("iam:UpdateUser", "arn:aws:iam::%s:user/*" % self.account))
        admin_id = self.admin_user()["UserId"]
        for name in ("admin", "Admin", "ADMIN", "aDmIn"):
            with self.subTest(name=name):
                self.track_user(name)  # were the rename wrongly allowed, cleanup removes it
                self.assertIamError("EntityAlreadyExists", user.iam().update_user, UserName=user.name,
                                    NewUserName=name, status=409, message="User with name %s already exists." % name)
                self.assertEqual(self.iam.get_user(UserName=user.name)["User"]["UserName"], user.name)
        self.assertStillOrdinary(user, secret["ARN"])
        self.assertEqual(self.admin_user()["UserId"], admin_id)
        self.assertAdminReads(secret["ARN"], "crown")

    def assertAdminReads(self, secret_arn, value):
        self.assertEqual(self.client.get_secret_value(SecretId=secret_arn)["SecretString"], value)

    def test_self_service_rename_needs_permission_on_the_new_name_too(self):
        secret = self.secret("crown/jewels", "crown")
        # The common self-service grant: iam:UpdateUser on the caller's own ARN only.
        user = self.new_principal("self", allow("iam:UpdateUser", self_arn(self.account)))
        for name in ("admin", "Admin", self.iam_name("other")):
            with self.subTest(name=name):
                self.track_user(name)
                self.assertIamError("AccessDenied", user.iam().update_user, UserName=user.name, NewUserName=name,
                                    status=403, message_contains="arn:aws:iam::%s:user/%s" % (self.account, name))
        self.assertEqual(self.iam.get_user(UserName=user.name)["User"]["UserName"], user.name)
        self.assertStillOrdinary(user, secret["ARN"])
        # With permission on both names the rename works, and the keys follow the user.
        renamed = self.iam_name("renamed")
        self.track_user(renamed)
        self.iam.put_user_policy(UserName=user.name, PolicyName="both", PolicyDocument=policy_json(
            allow("iam:UpdateUser", ["arn:aws:iam::%s:user/%s" % (self.account, user.name),
                                     "arn:aws:iam::%s:user/%s" % (self.account, renamed)])))
        user.iam().update_user(UserName=user.name, NewUserName=renamed)
        self.assertEqual(user.sts().get_caller_identity()["Arn"], "arn:aws:iam::%s:user/%s" % (self.account, renamed))

    def test_names_are_unique_whatever_their_case(self):
        first = self.create_user("Bob")
        self.track_user(self.iam_name("bob"))
        self.assertIamError("EntityAlreadyExists", self.iam.create_user, UserName=self.iam_name("bob"), status=409)
        for name in ("admin", "Admin", "ADMIN"):
            with self.subTest(name=name):
                self.assertIamError("EntityAlreadyExists", self.iam.create_user, UserName=name, status=409,
                                    message="User with name %s already exists." % name)
        other = self.create_user("carol")
        self.assertIamError("EntityAlreadyExists", self.iam.update_user, UserName=other["UserName"],
                            NewUserName=first["UserName"].upper(), status=409)

    def test_the_admin_cannot_be_renamed_or_deleted_even_by_itself(self):
        admin = self.admin_user()
        new_name = self.iam_name("usurper")
        self.track_user(new_name)
        for call in (lambda: self.iam.update_user(UserName=ADMIN, NewUserName=new_name),
                     lambda: self.iam.update_user(UserName=ADMIN, NewPath="/elsewhere/"),
                     lambda: self.iam.delete_user(UserName=ADMIN)):
            self.assertIamError("UnmodifiableEntity", call, status=400, message_contains="administrator")
        self.assertEqual(self.admin_user(), admin)
        self.assertEqual(self.sts.get_caller_identity()["UserId"], admin["UserId"])

    def test_an_iam_manager_cannot_act_on_the_admin(self):
        """A user allowed iam:* on everything manages other users, but never the admin."""
        manager = self.new_principal("manager", allow("iam:*", "*"))
        admin_arn = self.admin_user()["Arn"]
        keys_before = self.iam.list_access_keys(UserName=ADMIN)["AccessKeyMetadata"]
        self.assertTrue(keys_before)
        admin_key = keys_before[0]["AccessKeyId"]
        client = manager.client("iam", validate=False)  # the dev server's admin key "test" is shorter than botocore allows
        calls = {
            "CreateAccessKey": lambda: client.create_access_key(UserName=ADMIN),
            "UpdateAccessKey": lambda: client.update_access_key(UserName=ADMIN, AccessKeyId=admin_key, Status="Inactive"),
            "DeleteAccessKey": lambda: client.delete_access_key(UserName=ADMIN, AccessKeyId=admin_key),
            "PutUserPolicy": lambda: client.put_user_policy(UserName=ADMIN, PolicyName="x",
                                                            PolicyDocument=policy_json(deny("*", "*"))),
            "AttachUserPolicy": lambda: client.attach_user_policy(
                UserName=ADMIN, PolicyArn="arn:aws:iam::%s:policy/whatever" % self.account),
            "TagUser": lambda: client.tag_user(UserName=ADMIN, Tags=[{"Key": "owned", "Value": "yes"}]),
            "UpdateUser": lambda: client.update_user(UserName=ADMIN, NewPath="/owned/"),
            "DeleteUser": lambda: client.delete_user(UserName=ADMIN),
        }
        for op, call in calls.items():
            with self.subTest(op=op):
                self.assertIamError("AccessDenied", call, status=403, message_contains=admin_arn)
        # Naming the admin's key without a UserName means the caller's own keys: not found, nothing done.
        self.assertIamError("NoSuchEntity", client.update_access_key, AccessKeyId=admin_key, Status="Inactive", status=404)
        self.assertIamError("NoSuchEntity", client.delete_access_key, AccessKeyId=admin_key, status=404)
        self.assertEqual(self.iam.list_access_keys(UserName=ADMIN)["AccessKeyMetadata"], keys_before)
        self.assertEqual(self.iam.list_user_policies(UserName=ADMIN)["PolicyNames"], [])
        self.assertEqual(self.iam.list_user_tags(UserName=ADMIN)["Tags"], [])
        # Reading the admin is an ordinary read.
        self.assertEqual(client.get_user(UserName=ADMIN)["User"]["Arn"], admin_arn)


class IamResourceTests(AccessTestCase):
    """Finding 6: each IAM action is checked against the resource AWS's service authorization reference names."""

    def test_a_deny_on_a_path_covers_the_users_in_it(self):
        victim = self.create_user("victim", Path=self.iam_path)
        attacker = self.new_principal("attacker", allow("iam:*", "*"),
                                      deny("iam:*", "arn:aws:iam::%s:user%s*" % (self.account, self.iam_path)))
        client = attacker.iam()
        name = victim["UserName"]
        calls = {
            "PutUserPolicy": lambda: client.put_user_policy(UserName=name, PolicyName="p",
                                                            PolicyDocument=policy_json(allow("*", "*"))),
            "CreateAccessKey": lambda: client.create_access_key(UserName=name),
            "UpdateUser": lambda: client.update_user(UserName=name, NewPath="/"),
            "DeleteUser": lambda: client.delete_user(UserName=name),
            "GetUser": lambda: client.get_user(UserName=name),
        }
        for op, call in calls.items():
            with self.subTest(op=op):
                self.assertIamError("AccessDenied", call, status=403,
                                    message_contains="on resource: %s with an explicit deny" % victim["Arn"])
        self.assertEqual(self.iam.list_user_policies(UserName=name)["PolicyNames"], [])
        self.assertEqual(self.iam.list_access_keys(UserName=name)["AccessKeyMetadata"], [])
        self.assertEqual(self.iam.get_user(UserName=name)["User"]["Path"], self.iam_path)

    def test_group_membership_is_checked_against_the_group(self):
        admins = self.create_group("admins", Path=self.iam_path)
        self.iam.put_group_policy(GroupName=admins["GroupName"], PolicyName="all",
                                  PolicyDocument=policy_json(allow("*", "*")))
        attacker = self.new_principal("joiner", allow(["iam:AddUserToGroup", "iam:RemoveUserFromGroup"], "*"),
                                      deny("iam:*", admins["Arn"]))
        self.assertIamError("AccessDenied", attacker.iam().add_user_to_group, GroupName=admins["GroupName"],
                            UserName=attacker.name, status=403, message_contains=admins["Arn"])
        self.assertEqual(self.iam.get_group(GroupName=admins["GroupName"])["Users"], [])
        secret = self.secret("guarded", "g")
        self.assertDenied(attacker.sm().get_secret_value, SecretId=secret["ARN"])
        # Allowed on this group only (its ARN with its path): joining works; another group's deny is not consulted.
        team = self.create_group("team", Path=self.iam_path)
        member = self.new_principal("member", allow("iam:AddUserToGroup", team["Arn"]))
        member.iam().add_user_to_group(GroupName=team["GroupName"], UserName=member.name)
        self.assertIamError("AccessDenied", member.iam().add_user_to_group, GroupName=admins["GroupName"],
                            UserName=member.name, status=403)
        self.iam.add_user_to_group(GroupName=admins["GroupName"], UserName=attacker.name)
        self.assertIamError("AccessDenied", attacker.iam().remove_user_from_group, GroupName=admins["GroupName"],
                            UserName=attacker.name, status=403)

    def test_access_key_calls_without_a_user_name_act_on_the_callers_own_keys(self):
        victim = self.new_principal("victim")
        victim_key = victim.access_key_id
        # Allowed on every user's keys, except the victim's (a Deny on its ARN).
        attacker = self.new_principal("attacker",
                                      allow(["iam:UpdateAccessKey", "iam:DeleteAccessKey", "iam:ListAccessKeys"], "*"),
                                      deny("iam:*", "arn:aws:iam::%s:user/%s" % (self.account, victim.name)))
        client = attacker.iam()
        self.assertIamError("NoSuchEntity", client.update_access_key, AccessKeyId=victim_key, Status="Inactive",
                            status=404, message="The Access Key with id %s cannot be found." % victim_key)
        self.assertIamError("NoSuchEntity", client.delete_access_key, AccessKeyId=victim_key, status=404)
        self.assertIamError("AccessDenied", client.update_access_key, UserName=victim.name, AccessKeyId=victim_key,
                            Status="Inactive", status=403)
        self.assertIamError("AccessDenied", client.delete_access_key, UserName=victim.name, AccessKeyId=victim_key,
                            status=403)
        # Naming oneself but the victim's key: not found either.
        self.assertIamError("NoSuchEntity", client.delete_access_key, UserName=attacker.name, AccessKeyId=victim_key,
                            status=404)
        keys = self.iam.list_access_keys(UserName=victim.name)["AccessKeyMetadata"]
        self.assertEqual([(k["AccessKeyId"], k["Status"]) for k in keys], [(victim_key, "Active")])
        self.assertEqual(victim.sts().get_caller_identity()["Arn"], victim.arn)

    def test_self_service_key_rotation_without_a_user_name(self):
        """The common self-service grant on the caller's own ARN works when UserName is left out, as in AWS."""
        user = self.new_principal("self", allow(
            ["iam:CreateAccessKey", "iam:ListAccessKeys", "iam:UpdateAccessKey", "iam:DeleteAccessKey", "iam:GetUser"],
            self_arn(self.account)))
        client = user.iam()
        self.assertEqual(client.get_user()["User"]["UserName"], user.name)
        new = client.create_access_key()["AccessKey"]
        self.assertEqual(new["UserName"], user.name)
        listed = {k["AccessKeyId"] for k in client.list_access_keys()["AccessKeyMetadata"]}
        self.assertEqual(listed, {user.access_key_id, new["AccessKeyId"]})
        fresh = AwsCredentials.from_access_key(new)
        fresh.iam().update_access_key(AccessKeyId=user.access_key_id, Status="Inactive")
        fresh.iam().delete_access_key(AccessKeyId=user.access_key_id)
        self.assertEqual([k["AccessKeyId"] for k in fresh.iam().list_access_keys()["AccessKeyMetadata"]],
                         [new["AccessKeyId"]])

    def test_a_deny_on_service_role_paths_covers_roles_there(self):
        role = self.create_role("svc", Path="/service-role/")
        self.assertEqual(role["Arn"], "arn:aws:iam::%s:role/service-role/%s" % (self.account, role["RoleName"]))
        attacker = self.new_principal("attacker", allow("iam:*", "*"),
                                      deny("iam:*", "arn:aws:iam::%s:role/service-role/*" % self.account))
        client = attacker.iam()
        name = role["RoleName"]
        calls = {
            "PutRolePolicy": lambda: client.put_role_policy(RoleName=name, PolicyName="all",
                                                            PolicyDocument=policy_json(allow("*", "*"))),
            "UpdateAssumeRolePolicy": lambda: client.update_assume_role_policy(
                RoleName=name, PolicyDocument=trust_policy(attacker.arn)),
            "TagRole": lambda: client.tag_role(RoleName=name, Tags=[{"Key": "k", "Value": "v"}]),
            "DeleteRole": lambda: client.delete_role(RoleName=name),
        }
        for op, call in calls.items():
            with self.subTest(op=op):
                self.assertIamError("AccessDenied", call, status=403, message_contains=role["Arn"])
        self.assertEqual(self.iam.list_role_policies(RoleName=name)["PolicyNames"], [])
        self.assertEqual(self.iam.get_role(RoleName=name)["Role"]["Arn"], role["Arn"])
        # sts:AssumeRole is checked against the role's ARN with its path too.
        self.iam.update_assume_role_policy(RoleName=name, PolicyDocument=trust_policy(attacker.arn))
        self.iam.put_user_policy(UserName=attacker.name, PolicyName="deny-assume", PolicyDocument=policy_json(
            deny("sts:AssumeRole", "arn:aws:iam::%s:role/service-role/*" % self.account)))
        self.assertIamError("AccessDenied", attacker.sts().assume_role, RoleArn=role["Arn"], RoleSessionName="s1",
                            status=403, message_contains=role["Arn"])

    def test_policy_attachments_carry_the_policy_arn_condition_key(self):
        allowed = self.create_policy("allowed", policy_json(allow("secretsmanager:ListSecrets", "*")))
        other = self.create_policy("other", policy_json(allow("*", "*")))
        user = self.new_principal("attacher", allow("iam:AttachUserPolicy", self_arn(self.account), condition={
            "ArnEquals": {"iam:PolicyARN": allowed["Arn"]}}))
        user.iam().attach_user_policy(UserName=user.name, PolicyArn=allowed["Arn"])
        self.assertIamError("AccessDenied", user.iam().attach_user_policy, UserName=user.name, PolicyArn=other["Arn"],
                            status=403)
        attached = [p["PolicyArn"] for p in self.iam.list_attached_user_policies(UserName=user.name)["AttachedPolicies"]]
        self.assertEqual(attached, [allowed["Arn"]])

    def test_managed_policy_actions_use_the_policy_arn_with_its_path(self):
        policy = self.create_policy("pathed", policy_json(allow("s3:GetObject", "*")), Path=self.iam_path)
        self.assertEqual(policy["Arn"], "arn:aws:iam::%s:policy%s%s" % (self.account, self.iam_path, policy["PolicyName"]))
        user = self.new_principal("versioner", allow("iam:*", "*"),
                                  deny("iam:*", "arn:aws:iam::%s:policy%s*" % (self.account, self.iam_path)))
        self.assertIamError("AccessDenied", user.iam().create_policy_version, PolicyArn=policy["Arn"],
                            PolicyDocument=policy_json(allow("*", "*")), SetAsDefault=True, status=403)
        self.assertEqual(len(self.iam.list_policy_versions(PolicyArn=policy["Arn"])["Versions"]), 1)


class SessionPolicyAndResourcePolicyTests(AccessTestCase):
    """Finding 9: a session policy bounds what a resource policy naming the role grants."""

    def setUp(self):
        super().setUp()
        self.app_a = self.secret("app/a", "a-value")
        self.app_b = self.secret("app/b", "b-value")
        self.caller = self.new_principal("caller", allow("sts:AssumeRole", "*"))
        self.role = self.create_role(trust=trust_policy(self.caller.arn))
        self.iam.put_role_policy(RoleName=self.role["RoleName"], PolicyName="read-app",
                                 PolicyDocument=policy_json(allow(GET, self.secret_arn_pattern("app/*"))))

    def assume(self, name, policy):
        resp = self.caller.sts().assume_role(RoleArn=self.role["Arn"], RoleSessionName=name, Policy=policy)
        return AwsCredentials.from_sts(resp)

    def session_arn(self, name):
        return "arn:aws:sts::%s:assumed-role/%s/%s" % (self.account, self.role["RoleName"], name)

    def test_a_resource_policy_naming_the_role_does_not_widen_a_narrowed_session(self):
        self.client.put_resource_policy(SecretId=self.app_b["ARN"], ResourcePolicy=policy_json(
            allow(GET, "*", principal={"AWS": self.role["Arn"]})))
        session = self.assume("narrow", policy_json(allow(GET, self.secret_arn_pattern("app/a-??????"))))
        self.assertReads(session, self.app_a["ARN"], "a-value")
        self.assertDenied(session.sm().get_secret_value, SecretId=self.app_b["ARN"])
        # Also when the role's own policy grants nothing: the resource policy alone cannot exceed the session policy.
        self.iam.delete_role_policy(RoleName=self.role["RoleName"], PolicyName="read-app")
        self.assertDenied(session.sm().get_secret_value, SecretId=self.app_b["ARN"])

    def test_a_resource_policy_naming_the_session_itself_grants_beyond_the_session_policy(self):
        name = "named"
        self.client.put_resource_policy(SecretId=self.app_b["ARN"], ResourcePolicy=policy_json(
            allow(GET, "*", principal={"AWS": self.session_arn(name)})))
        session = self.assume(name, policy_json(allow(GET, self.secret_arn_pattern("app/a-??????"))))
        self.assertReads(session, self.app_b["ARN"], "b-value")
        other = self.assume("other", policy_json(allow(GET, self.secret_arn_pattern("app/a-??????"))))
        self.assertDenied(other.sm().get_secret_value, SecretId=self.app_b["ARN"])

    def test_a_resource_policy_deny_applies_to_sessions(self):
        self.client.put_resource_policy(SecretId=self.app_a["ARN"], ResourcePolicy=policy_json(
            deny(GET, "*", principal={"AWS": self.role["Arn"]})))
        session = self.assume("denied", policy_json(allow(GET, "*")))
        self.assertDenied(session.sm().get_secret_value, SecretId=self.app_a["ARN"])
        self.assertReads(session, self.app_b["ARN"], "b-value")


class AccountPrincipalTests(AccessTestCase):
    """Finding 10: a same-account account principal in a secret's resource policy only delegates to IAM policies."""

    def test_the_account_principal_grants_nothing_by_itself(self):
        for principal in ("arn:aws:iam::%s:root" % self.account, self.account):
            with self.subTest(principal=principal):
                secret = self.secret("shared/%s" % principal.replace(":", "_"), "shared")
                self.client.put_resource_policy(SecretId=secret["ARN"], ResourcePolicy=policy_json(
                    allow([GET, "secretsmanager:DescribeSecret"], "*", principal={"AWS": principal})))
                nobody = self.new_principal("nobody-%d" % len(principal))
                self.assertDenied(nobody.sm().get_secret_value, SecretId=secret["ARN"])
                self.assertDenied(nobody.sm().describe_secret, SecretId=secret["ARN"])
                # With an identity policy that allows, the user reads (the account delegated to it).
                reader = self.new_principal("reader-%d" % len(principal), allow(GET, secret["ARN"]))
                self.assertReads(reader, secret["ARN"], "shared")

    def test_a_named_user_in_the_resource_policy_still_grants(self):
        secret = self.secret("named", "n")
        user = self.new_principal("named")
        self.client.put_resource_policy(SecretId=secret["ARN"], ResourcePolicy=policy_json(
            allow(GET, "*", principal={"AWS": ["arn:aws:iam::%s:root" % self.account, user.arn]})))
        self.assertReads(user, secret["ARN"], "n")

    def test_a_wildcard_principal_grants_everyone(self):
        secret = self.secret("open", "o")
        self.client.put_resource_policy(SecretId=secret["ARN"], ResourcePolicy=policy_json(
            allow(GET, "*", principal="*")))
        self.assertReads(self.new_principal("anyone"), secret["ARN"], "o")


class BlockPublicPolicyNarrowingTests(AccessTestCase):
    """Finding 13: `Principal: "*"` is public unless a condition of the same statement narrows it to this account."""

    def wildcard(self, condition):
        return json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": "*", "Action": GET, "Resource": "*", "Condition": condition}]})

    def public_conditions(self):
        other = "210987654321" if self.account != "210987654321" else "109876543210"
        return {
            "PrincipalArn like *": {"StringLike": {"aws:PrincipalArn": "*"}},
            "PrincipalArn with any account": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:user/x"}},
            "SourceIp": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
            "PrincipalAccount IfExists": {"StringEqualsIfExists": {"aws:PrincipalAccount": self.account}},
            "PrincipalAccount not equals": {"StringNotEquals": {"aws:PrincipalAccount": other}},
            "PrincipalAccount another account": {"StringEquals": {"aws:PrincipalAccount": other}},
            "PrincipalAccount wildcard": {"StringLike": {"aws:PrincipalAccount": "*"}},
            "ForAllValues PrincipalAccount": {"ForAllValues:StringEquals": {"aws:PrincipalAccount": self.account}},
            "SecureTransport": {"Bool": {"aws:SecureTransport": "true"}},
            "Null": {"Null": {"aws:PrincipalAccount": "false"}},
        }

    def narrowing_conditions(self):
        return {
            "PrincipalAccount": {"StringEquals": {"aws:PrincipalAccount": self.account}},
            "SourceAccount": {"StringEquals": {"aws:SourceAccount": self.account}},
            "PrincipalArn of this account": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::%s:user/*" % self.account}},
            "PrincipalArn equals": {"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::%s:role/app" % self.account}},
            "narrowing among others": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"},
                                       "StringEquals": {"aws:PrincipalAccount": self.account}},
        }

    def test_conditions_that_narrow_nothing_are_public(self):
        secret = self.secret("guarded", "g")
        for what, condition in self.public_conditions().items():
            with self.subTest(condition=what):
                policy = self.wildcard(condition)
                self.assertAwsError("PublicPolicyException", self.client.put_resource_policy,
                                    SecretId=secret["ARN"], ResourcePolicy=policy, BlockPublicPolicy=True)
                checks = self.client.validate_resource_policy(ResourcePolicy=policy)
                self.assertFalse(checks["PolicyValidationPassed"], what)
                self.assertIn("PUBLIC_POLICY_CHECK", [e["CheckName"] for e in checks["ValidationErrors"]])
        self.assertNotIn("ResourcePolicy", self.client.get_resource_policy(SecretId=secret["ARN"]))

    def test_conditions_that_narrow_to_this_account_are_accepted(self):
        secret = self.secret("guarded", "g")
        for what, condition in self.narrowing_conditions().items():
            with self.subTest(condition=what):
                policy = self.wildcard(condition)
                self.client.put_resource_policy(SecretId=secret["ARN"], ResourcePolicy=policy, BlockPublicPolicy=True)
                self.assertEqual(json.loads(self.client.get_resource_policy(SecretId=secret["ARN"])["ResourcePolicy"]),
                                 json.loads(policy))
                self.assertTrue(self.client.validate_resource_policy(ResourcePolicy=policy)["PolicyValidationPassed"], what)

    def test_an_accepted_narrowing_policy_grants_only_what_it_says(self):
        secret = self.secret("narrowed", "n")
        user = self.new_principal("inside")
        self.client.put_resource_policy(SecretId=secret["ARN"], BlockPublicPolicy=True, ResourcePolicy=self.wildcard(
            {"ArnEquals": {"aws:PrincipalArn": user.arn}}))
        self.assertReads(user, secret["ARN"], "n")
        self.assertDenied(self.new_principal("outside").sm().get_secret_value, SecretId=secret["ARN"])


class CallerIdentityTests(AccessTestCase):
    """Issue #15 item 2: GetCallerIdentity's UserId is the principal's unique id."""

    def test_a_users_id_is_its_own_and_never_reused(self):
        user = self.new_principal("who")
        created = user.user
        self.assertRegex(created["UserId"], r"^AIDA[A-Z2-7]{16,}$")
        me = user.sts().get_caller_identity()
        self.assertEqual(me["UserId"], created["UserId"])
        self.assertEqual(self.iam.get_user(UserName=user.name)["User"]["UserId"], created["UserId"])
        # Deleted and re-created with the same name: a new id, and the new user's key reports it.
        cleanup_user(user.name)
        again = self.new_principal("who")
        self.assertEqual(again.name, user.name)
        self.assertNotEqual(again.user["UserId"], created["UserId"])
        self.assertEqual(again.sts().get_caller_identity()["UserId"], again.user["UserId"])

    def test_an_assumed_role_is_its_role_id_and_session_name(self):
        caller = self.new_principal("caller", allow("sts:AssumeRole", "*"))
        role = self.create_role(trust=trust_policy(caller.arn))
        resp = caller.sts().assume_role(RoleArn=role["Arn"], RoleSessionName="who-am-i")
        me = AwsCredentials.from_sts(resp).sts().get_caller_identity()
        self.assertEqual(me["UserId"], "%s:who-am-i" % role["RoleId"])
        self.assertEqual(resp["AssumedRoleUser"]["AssumedRoleId"], me["UserId"])

    def test_the_admin_is_reported_as_any_other_user(self):
        me = self.sts.get_caller_identity()
        self.assertRegex(me["UserId"], r"^AIDA[A-Z2-7]{16,}$")
        self.assertNotEqual(me["UserId"], me["Account"])
        self.assertEqual(me["UserId"], self.iam.get_user(UserName="admin")["User"]["UserId"])


if __name__ == "__main__":
    unittest.main()
