"""IAM and STS over the AWS Query protocol (form-encoded `Action=...` POSTs, XML answers), through boto3.

Users, access keys, groups, roles, inline and managed policies (with versions and attachments),
tags, GetCallerIdentity and AssumeRole. Every name is `t-<uuid8>-...`, lists are filtered by the
test's own path `/t-<uuid8>/`, and every entity is removed afterwards. Whether the policies are
*enforced* is test_access.py's business; the trust policy of AssumeRole is checked here because it
is part of the STS operation itself.
"""

import datetime
import json
import random
import re
import unittest
import urllib.error
import urllib.parse
import urllib.request
import uuid
import xml.etree.ElementTree as ET

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from helpers import (
    ACCESS_KEY,
    ACCOUNT_RE,
    DEV_SERVER,
    IAM_REGION,
    INVALID_TOKEN_QUERY,
    ISSUED_ACCESS_KEY_RE,
    SECRET_KEY,
    SESSION_ACCESS_KEY_RE,
    AwsCredentials,
    IAMTestCase,
    allow,
    clients_for,
    endpoint,
    policy_document,
    iam,
    policy_json,
    trust_policy,
    utcnow,
)

S3_READ = policy_document(allow("s3:GetObject", "arn:aws:s3:::bucket/*"))
SM_READ = policy_document(allow("secretsmanager:GetSecretValue", "*"))

# Documents IAM refuses with MalformedPolicyDocument (identity policies).
MALFORMED_POLICIES = {
    "not JSON": "{",
    "no Statement": json.dumps({"Version": "2012-10-17"}),
    "bad Effect": json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Maybe", "Action": "s3:GetObject", "Resource": "*"}]}),
    "no Action": json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": "*"}]}),
    "no Resource": json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject"}]}),
    "Principal in an identity policy": json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:GetObject", "Resource": "*"}]}),
}


def user_arn(account, name, path="/"):
    return "arn:aws:iam::%s:user%s%s" % (account, path, name)


class UserTests(IAMTestCase):
    def test_create_get_and_delete_user(self):
        name = self.iam_name("alice")
        created = self.create_user("alice", Path=self.iam_path, Tags=[{"Key": "team", "Value": "blue"}])
        self.assertEqual(created["UserName"], name)
        self.assertEqual(created["Path"], self.iam_path)
        self.assertEqual(created["Arn"], user_arn(self.account, name, self.iam_path))
        self.assertTrue(created["UserId"])
        self.assertRecent(created["CreateDate"], what="CreateDate")

        got = self.iam.get_user(UserName=name)["User"]
        for key in ("UserName", "Path", "Arn", "UserId", "CreateDate"):
            self.assertEqual(got[key], created[key], key)
        self.assertEqual(got.get("Tags"), [{"Key": "team", "Value": "blue"}])

        self.iam.delete_user(UserName=name)
        self.assertIamError("NoSuchEntity", self.iam.get_user, UserName=name, status=404,
                            message="The user with name %s cannot be found." % name)

    def test_create_existing_user_is_entity_already_exists(self):
        user = self.create_user()
        self.assertIamError("EntityAlreadyExists", self.iam.create_user, UserName=user["UserName"],
                            status=409, message_contains=user["UserName"])

    def test_missing_user_is_no_such_entity(self):
        name = self.iam_name("ghost")
        calls = {
            "GetUser": lambda: self.iam.get_user(UserName=name),
            "DeleteUser": lambda: self.iam.delete_user(UserName=name),
            "UpdateUser": lambda: self.iam.update_user(UserName=name, NewPath="/x/"),
            "CreateAccessKey": lambda: self.iam.create_access_key(UserName=name),
            "ListAccessKeys": lambda: self.iam.list_access_keys(UserName=name),
            "PutUserPolicy": lambda: self.iam.put_user_policy(UserName=name, PolicyName="p",
                                                              PolicyDocument=json.dumps(S3_READ)),
            "ListUserPolicies": lambda: self.iam.list_user_policies(UserName=name),
            "ListAttachedUserPolicies": lambda: self.iam.list_attached_user_policies(UserName=name),
            "ListGroupsForUser": lambda: self.iam.list_groups_for_user(UserName=name),
            "TagUser": lambda: self.iam.tag_user(UserName=name, Tags=[{"Key": "a", "Value": "b"}]),
            "ListUserTags": lambda: self.iam.list_user_tags(UserName=name),
        }
        for op, call in calls.items():
            with self.subTest(op=op):
                self.assertIamError("NoSuchEntity", call, status=404)

    def test_invalid_user_name_is_validation_error(self):
        loose = iam(validate=False)  # botocore would refuse the 65-character name itself
        for bad in ("has space", "slash/name", "x" * 65):
            with self.subTest(name=bad):
                self.track_user(bad)
                self.assertIamError("ValidationError", loose.create_user, UserName=bad, status=400)

    def test_list_users_by_path_prefix_and_pagination(self):
        names = sorted(self.create_user("u%d" % i, Path=self.iam_path)["UserName"] for i in range(3))
        self.create_user("elsewhere")  # path "/": not listed under the prefix
        listed = self.iam.list_users(PathPrefix=self.iam_path)
        self.assertFalse(listed.get("IsTruncated"))
        self.assertEqual(sorted(u["UserName"] for u in listed["Users"]), names)
        for u in listed["Users"]:
            self.assertEqual(u["Arn"], user_arn(self.account, u["UserName"], self.iam_path))

        seen = []
        page = self.iam.list_users(PathPrefix=self.iam_path, MaxItems=2)
        self.assertTrue(page["IsTruncated"])
        self.assertTrue(page.get("Marker"))
        self.assertEqual(len(page["Users"]), 2)
        seen += [u["UserName"] for u in page["Users"]]
        page = self.iam.list_users(PathPrefix=self.iam_path, MaxItems=2, Marker=page["Marker"])
        self.assertFalse(page.get("IsTruncated"))
        seen += [u["UserName"] for u in page["Users"]]
        self.assertEqual(sorted(seen), names)

    def test_update_user_renames_and_moves(self):
        old = self.create_user("before")["UserName"]
        new = self.iam_name("after")
        self.track_user(new)
        key = self.iam.create_access_key(UserName=old)["AccessKey"]
        self.iam.put_user_policy(UserName=old, PolicyName="p", PolicyDocument=json.dumps(S3_READ))

        self.iam.update_user(UserName=old, NewUserName=new, NewPath=self.iam_path)
        self.assertIamError("NoSuchEntity", self.iam.get_user, UserName=old)
        got = self.iam.get_user(UserName=new)["User"]
        self.assertEqual(got["Path"], self.iam_path)
        self.assertEqual(got["Arn"], user_arn(self.account, new, self.iam_path))
        # The key and the policy went with the user, and the key now speaks for the new name.
        keys = self.iam.list_access_keys(UserName=new)["AccessKeyMetadata"]
        self.assertEqual([k["AccessKeyId"] for k in keys], [key["AccessKeyId"]])
        self.assertEqual(self.iam.get_user_policy(UserName=new, PolicyName="p")["PolicyDocument"], S3_READ)
        me = AwsCredentials.from_access_key(key).sts().get_caller_identity()
        self.assertEqual(me["Arn"], got["Arn"])

        other = self.create_user("other")["UserName"]
        self.assertIamError("EntityAlreadyExists", self.iam.update_user, UserName=new, NewUserName=other, status=409)

    def test_user_tags(self):
        name = self.create_user(Tags=[{"Key": "a", "Value": "1"}])["UserName"]
        self.iam.tag_user(UserName=name, Tags=[{"Key": "b", "Value": "2"}, {"Key": "a", "Value": "one"}])
        tags = self.iam.list_user_tags(UserName=name)
        self.assertFalse(tags.get("IsTruncated"))
        self.assertEqual({t["Key"]: t["Value"] for t in tags["Tags"]}, {"a": "one", "b": "2"})
        self.iam.untag_user(UserName=name, TagKeys=["a", "not-there"])
        self.assertEqual(self.iam.list_user_tags(UserName=name)["Tags"], [{"Key": "b", "Value": "2"}])
        self.assertEqual(self.iam.get_user(UserName=name)["User"].get("Tags"), [{"Key": "b", "Value": "2"}])

    def test_ids_have_aws_prefixes(self):
        user = self.create_user()
        group = self.create_group()
        role = self.create_role()
        policy = self.create_policy(document=S3_READ)
        key = self.iam.create_access_key(UserName=user["UserName"])["AccessKey"]
        for what, value, prefix in (("UserId", user["UserId"], "AIDA"), ("GroupId", group["GroupId"], "AGPA"),
                                    ("RoleId", role["RoleId"], "AROA"), ("PolicyId", policy["PolicyId"], "ANPA")):
            with self.subTest(what=what):
                self.assertRegex(value, r"^%s[A-Z0-9]{12,}$" % prefix)
        self.assertRegex(key["AccessKeyId"], ISSUED_ACCESS_KEY_RE)
        self.assertEqual(len(key["SecretAccessKey"]), 40)
        ids = [user["UserId"], group["GroupId"], role["RoleId"], policy["PolicyId"]]
        self.assertEqual(len(set(ids)), 4)


