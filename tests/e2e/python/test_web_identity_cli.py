"""Workload identity through the AWS CLI v1 and v2: IAM OIDC provider commands, `sts assume-role-with-web-identity`
(unsigned, with tokens from the test issuer), `sts get-session-token`, and `sts assume-role --tags`.

Setup goes through boto3; the commands under test go through the CLI and run concurrently where independent.
"""

import concurrent.futures
import json
import unittest
import uuid

from helpers import (
    AwsCredentials,
    IAMTestCase,
    ServiceCliMixin,
    allow,
    policy_json,
    run_cli,
)
from oidc_issuer import AUDIENCE, OidcIssuer
from test_web_identity import NOT_AUTHORIZED, SA_SUBJECT, web_identity_trust


class WebIdentityCliMixin(ServiceCliMixin):
    VERSION = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.issuer = OidcIssuer().start()

    @classmethod
    def tearDownClass(cls):
        cls.issuer.stop()
        super().tearDownClass()

    def cli(self, *args, creds=None):
        if creds is None:
            return run_cli(self.VERSION, *args)
        path = self.credentials_file({"e2e": creds})
        return run_cli(self.VERSION, *args, credentials_file=path, profile="e2e")

    def run_all(self, *calls):
        with concurrent.futures.ThreadPoolExecutor(max_workers=len(calls)) as pool:
            return list(pool.map(lambda c: self.cli(*c[0], **c[1]), calls))

    def ok_result(self, result):
        self.assertEqual(result.returncode, 0, result.describe())
        return result.json

    def test_oidc_provider_commands(self):
        url = "https://oidc-%s.example.com/id/%s" % (self.tag[-8:], uuid.uuid4().hex[:10].upper())
        created = self.ok_result(self.cli("iam", "create-open-id-connect-provider", "--url", url, "--client-id-list", AUDIENCE,
                                          "--thumbprint-list", "a" * 40, "--tags", "Key=cluster,Value=prod"))
        arn = created["OpenIDConnectProviderArn"]
        self.addCleanup(lambda: self.iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn))
        self.assertEqual(arn, "arn:aws:iam::%s:oidc-provider/%s" % (self.account, url[len("https://"):]))
        add, thumb, tag = self.run_all(
            (("iam", "add-client-id-to-open-id-connect-provider", "--open-id-connect-provider-arn", arn, "--client-id", "web"), {}),
            (("iam", "update-open-id-connect-provider-thumbprint", "--open-id-connect-provider-arn", arn, "--thumbprint-list", "b" * 40), {}),
            (("iam", "tag-open-id-connect-provider", "--open-id-connect-provider-arn", arn, "--tags", "Key=team,Value=platform"), {}),
        )
        for result in (add, thumb, tag):
            self.assertNoOutput(result)
        got, listed, tags, duplicate = self.run_all(
            (("iam", "get-open-id-connect-provider", "--open-id-connect-provider-arn", arn), {}),
            (("iam", "list-open-id-connect-providers"), {}),
            (("iam", "list-open-id-connect-provider-tags", "--open-id-connect-provider-arn", arn), {}),
            # Debian's v2 2.9.19 still models ThumbprintList as required.
            (("iam", "create-open-id-connect-provider", "--url", url, "--client-id-list", "x", "--thumbprint-list", "c" * 40), {}),
        )
        provider = self.ok_result(got)
        self.assertEqual((provider["Url"], provider["ClientIDList"], provider["ThumbprintList"]), (url[len("https://"):], [AUDIENCE, "web"], ["b" * 40]))
        self.assertIn({"Arn": arn}, self.ok_result(listed)["OpenIDConnectProviderList"])
        self.assertEqual(self.ok_result(tags)["Tags"], [{"Key": "cluster", "Value": "prod"}, {"Key": "team", "Value": "platform"}])
        self.assertCliError(duplicate, "EntityAlreadyExists", "CreateOpenIDConnectProvider", message="Provider with url %s already exists." % url)
        remove, untag = self.run_all(
            (("iam", "remove-client-id-from-open-id-connect-provider", "--open-id-connect-provider-arn", arn, "--client-id", "web"), {}),
            (("iam", "untag-open-id-connect-provider", "--open-id-connect-provider-arn", arn, "--tag-keys", "team"), {}),
        )
        self.assertNoOutput(remove)
        self.assertNoOutput(untag)
        self.assertNoOutput(self.cli("iam", "delete-open-id-connect-provider", "--open-id-connect-provider-arn", arn))
        self.assertCliError(self.cli("iam", "get-open-id-connect-provider", "--open-id-connect-provider-arn", arn),
                            "NoSuchEntity", "GetOpenIDConnectProvider", message="OpenIDConnect Provider not found for arn %s" % arn)

    def test_assume_role_with_web_identity(self):
        provider = self.iam.create_open_id_connect_provider(Url=self.issuer.url, ClientIDList=[AUDIENCE])["OpenIDConnectProviderArn"]
        self.addCleanup(lambda: self.iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=provider))
        role = self.create_role("pod", trust=web_identity_trust(provider))
        secret = self.create("s", SecretString="for-the-pod")
        self.iam.put_role_policy(RoleName=role["RoleName"], PolicyName="read", PolicyDocument=policy_json(allow("secretsmanager:GetSecretValue", secret["ARN"])))
        base = ("sts", "assume-role-with-web-identity", "--role-arn", role["Arn"], "--role-session-name", "cli-pod", "--web-identity-token")
        ok, audience, subject, expired = self.run_all(
            (base + (self.issuer.token(sub=SA_SUBJECT),), {}),
            (base + (self.issuer.token(sub=SA_SUBJECT, aud="other"),), {}),
            (base + (self.issuer.token(sub="system:serviceaccount:payments:intruder"),), {}),
            (base + (self.issuer.token(sub=SA_SUBJECT, lifetime=-600),), {}),
        )
        out = self.ok_result(ok)
        self.assertEqual((out["SubjectFromWebIdentityToken"], out["Audience"], out["Provider"]), (SA_SUBJECT, AUDIENCE, provider))
        self.assertEqual(out["AssumedRoleUser"]["Arn"], "arn:aws:sts::%s:assumed-role/%s/cli-pod" % (self.account, role["RoleName"]))
        self.assertCliError(audience, "InvalidIdentityToken", "AssumeRoleWithWebIdentity", message="Incorrect token audience")
        self.assertCliError(subject, "AccessDenied", "AssumeRoleWithWebIdentity", message=NOT_AUTHORIZED)
        self.assertCliError(expired, "ExpiredTokenException", "AssumeRoleWithWebIdentity")
        session = AwsCredentials.from_sts(out)
        read = self.cli("secretsmanager", "get-secret-value", "--secret-id", secret["ARN"], creds=session)
        self.assertEqual(self.ok_result(read)["SecretString"], "for-the-pod")

    def test_get_session_token_and_session_tags(self):
        blue = self.create("blue", SecretString="blue", Tags=[{"Key": "team", "Value": "blue"}])
        user = self.new_principal("u", allow("secretsmanager:GetSecretValue", blue["ARN"]))
        role = self.create_role("abac", trust=policy_json(
            {"Effect": "Allow", "Principal": {"AWS": user.arn}, "Action": ["sts:AssumeRole", "sts:TagSession"]}))
        self.iam.put_role_policy(RoleName=role["RoleName"], PolicyName="abac", PolicyDocument=policy_json(allow(
            "secretsmanager:GetSecretValue", "*", condition={"StringEquals": {"secretsmanager:ResourceTag/team": "${aws:PrincipalTag/team}"}})))
        token, tagged, aws_tag = self.run_all(
            (("sts", "get-session-token", "--duration-seconds", "900"), {"creds": user}),
            (("sts", "assume-role", "--role-arn", role["Arn"], "--role-session-name", "tagged", "--tags", "Key=team,Value=blue",
              "--transitive-tag-keys", "team"), {"creds": user}),
            (("sts", "assume-role", "--role-arn", role["Arn"], "--role-session-name", "forged", "--tags", "Key=aws:username,Value=admin"), {"creds": user}),
        )
        session = self.ok_result(token)["Credentials"]
        self.assertRegex(session["AccessKeyId"], r"^ASIA[A-Z2-7]{16}$")
        self.assertCliError(aws_tag, "ValidationError", "AssumeRole")
        as_session = AwsCredentials(session["AccessKeyId"], session["SecretAccessKey"], session["SessionToken"])
        as_tagged = AwsCredentials.from_sts(self.ok_result(tagged))
        who, read = self.run_all(
            (("sts", "get-caller-identity"), {"creds": as_session}),
            (("secretsmanager", "get-secret-value", "--secret-id", blue["ARN"]), {"creds": as_tagged}),
        )
        self.assertEqual(self.ok_result(who)["Arn"], user.arn)
        self.assertEqual(self.ok_result(read)["SecretString"], "blue")


class WebIdentityCliV1Tests(WebIdentityCliMixin, IAMTestCase):
    VERSION = 1


class WebIdentityCliV2Tests(WebIdentityCliMixin, IAMTestCase):
    VERSION = 2


if __name__ == "__main__":
    unittest.main()