class DeleteConflictTests(IAMTestCase):
    def test_user_with_keys_policies_or_groups_cannot_be_deleted(self):
        policy = self.create_policy(document=S3_READ)
        group = self.create_group()
        setups = {
            "access key": (lambda n: self.iam.create_access_key(UserName=n)["AccessKey"]["AccessKeyId"],
                           lambda n, k: self.iam.delete_access_key(UserName=n, AccessKeyId=k)),
            "inline policy": (lambda n: self.iam.put_user_policy(UserName=n, PolicyName="p",
                                                                 PolicyDocument=json.dumps(S3_READ)),
                              lambda n, _: self.iam.delete_user_policy(UserName=n, PolicyName="p")),
            "attached policy": (lambda n: self.iam.attach_user_policy(UserName=n, PolicyArn=policy["Arn"]),
                                lambda n, _: self.iam.detach_user_policy(UserName=n, PolicyArn=policy["Arn"])),
            "group membership": (lambda n: self.iam.add_user_to_group(GroupName=group["GroupName"], UserName=n),
                                 lambda n, _: self.iam.remove_user_from_group(GroupName=group["GroupName"],
                                                                              UserName=n)),
        }
        for i, (what, (add, remove)) in enumerate(setups.items()):
            with self.subTest(what=what):
                name = self.create_user("u%d" % i)["UserName"]
                token = add(name)
                self.assertIamError("DeleteConflict", self.iam.delete_user, UserName=name, status=409)
                self.iam.get_user(UserName=name)
                remove(name, token)
                self.iam.delete_user(UserName=name)
                self.assertIamError("NoSuchEntity", self.iam.get_user, UserName=name)

    def test_group_with_members_or_policies_cannot_be_deleted(self):
        user = self.create_user()
        policy = self.create_policy(document=S3_READ)
        with self.subTest(what="member"):
            g = self.create_group("g-member")["GroupName"]
            self.iam.add_user_to_group(GroupName=g, UserName=user["UserName"])
            self.assertIamError("DeleteConflict", self.iam.delete_group, GroupName=g, status=409)
            self.iam.remove_user_from_group(GroupName=g, UserName=user["UserName"])
            self.iam.delete_group(GroupName=g)
        with self.subTest(what="inline policy"):
            g = self.create_group("g-inline")["GroupName"]
            self.iam.put_group_policy(GroupName=g, PolicyName="p", PolicyDocument=json.dumps(S3_READ))
            self.assertIamError("DeleteConflict", self.iam.delete_group, GroupName=g, status=409)
            self.iam.delete_group_policy(GroupName=g, PolicyName="p")
            self.iam.delete_group(GroupName=g)
        with self.subTest(what="attached policy"):
            g = self.create_group("g-attached")["GroupName"]
            self.iam.attach_group_policy(GroupName=g, PolicyArn=policy["Arn"])
            self.assertIamError("DeleteConflict", self.iam.delete_group, GroupName=g, status=409)
            self.iam.detach_group_policy(GroupName=g, PolicyArn=policy["Arn"])
            self.iam.delete_group(GroupName=g)
            self.assertIamError("NoSuchEntity", self.iam.get_group, GroupName=g)

    def test_role_with_policies_cannot_be_deleted(self):
        policy = self.create_policy(document=S3_READ)
        with self.subTest(what="inline policy"):
            r = self.create_role("r-inline")["RoleName"]
            self.iam.put_role_policy(RoleName=r, PolicyName="p", PolicyDocument=json.dumps(S3_READ))
            self.assertIamError("DeleteConflict", self.iam.delete_role, RoleName=r, status=409)
            self.iam.delete_role_policy(RoleName=r, PolicyName="p")
            self.iam.delete_role(RoleName=r)
        with self.subTest(what="attached policy"):
            r = self.create_role("r-attached")["RoleName"]
            self.iam.attach_role_policy(RoleName=r, PolicyArn=policy["Arn"])
            self.assertIamError("DeleteConflict", self.iam.delete_role, RoleName=r, status=409)
            self.iam.detach_role_policy(RoleName=r, PolicyArn=policy["Arn"])
            self.iam.delete_role(RoleName=r)
            self.assertIamError("NoSuchEntity", self.iam.get_role, RoleName=r)

    def test_attached_managed_policy_cannot_be_deleted(self):
        policy = self.create_policy(document=S3_READ)
        user = self.create_user()
        self.iam.attach_user_policy(UserName=user["UserName"], PolicyArn=policy["Arn"])
        self.assertIamError("DeleteConflict", self.iam.delete_policy, PolicyArn=policy["Arn"], status=409)
        self.assertEqual(self.iam.get_policy(PolicyArn=policy["Arn"])["Policy"]["AttachmentCount"], 1)
        self.iam.detach_user_policy(UserName=user["UserName"], PolicyArn=policy["Arn"])
        self.iam.delete_policy(PolicyArn=policy["Arn"])
        self.assertIamError("NoSuchEntity", self.iam.get_policy, PolicyArn=policy["Arn"], status=404)


class AccessKeyTests(IAMTestCase):
    def test_create_list_update_and_delete(self):
        name = self.create_user()["UserName"]
        key = self.iam.create_access_key(UserName=name)["AccessKey"]
        self.assertEqual(key["UserName"], name)
        self.assertRegex(key["AccessKeyId"], ISSUED_ACCESS_KEY_RE)
        self.assertTrue(key["SecretAccessKey"])
        self.assertEqual(key["Status"], "Active")
        self.assertRecent(key["CreateDate"], what="CreateDate")

        listed = self.iam.list_access_keys(UserName=name)
        self.assertFalse(listed.get("IsTruncated"))
        self.assertEqual(len(listed["AccessKeyMetadata"]), 1)
        meta = listed["AccessKeyMetadata"][0]
        self.assertEqual((meta["UserName"], meta["AccessKeyId"], meta["Status"]),
                         (name, key["AccessKeyId"], "Active"))
        self.assertNotIn("SecretAccessKey", meta, "the secret is shown only by CreateAccessKey")

        self.iam.update_access_key(UserName=name, AccessKeyId=key["AccessKeyId"], Status="Inactive")
        self.assertEqual(self.iam.list_access_keys(UserName=name)["AccessKeyMetadata"][0]["Status"], "Inactive")
        self.iam.update_access_key(UserName=name, AccessKeyId=key["AccessKeyId"], Status="Active")
        self.assertEqual(self.iam.list_access_keys(UserName=name)["AccessKeyMetadata"][0]["Status"], "Active")

        self.iam.delete_access_key(UserName=name, AccessKeyId=key["AccessKeyId"])
        self.assertEqual(self.iam.list_access_keys(UserName=name)["AccessKeyMetadata"], [])
        self.assertIamError("NoSuchEntity", self.iam.delete_access_key, UserName=name,
                            AccessKeyId=key["AccessKeyId"], status=404)
        self.assertIamError("NoSuchEntity", self.iam.update_access_key, UserName=name,
                            AccessKeyId=key["AccessKeyId"], Status="Active", status=404)

    def test_two_keys_per_user(self):
        name = self.create_user()["UserName"]
        first = self.iam.create_access_key(UserName=name)["AccessKey"]
        second = self.iam.create_access_key(UserName=name)["AccessKey"]
        self.assertNotEqual(first["AccessKeyId"], second["AccessKeyId"])
        self.assertNotEqual(first["SecretAccessKey"], second["SecretAccessKey"])
        self.assertIamError("LimitExceeded", self.iam.create_access_key, UserName=name, status=409)
        self.assertEqual(len(self.iam.list_access_keys(UserName=name)["AccessKeyMetadata"]), 2)
        self.iam.delete_access_key(UserName=name, AccessKeyId=first["AccessKeyId"])
        third = self.iam.create_access_key(UserName=name)["AccessKey"]
        ids = {k["AccessKeyId"] for k in self.iam.list_access_keys(UserName=name)["AccessKeyMetadata"]}
        self.assertEqual(ids, {second["AccessKeyId"], third["AccessKeyId"]})

    def test_bad_status_is_validation_error(self):
        name = self.create_user()["UserName"]
        key = self.iam.create_access_key(UserName=name)["AccessKey"]
        self.assertIamError("ValidationError", self.iam.update_access_key, UserName=name,
                            AccessKeyId=key["AccessKeyId"], Status="Paused", status=400)

    def test_key_of_another_user_is_no_such_entity(self):
        a = self.create_user("a")["UserName"]
        b = self.create_user("b")["UserName"]
        key = self.iam.create_access_key(UserName=a)["AccessKey"]
        self.assertIamError("NoSuchEntity", self.iam.update_access_key, UserName=b,
                            AccessKeyId=key["AccessKeyId"], Status="Inactive")
        self.assertIamError("NoSuchEntity", self.iam.delete_access_key, UserName=b, AccessKeyId=key["AccessKeyId"])
        self.assertEqual(self.iam.list_access_keys(UserName=a)["AccessKeyMetadata"][0]["Status"], "Active")


class GroupTests(IAMTestCase):
    def test_create_get_list_membership_and_delete(self):
        group = self.create_group(Path=self.iam_path)
        gname = group["GroupName"]
        self.assertEqual(group["Arn"], "arn:aws:iam::%s:group%s%s" % (self.account, self.iam_path, gname))
        self.assertEqual(group["Path"], self.iam_path)
        self.assertTrue(group["GroupId"])
        self.assertRecent(group["CreateDate"], what="CreateDate")
        alice = self.create_user("alice")
        bob = self.create_user("bob")

        got = self.iam.get_group(GroupName=gname)
        self.assertEqual(got["Group"]["Arn"], group["Arn"])
        self.assertEqual(got["Users"], [])
        self.iam.add_user_to_group(GroupName=gname, UserName=alice["UserName"])
        self.iam.add_user_to_group(GroupName=gname, UserName=bob["UserName"])
        self.iam.add_user_to_group(GroupName=gname, UserName=bob["UserName"])  # a member already: no error
        members = self.iam.get_group(GroupName=gname)["Users"]
        self.assertEqual(sorted(u["UserName"] for u in members), sorted([alice["UserName"], bob["UserName"]]))
        self.assertEqual({u["Arn"] for u in members}, {alice["Arn"], bob["Arn"]})

        other = self.create_group("other", Path=self.iam_path)
        self.iam.add_user_to_group(GroupName=other["GroupName"], UserName=alice["UserName"])
        groups = self.iam.list_groups_for_user(UserName=alice["UserName"])["Groups"]
        self.assertEqual(sorted(g["GroupName"] for g in groups), sorted([gname, other["GroupName"]]))
        self.assertEqual([g["GroupName"] for g in self.iam.list_groups_for_user(UserName=bob["UserName"])["Groups"]],
                         [gname])
        listed = self.iam.list_groups(PathPrefix=self.iam_path)["Groups"]
        self.assertEqual(sorted(g["GroupName"] for g in listed), sorted([gname, other["GroupName"]]))

        self.iam.remove_user_from_group(GroupName=gname, UserName=bob["UserName"])
        self.assertEqual([u["UserName"] for u in self.iam.get_group(GroupName=gname)["Users"]], [alice["UserName"]])
        self.assertEqual(self.iam.list_groups_for_user(UserName=bob["UserName"])["Groups"], [])
        self.iam.remove_user_from_group(GroupName=gname, UserName=alice["UserName"])
        self.iam.delete_group(GroupName=gname)
        self.assertIamError("NoSuchEntity", self.iam.get_group, GroupName=gname, status=404)
        self.assertEqual([g["GroupName"] for g in self.iam.list_groups(PathPrefix=self.iam_path)["Groups"]],
                         [other["GroupName"]])

    def test_errors(self):
        group = self.create_group()["GroupName"]
        user = self.create_user()["UserName"]
        self.assertIamError("EntityAlreadyExists", self.iam.create_group, GroupName=group, status=409)
        self.assertIamError("NoSuchEntity", self.iam.add_user_to_group, GroupName=group,
                            UserName=self.iam_name("ghost"), status=404)
        self.assertIamError("NoSuchEntity", self.iam.add_user_to_group, GroupName=self.iam_name("nogroup"),
                            UserName=user, status=404)
        self.assertIamError("NoSuchEntity", self.iam.delete_group, GroupName=self.iam_name("nogroup"), status=404)
        self.assertIamError("NoSuchEntity", self.iam.remove_user_from_group, GroupName=self.iam_name("nogroup"),
                            UserName=user, status=404)


class RoleTests(IAMTestCase):
    def test_create_get_list_and_delete_role(self):
        trust = json.loads(trust_policy("arn:aws:iam::%s:root" % self.account))
        role = self.create_role(trust=json.dumps(trust), Path=self.iam_path, Description="for the tests",
                                Tags=[{"Key": "env", "Value": "e2e"}])
        name = role["RoleName"]
        self.assertEqual(role["Arn"], "arn:aws:iam::%s:role%s%s" % (self.account, self.iam_path, name))
        self.assertTrue(role["RoleId"])
        self.assertRecent(role["CreateDate"], what="CreateDate")
        self.assertEqual(role["AssumeRolePolicyDocument"], trust)

        got = self.iam.get_role(RoleName=name)["Role"]
        self.assertEqual((got["Arn"], got["RoleId"], got["Path"]), (role["Arn"], role["RoleId"], self.iam_path))
        self.assertEqual(got["AssumeRolePolicyDocument"], trust)
        self.assertEqual(got.get("Description"), "for the tests")
        self.assertEqual(got.get("MaxSessionDuration"), 3600)
        self.assertEqual(got.get("Tags"), [{"Key": "env", "Value": "e2e"}])

        other = self.create_role("other", Path=self.iam_path)
        listed = self.iam.list_roles(PathPrefix=self.iam_path)
        self.assertEqual(sorted(r["RoleName"] for r in listed["Roles"]), sorted([name, other["RoleName"]]))
        self.assertFalse(listed.get("IsTruncated"))

        self.iam.delete_role(RoleName=name)
        self.assertIamError("NoSuchEntity", self.iam.get_role, RoleName=name, status=404)
        self.assertIamError("NoSuchEntity", self.iam.delete_role, RoleName=name, status=404)

    def test_errors(self):
        role = self.create_role()["RoleName"]
        self.assertIamError("EntityAlreadyExists", self.iam.create_role, RoleName=role,
                            AssumeRolePolicyDocument=trust_policy("arn:aws:iam::%s:root" % self.account), status=409)
        for i, (what, doc) in enumerate((("not JSON", "{"), ("no Statement", json.dumps({"Version": "2012-10-17"})))):
            with self.subTest(what=what):
                name = self.iam_name("bad%d" % i)
                self._roles.append(name)
                self.assertIamError("MalformedPolicyDocument", self.iam.create_role, RoleName=name,
                                    AssumeRolePolicyDocument=doc, status=400)
                self.assertIamError("NoSuchEntity", self.iam.get_role, RoleName=name)

    def test_update_assume_role_policy(self):
        role = self.create_role()["RoleName"]
        user = self.create_user()
        new_trust = json.loads(trust_policy(user["Arn"]))
        self.iam.update_assume_role_policy(RoleName=role, PolicyDocument=json.dumps(new_trust))
        self.assertEqual(self.iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"], new_trust)
        self.assertIamError("MalformedPolicyDocument", self.iam.update_assume_role_policy, RoleName=role,
                            PolicyDocument="{", status=400)
        self.assertEqual(self.iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"], new_trust)
        self.assertIamError("NoSuchEntity", self.iam.update_assume_role_policy, RoleName=self.iam_name("ghost"),
                            PolicyDocument=json.dumps(new_trust), status=404)

    def test_role_tags(self):
        role = self.create_role(Tags=[{"Key": "a", "Value": "1"}])["RoleName"]
        self.iam.tag_role(RoleName=role, Tags=[{"Key": "b", "Value": "2"}])
        tags = self.iam.list_role_tags(RoleName=role)
        self.assertFalse(tags.get("IsTruncated"))
        self.assertEqual({t["Key"]: t["Value"] for t in tags["Tags"]}, {"a": "1", "b": "2"})
        self.iam.untag_role(RoleName=role, TagKeys=["a"])
        self.assertEqual(self.iam.list_role_tags(RoleName=role)["Tags"], [{"Key": "b", "Value": "2"}])
        ghost = self.iam_name("ghost")
        self.assertIamError("NoSuchEntity", self.iam.tag_role, RoleName=ghost, Tags=[{"Key": "a", "Value": "b"}])
        self.assertIamError("NoSuchEntity", self.iam.untag_role, RoleName=ghost, TagKeys=["a"])
        self.assertIamError("NoSuchEntity", self.iam.list_role_tags, RoleName=ghost)


class InlinePolicyTests(IAMTestCase):
    """Put/Get/List/Delete UserPolicy, GroupPolicy and RolePolicy: the same contract three times."""

    def kinds(self):
        user = self.create_user()["UserName"]
        group = self.create_group()["GroupName"]
        role = self.create_role()["RoleName"]
        i = self.iam
        return {
            "user": dict(put=i.put_user_policy, get=i.get_user_policy, list=i.list_user_policies,
                         delete=i.delete_user_policy, key="UserName", name=user),
            "group": dict(put=i.put_group_policy, get=i.get_group_policy, list=i.list_group_policies,
                          delete=i.delete_group_policy, key="GroupName", name=group),
            "role": dict(put=i.put_role_policy, get=i.get_role_policy, list=i.list_role_policies,
                         delete=i.delete_role_policy, key="RoleName", name=role),
        }

    def test_put_get_list_replace_and_delete(self):
        for kind, k in self.kinds().items():
            with self.subTest(kind=kind):
                who = {k["key"]: k["name"]}
                self.assertEqual(k["list"](**who)["PolicyNames"], [])
                k["put"](PolicyName="read-s3", PolicyDocument=json.dumps(S3_READ), **who)
                k["put"](PolicyName="read-sm", PolicyDocument=json.dumps(SM_READ), **who)
                got = k["get"](PolicyName="read-s3", **who)
                self.assertEqual(got[k["key"]], k["name"])
                self.assertEqual(got["PolicyName"], "read-s3")
                self.assertEqual(got["PolicyDocument"], S3_READ)
                listed = k["list"](**who)
                self.assertEqual(sorted(listed["PolicyNames"]), ["read-s3", "read-sm"])
                self.assertFalse(listed.get("IsTruncated"))
                # Put with the same name replaces the document.
                k["put"](PolicyName="read-s3", PolicyDocument=json.dumps(SM_READ), **who)
                self.assertEqual(k["get"](PolicyName="read-s3", **who)["PolicyDocument"], SM_READ)
                k["delete"](PolicyName="read-s3", **who)
                self.assertEqual(k["list"](**who)["PolicyNames"], ["read-sm"])
                self.assertIamError("NoSuchEntity", k["get"], PolicyName="read-s3", status=404, **who)
                self.assertIamError("NoSuchEntity", k["delete"], PolicyName="read-s3", status=404, **who)

    def test_missing_owner_is_no_such_entity(self):
        for kind, k in self.kinds().items():
            with self.subTest(kind=kind):
                who = {k["key"]: self.iam_name("ghost")}
                self.assertIamError("NoSuchEntity", k["put"], PolicyName="p", PolicyDocument=json.dumps(S3_READ),
                                    status=404, **who)
                self.assertIamError("NoSuchEntity", k["list"], status=404, **who)

    def test_malformed_documents_are_refused(self):
        kinds = self.kinds()
        for what, doc in MALFORMED_POLICIES.items():
            for kind, k in kinds.items():
                with self.subTest(what=what, kind=kind):
                    who = {k["key"]: k["name"]}
                    self.assertIamError("MalformedPolicyDocument", k["put"], PolicyName="bad", PolicyDocument=doc,
                                        status=400, **who)
                    self.assertNotIn("bad", k["list"](**who)["PolicyNames"])


class ManagedPolicyTests(IAMTestCase):
    def test_create_get_list_and_delete(self):
        policy = self.create_policy(document=S3_READ, Path=self.iam_path, Description="read one bucket")
        name = policy["PolicyName"]
        self.assertEqual(name, self.iam_name("policy"))
        self.assertEqual(policy["Arn"], "arn:aws:iam::%s:policy%s%s" % (self.account, self.iam_path, name))
        self.assertEqual(policy["Path"], self.iam_path)
        self.assertEqual(policy["DefaultVersionId"], "v1")
        self.assertEqual(policy["AttachmentCount"], 0)
        self.assertTrue(policy["IsAttachable"])
        self.assertTrue(policy["PolicyId"])
        self.assertRecent(policy["CreateDate"], what="CreateDate")

        got = self.iam.get_policy(PolicyArn=policy["Arn"])["Policy"]
        for key in ("PolicyName", "Arn", "PolicyId", "Path", "DefaultVersionId", "AttachmentCount"):
            self.assertEqual(got[key], policy[key], key)
        self.assertEqual(got.get("Description"), "read one bucket")
        v1 = self.iam.get_policy_version(PolicyArn=policy["Arn"], VersionId="v1")["PolicyVersion"]
        self.assertEqual(v1["VersionId"], "v1")
        self.assertTrue(v1["IsDefaultVersion"])
        self.assertEqual(v1["Document"], S3_READ)

        other = self.create_policy("other", document=SM_READ, Path=self.iam_path)
        listed = self.iam.list_policies(Scope="Local", PathPrefix=self.iam_path)
        self.assertEqual(sorted(p["PolicyName"] for p in listed["Policies"]), sorted([name, other["PolicyName"]]))
        self.assertFalse(listed.get("IsTruncated"))

        self.iam.delete_policy(PolicyArn=policy["Arn"])
        self.assertIamError("NoSuchEntity", self.iam.get_policy, PolicyArn=policy["Arn"], status=404)
        self.assertIamError("NoSuchEntity", self.iam.get_policy_version, PolicyArn=policy["Arn"], VersionId="v1")
        self.assertEqual([p["PolicyName"] for p in self.iam.list_policies(Scope="Local",
                                                                          PathPrefix=self.iam_path)["Policies"]],
                         [other["PolicyName"]])

    def test_errors(self):
        policy = self.create_policy(document=S3_READ)
        self.assertIamError("EntityAlreadyExists", self.iam.create_policy, PolicyName=policy["PolicyName"],
                            PolicyDocument=json.dumps(S3_READ), status=409)
        for what, doc in MALFORMED_POLICIES.items():
            with self.subTest(what=what):
                name = self.iam_name("bad")
                self.assertIamError("MalformedPolicyDocument", self.iam.create_policy,
                                    PolicyName=name, PolicyDocument=doc, status=400)
                self._policies.append("arn:aws:iam::%s:policy/%s" % (self.account, name))
        missing = "arn:aws:iam::%s:policy/%s" % (self.account, self.iam_name("ghost"))
        self.assertIamError("NoSuchEntity", self.iam.get_policy, PolicyArn=missing, status=404)
        self.assertIamError("NoSuchEntity", self.iam.delete_policy, PolicyArn=missing, status=404)
        user = self.create_user()["UserName"]
        self.assertIamError("NoSuchEntity", self.iam.attach_user_policy, UserName=user, PolicyArn=missing, status=404)
        self.assertEqual(self.iam.list_attached_user_policies(UserName=user)["AttachedPolicies"], [])

    def test_versions(self):
        policy = self.create_policy(document=S3_READ)
        arn = policy["Arn"]
        v2 = self.iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(SM_READ),
                                            SetAsDefault=False)["PolicyVersion"]
        self.assertEqual(v2["VersionId"], "v2")
        self.assertFalse(v2["IsDefaultVersion"])
        self.assertEqual(self.iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"], "v1")

        v3 = self.iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(SM_READ),
                                            SetAsDefault=True)["PolicyVersion"]
        self.assertEqual(v3["VersionId"], "v3")
        self.assertTrue(v3["IsDefaultVersion"])
        self.assertEqual(self.iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"], "v3")
        got = self.iam.get_policy_version(PolicyArn=arn, VersionId="v3")["PolicyVersion"]
        self.assertEqual(got["Document"], SM_READ)
        self.assertTrue(got["IsDefaultVersion"])
        old = self.iam.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]
        self.assertEqual(old["Document"], S3_READ)
        self.assertFalse(old["IsDefaultVersion"])
        self.assertIamError("NoSuchEntity", self.iam.get_policy_version, PolicyArn=arn, VersionId="v9", status=404)
        self.assertIamError("MalformedPolicyDocument", self.iam.create_policy_version, PolicyArn=arn,
                            PolicyDocument="{", SetAsDefault=True, status=400)

        # At most 5 versions.
        self.iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(S3_READ))
        self.iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(S3_READ))
        self.assertIamError("LimitExceeded", self.iam.create_policy_version, PolicyArn=arn,
                            PolicyDocument=json.dumps(S3_READ), status=409)
        self.assertEqual(self.iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"], "v3")

    def test_attach_list_and_detach(self):
        policy = self.create_policy(document=S3_READ)
        arn = policy["Arn"]
        user = self.create_user()["UserName"]
        group = self.create_group()["GroupName"]
        role = self.create_role()["RoleName"]
        expected = [{"PolicyName": policy["PolicyName"], "PolicyArn": arn}]

        self.iam.attach_user_policy(UserName=user, PolicyArn=arn)
        self.iam.attach_group_policy(GroupName=group, PolicyArn=arn)
        self.iam.attach_role_policy(RoleName=role, PolicyArn=arn)
        self.iam.attach_user_policy(UserName=user, PolicyArn=arn)  # attached already: no error, no duplicate
        lists = {
            "user": lambda: self.iam.list_attached_user_policies(UserName=user),
            "group": lambda: self.iam.list_attached_group_policies(GroupName=group),
            "role": lambda: self.iam.list_attached_role_policies(RoleName=role),
        }
        for kind, call in lists.items():
            with self.subTest(kind=kind):
                listed = call()
                self.assertEqual(listed["AttachedPolicies"], expected)
                self.assertFalse(listed.get("IsTruncated"))
        self.assertEqual(self.iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"], 3)
        # Attached policies are not inline ones.
        self.assertEqual(self.iam.list_user_policies(UserName=user)["PolicyNames"], [])

        self.iam.detach_user_policy(UserName=user, PolicyArn=arn)
        self.iam.detach_group_policy(GroupName=group, PolicyArn=arn)
        self.iam.detach_role_policy(RoleName=role, PolicyArn=arn)
        for kind, call in lists.items():
            with self.subTest(kind=kind, detached=True):
                self.assertEqual(call()["AttachedPolicies"], [])
        self.assertEqual(self.iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"], 0)
        self.assertIamError("NoSuchEntity", self.iam.detach_user_policy, UserName=user, PolicyArn=arn, status=404)
        self.assertIamError("NoSuchEntity", self.iam.detach_group_policy, GroupName=group, PolicyArn=arn)
        self.assertIamError("NoSuchEntity", self.iam.detach_role_policy, RoleName=role, PolicyArn=arn)


class CallerIdentityTests(IAMTestCase):
    def test_as_admin(self):
        me = self.sts.get_caller_identity()
        self.assertRegex(me["Account"], ACCOUNT_RE)
        self.assertRegex(me["Arn"], r"^arn:aws:iam::%s:(root|user/[\w+=,.@/-]+)$" % me["Account"])
        self.assertTrue(me["UserId"])
        # Secrets live in the same account.
        secret = self.create(SecretString="v")
        self.assertEqual(self.assertArn(secret["ARN"]).group("account"), me["Account"])

    def test_unissued_key_is_the_admin_only_on_a_dev_server(self):
        admin = self.sts.get_caller_identity()
        for key in ("dev-" + uuid.uuid4().hex[:8], "AKIAEXAMPLE"):
            with self.subTest(key=key):
                if DEV_SERVER:
                    me = clients_for(key, SECRET_KEY).sts().get_caller_identity()
                    self.assertEqual((me["Account"], me["Arn"]), (admin["Account"], admin["Arn"]))
                else:
                    self.assertIamError(INVALID_TOKEN_QUERY, clients_for(key, SECRET_KEY).sts().get_caller_identity, status=403)
                    self.assertIamError(INVALID_TOKEN_QUERY, clients_for(key, SECRET_KEY).iam().list_users, status=403)

    def test_as_a_user(self):
        creds = self.new_principal()
        me = creds.sts().get_caller_identity()
        self.assertEqual(me["Account"], self.account)
        self.assertEqual(me["Arn"], creds.arn)
        self.assertEqual(me["UserId"], creds.user["UserId"])

    def test_as_an_assumed_role(self):
        user = self.new_principal("user", allow("sts:AssumeRole", "*"))
        role = self.create_role(trust=trust_policy(user.arn))
        resp = user.sts().assume_role(RoleArn=role["Arn"], RoleSessionName="who-am-i")
        me = AwsCredentials.from_sts(resp).sts().get_caller_identity()
        self.assertEqual(me["Account"], self.account)
        self.assertEqual(me["Arn"], "arn:aws:sts::%s:assumed-role/%s/who-am-i" % (self.account, role["RoleName"]))
        self.assertEqual(me["UserId"], "%s:who-am-i" % role["RoleId"])

    def test_unknown_issued_looking_key_is_refused(self):
        key = "AKIA" + "".join(random.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16))
        client = clients_for(key, "x" * 40).sts()
        self.assertIamError(INVALID_TOKEN_QUERY, client.get_caller_identity, status=403)
        self.assertIamError(INVALID_TOKEN_QUERY, clients_for(key, "x" * 40).iam().list_users, status=403)


class AssumeRoleTests(IAMTestCase):
    def setUp(self):
        super().setUp()
        self.user = self.new_principal("caller", allow("sts:AssumeRole", "*"))
        self.role = self.create_role(trust=trust_policy(self.user.arn))

    def test_returns_session_credentials(self):
        before = utcnow()
        resp = self.user.sts().assume_role(RoleArn=self.role["Arn"], RoleSessionName="app-1")
        c = resp["Credentials"]
        self.assertRegex(c["AccessKeyId"], SESSION_ACCESS_KEY_RE)
        self.assertTrue(c["SecretAccessKey"])
        self.assertNotEqual(c["SecretAccessKey"], self.user.secret_access_key)
        self.assertTrue(c["SessionToken"])
        # Default DurationSeconds is 3600.
        self.assertClose(c["Expiration"], before + datetime.timedelta(seconds=3600), seconds=120,
                         what="Expiration")
        arn = "arn:aws:sts::%s:assumed-role/%s/app-1" % (self.account, self.role["RoleName"])
        self.assertEqual(resp["AssumedRoleUser"]["Arn"], arn)
        self.assertEqual(resp["AssumedRoleUser"]["AssumedRoleId"], "%s:app-1" % self.role["RoleId"])

        again = self.user.sts().assume_role(RoleArn=self.role["Arn"], RoleSessionName="app-1")["Credentials"]
        self.assertNotEqual(again["AccessKeyId"], c["AccessKeyId"])
        self.assertNotEqual(again["SessionToken"], c["SessionToken"])

    def test_duration_seconds(self):
        before = utcnow()
        short = self.user.sts().assume_role(RoleArn=self.role["Arn"], RoleSessionName="short",
                                            DurationSeconds=900)["Credentials"]
        self.assertClose(short["Expiration"], before + datetime.timedelta(seconds=900), seconds=120,
                         what="Expiration")
        longest = self.user.sts().assume_role(RoleArn=self.role["Arn"], RoleSessionName="long",
                                              DurationSeconds=3600)["Credentials"]
        self.assertClose(longest["Expiration"], before + datetime.timedelta(seconds=3600), seconds=120,
                         what="Expiration")
        loose = self.user.sts(validate=False)
        for seconds in (899, 3601):
            with self.subTest(seconds=seconds):
                self.assertIamError("ValidationError", loose.assume_role, RoleArn=self.role["Arn"],
                                    RoleSessionName="bad", DurationSeconds=seconds, status=400)

    def test_bad_session_name_is_validation_error(self):
        loose = self.user.sts(validate=False)
        for name in ("a", "has space", "x" * 65):
            with self.subTest(name=name):
                self.assertIamError("ValidationError", loose.assume_role, RoleArn=self.role["Arn"],
                                    RoleSessionName=name, status=400)

    def test_session_policy(self):
        session_policy = policy_json(allow("secretsmanager:GetSecretValue", "*"))
        resp = self.user.sts().assume_role(RoleArn=self.role["Arn"], RoleSessionName="narrow", Policy=session_policy)
        self.assertRegex(resp["Credentials"]["AccessKeyId"], SESSION_ACCESS_KEY_RE)
        self.assertIamError("MalformedPolicyDocument", self.user.sts().assume_role, RoleArn=self.role["Arn"],
                            RoleSessionName="bad", Policy="{", status=400)

    def test_user_not_in_the_trust_policy_is_denied(self):
        stranger = self.new_principal("stranger", allow("sts:AssumeRole", "*"))
        err = self.assertIamError("AccessDenied", stranger.sts().assume_role, RoleArn=self.role["Arn"],
                                  RoleSessionName="nope", status=403)
        self.assertIn(stranger.arn, err["Message"])
        self.assertIn("sts:AssumeRole", err["Message"])

    def test_trust_policy_changes_take_effect(self):
        other = self.create_user("other")
        self.iam.update_assume_role_policy(RoleName=self.role["RoleName"], PolicyDocument=trust_policy(other["Arn"]))
        self.assertIamError("AccessDenied", self.user.sts().assume_role, RoleArn=self.role["Arn"],
                            RoleSessionName="s1")
        self.iam.update_assume_role_policy(RoleName=self.role["RoleName"],
                                           PolicyDocument=trust_policy(other["Arn"], self.user.arn))
        self.user.sts().assume_role(RoleArn=self.role["Arn"], RoleSessionName="s1")

    def test_missing_role_is_access_denied(self):
        missing = "arn:aws:iam::%s:role/%s" % (self.account, self.iam_name("ghost"))
        self.assertIamError("AccessDenied", self.user.sts().assume_role, RoleArn=missing, RoleSessionName="s1",
                            status=403)


def _query(service, version, params, access_key=ACCESS_KEY, secret_key=SECRET_KEY):
    """A hand-signed Query protocol POST; returns (status, headers, parsed XML root)."""
    body = urllib.parse.urlencode(dict(params, Version=version)).encode("ascii")
    request = AWSRequest(method="POST", url=endpoint() + "/", data=body,
                         headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    SigV4Auth(Credentials(access_key, secret_key), service, IAM_REGION).add_auth(request)
    prepared = request.prepare()
    req = urllib.request.Request(prepared.url, data=prepared.body, headers=dict(prepared.headers), method="POST")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            status, headers, raw = resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        status, headers, raw = err.code, dict(err.headers), err.read()
    try:
        root = ET.fromstring(raw)
    except ET.ParseError as exc:
        raise AssertionError("not XML (%s): %r" % (exc, raw[:300]))
    return status, {k.lower(): v for k, v in headers.items()}, root


def local(tag):
    return tag.split("}")[-1]


def child(elem, *path):
    for name in path:
        found = [c for c in elem if local(c.tag) == name]
        if not found:
            raise AssertionError("no <%s> in <%s>: %s" % (name, local(elem.tag), ET.tostring(elem)[:300]))
        elem = found[0]
    return elem


class QueryProtocolTests(IAMTestCase):
    """The XML itself, as the Java/.NET/Go SDKs parse it."""

    def test_sts_success_document(self):
        status, headers, root = _query("sts", "2011-06-15", {"Action": "GetCallerIdentity"})
        self.assertEqual(status, 200)
        self.assertTrue(headers.get("content-type", "").startswith("text/xml"), headers.get("content-type"))
        self.assertEqual(root.tag, "{https://sts.amazonaws.com/doc/2011-06-15/}GetCallerIdentityResponse")
        self.assertRegex(child(root, "GetCallerIdentityResult", "Account").text, ACCOUNT_RE)
        self.assertTrue(child(root, "GetCallerIdentityResult", "Arn").text.startswith("arn:aws:"))
        self.assertTrue(child(root, "ResponseMetadata", "RequestId").text)

    def test_iam_success_document_with_a_list(self):
        name = self.create_user(Path=self.iam_path)["UserName"]
        status, _, root = _query("iam", "2010-05-08", {"Action": "ListUsers", "PathPrefix": self.iam_path})
        self.assertEqual(status, 200)
        self.assertEqual(root.tag, "{https://iam.amazonaws.com/doc/2010-05-08/}ListUsersResponse")
        members = list(child(root, "ListUsersResult", "Users"))
        self.assertEqual([local(m.tag) for m in members], ["member"])
        self.assertEqual(child(members[0], "UserName").text, name)
        self.assertEqual(child(root, "ListUsersResult", "IsTruncated").text, "false")
        self.assertTrue(child(root, "ResponseMetadata", "RequestId").text)

    def test_iam_error_document(self):
        ghost = self.iam_name("ghost")
        status, headers, root = _query("iam", "2010-05-08", {"Action": "GetUser", "UserName": ghost})
        self.assertEqual(status, 404)
        self.assertTrue(headers.get("content-type", "").startswith("text/xml"), headers.get("content-type"))
        self.assertEqual(local(root.tag), "ErrorResponse")
        self.assertEqual(child(root, "Error", "Type").text, "Sender")
        self.assertEqual(child(root, "Error", "Code").text, "NoSuchEntity")
        self.assertEqual(child(root, "Error", "Message").text, "The user with name %s cannot be found." % ghost)
        self.assertTrue(child(root, "RequestId").text)

    def test_policy_documents_come_back_url_encoded(self):
        # AWS sends policy documents URL-encoded (RFC 3986) inside the XML; SDKs decode them.
        user = self.create_user()["UserName"]
        doc = policy_document(allow("s3:GetObject", "arn:aws:s3:::a b/*"))
        self.iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument=json.dumps(doc))
        status, _, root = _query("iam", "2010-05-08", {"Action": "GetUserPolicy", "UserName": user,
                                                       "PolicyName": "p"})
        self.assertEqual(status, 200)
        text = child(root, "GetUserPolicyResult", "PolicyDocument").text
        self.assertTrue(text.startswith("%7B"), text[:40])
        self.assertEqual(json.loads(urllib.parse.unquote(text)), doc)

    def test_unknown_action_is_refused(self):
        status, _, root = _query("iam", "2010-05-08", {"Action": "NoSuchOperation"})
        self.assertEqual(status, 400)
        self.assertIn(child(root, "Error", "Code").text, ("InvalidAction", "UnknownOperation"))


class IamOperationCoverageTests(unittest.TestCase):
    """Meta-test: every IAM/STS operation Strongroom implements is exercised by the suite."""

    OPERATIONS = (
        "CreateUser", "GetUser", "ListUsers", "DeleteUser", "UpdateUser",
        "CreateAccessKey", "ListAccessKeys", "UpdateAccessKey", "DeleteAccessKey",
        "CreateGroup", "GetGroup", "ListGroups", "DeleteGroup", "AddUserToGroup", "RemoveUserFromGroup",
        "ListGroupsForUser",
        "CreateRole", "GetRole", "ListRoles", "DeleteRole", "UpdateAssumeRolePolicy",
        "PutUserPolicy", "GetUserPolicy", "ListUserPolicies", "DeleteUserPolicy",
        "PutGroupPolicy", "GetGroupPolicy", "ListGroupPolicies", "DeleteGroupPolicy",
        "PutRolePolicy", "GetRolePolicy", "ListRolePolicies", "DeleteRolePolicy",
        "CreatePolicy", "GetPolicy", "ListPolicies", "DeletePolicy", "CreatePolicyVersion", "GetPolicyVersion",
        "AttachUserPolicy", "DetachUserPolicy", "AttachGroupPolicy", "DetachGroupPolicy",
        "AttachRolePolicy", "DetachRolePolicy",
        "ListAttachedUserPolicies", "ListAttachedGroupPolicies", "ListAttachedRolePolicies",
        "TagUser", "UntagUser", "ListUserTags", "TagRole", "UntagRole", "ListRoleTags",
        "GetCallerIdentity", "AssumeRole",
        # Workload identity: exercised in test_web_identity.py.
        "CreateOpenIDConnectProvider", "GetOpenIDConnectProvider", "ListOpenIDConnectProviders", "DeleteOpenIDConnectProvider",
        "AddClientIDToOpenIDConnectProvider", "RemoveClientIDFromOpenIDConnectProvider", "UpdateOpenIDConnectProviderThumbprint",
        "TagOpenIDConnectProvider", "UntagOpenIDConnectProvider", "ListOpenIDConnectProviderTags",
        "AssumeRoleWithWebIdentity", "AssumeRoleWithSAML", "GetSessionToken",
    )

    def test_every_operation_has_a_test(self):
        import os
        from botocore import xform_name

        with open(os.path.abspath(__file__), encoding="utf-8") as f:
            source = f.read().split("class IamOperationCoverageTests")[0]
        with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "test_web_identity.py"), encoding="utf-8") as f:
            source += f.read()
        missing = [op for op in self.OPERATIONS if not re.search(r"\.%s\b" % re.escape(xform_name(op)), source)]
        self.assertEqual(missing, [])


if __name__ == "__main__":
    unittest.main()
