"""Workload identity through boto3: IAM OIDC providers, STS AssumeRoleWithWebIdentity, GetSessionToken, session tags.

A throw-away OIDC issuer (oidc_issuer.py) runs on loopback with its own RSA and EC keys, discovery document and JWKS,
and mints the tokens. The headline test runs boto3's *standard* web identity credential provider in a fresh process
with only AWS_ROLE_ARN, AWS_WEB_IDENTITY_TOKEN_FILE, the region and the endpoint in its environment, as a Kubernetes
pod with a projected service-account token has them. Every refusal is checked for AWS's code, status and message;
the attacks (alg=none, HS256 with the public key, forged signature, expired replay, another provider, an http JWKS,
session tags in the aws: namespace, unsigned calls of other actions) are refused too. One class starts its own
server to show an issuer whose keys come from a JWKS file (air-gapped clusters).
"""

import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse
import urllib.request
import uuid

import boto3
import botocore.config
from botocore import UNSIGNED
from botocore.exceptions import ClientError

from helpers import (
    ACCESS_KEY,
    SECRET_KEY,
    AwsCredentials,
    IAMTestCase,
    allow,
    cloudtrail,
    endpoint,
    iam,
    policy_json,
    trust_policy,
)
from oidc_issuer import AUDIENCE, TAGS_CLAIM, OidcIssuer, SigningKey, free_port

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
STRONGROOM_DLL = os.path.join(ROOT, "src", "Strongroom", "bin", "Release", "net10.0", "strongroom.dll")

SA_SUBJECT = "system:serviceaccount:payments:api"
NO_KEY = "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements"
NOT_A_JWT = "The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)"
NOT_AUTHORIZED = "Not authorized to perform sts:AssumeRoleWithWebIdentity"


def provider_name(url):
    return url.split("://", 1)[1]


def unsigned_sts(endpoint_url=None):
    """An STS client with no credentials at all, as a pod has before it trades its token."""
    config = botocore.config.Config(signature_version=UNSIGNED, retries={"total_max_attempts": 1, "mode": "standard"})
    return boto3.session.Session(region_name="us-east-1").client("sts", endpoint_url=endpoint_url or endpoint(), config=config)


def web_identity_trust(provider_arn, subject=SA_SUBJECT, audience=AUDIENCE, tag_session=False, extra_conditions=None):
    """A trust policy letting the provider's tokens for one service account in (Kubernetes style)."""
    name = provider_arn.split(":oidc-provider/", 1)[1]
    condition = {"StringEquals": {name + ":sub": subject, name + ":aud": audience}}
    condition.update(extra_conditions or {})
    actions = ["sts:AssumeRoleWithWebIdentity"] + (["sts:TagSession"] if tag_session else [])
    return policy_json({"Effect": "Allow", "Principal": {"Federated": provider_arn}, "Action": actions, "Condition": condition})


class WebIdentityCase(IAMTestCase):
    """An issuer per class, and per test a provider for it, a role it may assume and two secrets."""

    https = False

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.issuer = OidcIssuer(https=cls.https).start()

    @classmethod
    def tearDownClass(cls):
        cls.issuer.stop()
        super().tearDownClass()

    def add_provider(self, url=None, client_ids=(AUDIENCE,), thumbprints=()):
        arn = self.iam.create_open_id_connect_provider(Url=url or self.issuer.url, ClientIDList=list(client_ids),
                                                       ThumbprintList=list(thumbprints))["OpenIDConnectProviderArn"]
        self.addCleanup(lambda: self.iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn))
        return arn

    def setUp(self):
        super().setUp()
        self.provider_arn = self.add_provider()
        self.allowed = self.create("allowed", SecretString="pod-may-read-this")
        self.forbidden = self.create("forbidden", SecretString="pod-may-not-read-this")
        self.role = self.create_role("pod", trust=web_identity_trust(self.provider_arn))
        self.iam.put_role_policy(RoleName=self.role["RoleName"], PolicyName="read-one",
                                 PolicyDocument=policy_json(allow("secretsmanager:GetSecretValue", self.allowed["ARN"])))

    def assume(self, token, role_arn=None, session="pod-session", **kwargs):
        return unsigned_sts().assume_role_with_web_identity(RoleArn=role_arn or self.role["Arn"], RoleSessionName=session,
                                                             WebIdentityToken=token, **kwargs)

    def assertRefused(self, token, code, status, message=None, message_contains=None, role_arn=None):
        err = self.assertAwsError(code, self.assume, token, role_arn=role_arn, status=status, message=message,
                                  message_contains=message_contains)
        return err


class WebIdentityTests(WebIdentityCase):
    def test_boto3_standard_web_identity_provider_reads_what_the_role_may_and_no_more(self):
        directory = tempfile.mkdtemp(prefix="strongroom-e2e-pod-")
        self.addCleanup(shutil.rmtree, directory, True)
        token_file = os.path.join(directory, "token")
        with open(token_file, "w", encoding="ascii") as f:
            f.write(self.issuer.token(sub=SA_SUBJECT))
        script = (
            "import boto3, json, sys\n"
            "from botocore.exceptions import ClientError\n"
            "sm = boto3.client('secretsmanager')\n"
            "out = {'who': boto3.client('sts').get_caller_identity()['Arn']}\n"
            "out['allowed'] = sm.get_secret_value(SecretId=sys.argv[1])['SecretString']\n"
            "try:\n"
            "    sm.get_secret_value(SecretId=sys.argv[2]); out['forbidden'] = 'READ'\n"
            "except ClientError as e:\n"
            "    out['forbidden'] = e.response['Error']['Code']\n"
            "print(json.dumps(out))\n"
        )
        # Exactly what a pod with a projected service-account token has, plus Strongroom's endpoint.
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        empty = os.path.join(directory, "empty")
        open(empty, "w").close()
        env.update(AWS_ROLE_ARN=self.role["Arn"], AWS_WEB_IDENTITY_TOKEN_FILE=token_file, AWS_DEFAULT_REGION="us-east-1",
                   AWS_REGION="us-east-1", AWS_ENDPOINT_URL=endpoint(), AWS_CONFIG_FILE=empty, AWS_SHARED_CREDENTIALS_FILE=empty,
                   AWS_EC2_METADATA_DISABLED="true", AWS_MAX_ATTEMPTS="1")
        proc = subprocess.run([sys.executable, "-c", script, self.allowed["ARN"], self.forbidden["ARN"]], env=env,
                              capture_output=True, text=True, timeout=120)
        self.assertEqual(proc.returncode, 0, proc.stderr[-3000:])
        out = json.loads(proc.stdout)
        self.assertRegex(out["who"], r"^arn:aws:sts::%s:assumed-role/%s/" % (self.account, self.role["RoleName"]))
        self.assertEqual(out["allowed"], "pod-may-read-this")
        self.assertEqual(out["forbidden"], "AccessDeniedException")

    def test_answer_has_aws_shape_and_the_credentials_work(self):
        for key in (self.issuer.rsa, self.issuer.ec):
            with self.subTest(alg=key.alg):
                resp = self.assume(self.issuer.token(sub=SA_SUBJECT, key=key), DurationSeconds=900)
                self.assertEqual(resp["SubjectFromWebIdentityToken"], SA_SUBJECT)
                self.assertEqual(resp["Audience"], AUDIENCE)
                self.assertEqual(resp["Provider"], self.provider_arn)
                self.assertEqual(resp["AssumedRoleUser"]["Arn"], "arn:aws:sts::%s:assumed-role/%s/pod-session" % (self.account, self.role["RoleName"]))
                self.assertEqual(resp["AssumedRoleUser"]["AssumedRoleId"], self.role["RoleId"] + ":pod-session")
                creds = resp["Credentials"]
                self.assertRegex(creds["AccessKeyId"], r"^ASIA[A-Z2-7]{16}$")
                self.assertClose(creds["Expiration"], _now() + datetime.timedelta(seconds=900), 120, "Expiration")
                session = AwsCredentials.from_sts(resp)
                self.assertEqual(session.client("secretsmanager").get_secret_value(SecretId=self.allowed["ARN"])["SecretString"], "pod-may-read-this")
                self.assertEqual(session.sts().get_caller_identity()["Arn"], resp["AssumedRoleUser"]["Arn"])

    def test_refusals_answer_aws_errors(self):
        other_issuer = "http://127.0.0.1:%d" % free_port()
        cases = {
            "wrong audience": (self.issuer.token(sub=SA_SUBJECT, aud="another-client"), "InvalidIdentityToken", 400, "Incorrect token audience"),
            "wrong issuer": (self.issuer.token(sub=SA_SUBJECT, iss=other_issuer), "InvalidIdentityToken", 400,
                             "No OpenIDConnect provider found in your account for " + other_issuer),
            "bad signature": (self.issuer.forged_token(sub=SA_SUBJECT), "InvalidIdentityToken", 400, None),
            "unknown kid": (self.issuer.token(sub=SA_SUBJECT, key=SigningKey("rsa")), "InvalidIdentityToken", 400, NO_KEY),
            "sub outside the trust condition": (self.issuer.token(sub="system:serviceaccount:payments:other"), "AccessDenied", 403, NOT_AUTHORIZED),
            "not a JWT": ("not-a-token", "InvalidIdentityToken", 400, NOT_A_JWT),
            "alg=none": (self.issuer.unsigned_token(sub=SA_SUBJECT), "InvalidIdentityToken", 400, None),
            "HS256 with the public key as secret": (self.issuer.hmac_with_public_key_token(sub=SA_SUBJECT), "InvalidIdentityToken", 400, None),
        }
        for what, (token, code, status, message) in cases.items():
            with self.subTest(what=what):
                err = self.assertRefused(token, code, status, message=message)
                self.assertNotIn(token, err["Message"])

    def test_expired_token_is_refused_even_when_replayed(self):
        token = self.issuer.token(sub=SA_SUBJECT, lifetime=-300)
        for _ in range(2):
            err = self.assertRefused(token, "ExpiredTokenException", 400, message_contains="Token expired: current date/time ")
            self.assertRegex(err["Message"], r"^Token expired: current date/time \d+ must be before the expiration date/time \d+$")

    def test_token_not_yet_valid_and_without_subject_are_rejected_claims(self):
        future = int(time.time()) + 3600
        self.assertRefused(self.issuer.token(sub=SA_SUBJECT, nbf=future), "IDPRejectedClaim", 403, message_contains="not valid yet")
        claims = self.issuer.claims(SA_SUBJECT)
        del claims["sub"]
        token = OidcIssuer.encode({"alg": "RS256", "kid": self.issuer.rsa.kid}, claims, self.issuer.rsa.sign)
        self.assertRefused(token, "IDPRejectedClaim", 403, message="Missing a required claim: sub")

    def test_trust_policy_naming_another_provider_refuses(self):
        other = self.add_provider(url="https://other-%s.example.com" % uuid.uuid4().hex[:8])
        role = self.create_role("other", trust=web_identity_trust(other))
        self.assertRefused(self.issuer.token(sub=SA_SUBJECT), "AccessDenied", 403, message=NOT_AUTHORIZED, role_arn=role["Arn"])
        # Nor does an AWS principal (the account) let a web identity in.
        account_role = self.create_role("acct", trust=trust_policy("arn:aws:iam::%s:root" % self.account, action="sts:AssumeRoleWithWebIdentity"))
        self.assertRefused(self.issuer.token(sub=SA_SUBJECT), "AccessDenied", 403, message=NOT_AUTHORIZED, role_arn=account_role["Arn"])
        missing = "arn:aws:iam::%s:role/%s" % (self.account, self.iam_name("ghost"))
        self.assertRefused(self.issuer.token(sub=SA_SUBJECT), "AccessDenied", 403, message=NOT_AUTHORIZED, role_arn=missing)

    def test_removed_client_id_and_deleted_provider_stop_tokens(self):
        self.assume(self.issuer.token(sub=SA_SUBJECT))
        self.iam.remove_client_id_from_open_id_connect_provider(OpenIDConnectProviderArn=self.provider_arn, ClientID=AUDIENCE)
        self.assertRefused(self.issuer.token(sub=SA_SUBJECT), "InvalidIdentityToken", 400, message="Incorrect token audience")
        self.iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=self.provider_arn, ClientID=AUDIENCE)
        self.assume(self.issuer.token(sub=SA_SUBJECT))
        self.iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=self.provider_arn)
        self.assertRefused(self.issuer.token(sub=SA_SUBJECT), "InvalidIdentityToken", 400,
                           message="No OpenIDConnect provider found in your account for " + self.issuer.url)

    def test_keys_are_refreshed_on_an_unknown_kid_but_not_more_than_once_in_a_while(self):
        issuer = OidcIssuer().start()
        self.addCleanup(issuer.stop)
        provider = self.add_provider(url=issuer.url)
        role = self.create_role("rot", trust=web_identity_trust(provider))
        self.assume(issuer.token(sub=SA_SUBJECT), role_arn=role["Arn"])
        fetched = issuer.requests["jwks"]
        self.assume(issuer.token(sub=SA_SUBJECT, key=issuer.ec), role_arn=role["Arn"])
        self.assertEqual(issuer.requests["jwks"], fetched, "known keys are cached")
        rotated = SigningKey("rsa")
        issuer.published.append(rotated)
        self.assume(issuer.token(sub=SA_SUBJECT, key=rotated), role_arn=role["Arn"])
        self.assertEqual(issuer.requests["jwks"], fetched + 1, "an unknown kid refreshes the keys")
        self.assertRefused(issuer.token(sub=SA_SUBJECT, key=SigningKey("rsa")), "InvalidIdentityToken", 400, message=NO_KEY, role_arn=role["Arn"])
        self.assertRefused(issuer.token(sub=SA_SUBJECT, key=SigningKey("ec")), "InvalidIdentityToken", 400, message=NO_KEY, role_arn=role["Arn"])
        self.assertEqual(issuer.requests["jwks"], fetched + 1, "further unknown kids don't make the server fetch again at once")

    def test_jwks_at_a_plain_http_address_off_loopback_is_never_fetched(self):
        issuer = OidcIssuer().start()
        self.addCleanup(issuer.stop)
        issuer.jwks_uri_override = "http://192.0.2.10/jwks"
        provider = self.add_provider(url=issuer.url)
        role = self.create_role("httpjwks", trust=web_identity_trust(provider))
        self.assertRefused(issuer.token(sub=SA_SUBJECT), "InvalidIdentityToken", 400, message=NO_KEY, role_arn=role["Arn"])
        self.assertEqual(issuer.requests["discovery"], 1)
        self.assertEqual(issuer.requests["jwks"], 0)

    def test_session_tags_from_the_token_reach_principal_tag_conditions(self):
        blue = self.create("team-blue", SecretString="blue", Tags=[{"Key": "team", "Value": "blue"}])
        red = self.create("team-red", SecretString="red", Tags=[{"Key": "team", "Value": "red"}])
        role = self.create_role("abac", trust=web_identity_trust(self.provider_arn, tag_session=True))
        self.iam.put_role_policy(RoleName=role["RoleName"], PolicyName="abac", PolicyDocument=policy_json(
            allow("secretsmanager:GetSecretValue", "*", condition={"StringEquals": {"secretsmanager:ResourceTag/team": "${aws:PrincipalTag/team}"}})))
        token = self.issuer.token(sub=SA_SUBJECT, **{TAGS_CLAIM: {"principal_tags": {"team": ["blue"]}, "transitive_tag_keys": ["team"]}})
        session = AwsCredentials.from_sts(self.assume(token, role_arn=role["Arn"]))
        sm = session.client("secretsmanager")
        self.assertEqual(sm.get_secret_value(SecretId=blue["ARN"])["SecretString"], "blue")
        self.assertAwsError("AccessDeniedException", sm.get_secret_value, SecretId=red["ARN"])
        # Without sts:TagSession in the trust policy, a token with tags is refused.
        self.assertRefused(token, "AccessDenied", 403, message="Not authorized to perform sts:TagSession")
        forged = self.issuer.token(sub=SA_SUBJECT, **{TAGS_CLAIM: {"principal_tags": {"aws:username": ["admin"]}}})
        self.assertRefused(forged, "IDPRejectedClaim", 403, message_contains="aws:", role_arn=role["Arn"])

    def test_trust_conditions_on_amr_and_request_keys(self):
        name = provider_name(self.issuer.url)
        role = self.create_role("amr", trust=web_identity_trust(self.provider_arn, extra_conditions={
            "ForAnyValue:StringEquals": {name + ":amr": "mfa"}, "IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}))
        self.assume(self.issuer.token(sub=SA_SUBJECT, amr=["pwd", "mfa"]), role_arn=role["Arn"])
        self.assertRefused(self.issuer.token(sub=SA_SUBJECT, amr=["pwd"]), "AccessDenied", 403, message=NOT_AUTHORIZED, role_arn=role["Arn"])

    def test_calls_are_audited_without_the_token(self):
        token = self.issuer.token(sub=SA_SUBJECT)
        self.assume(token, session="audited-" + self.tag[-8:])
        self.assertRefused(self.issuer.token(sub=SA_SUBJECT, aud="nope"), "InvalidIdentityToken", 400)
        events = cloudtrail().lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "AssumeRoleWithWebIdentity"}],
                                            MaxResults=50)["Events"]
        mine = [json.loads(e["CloudTrailEvent"]) for e in events if self.role["Arn"] in e["CloudTrailEvent"]]
        self.assertTrue(any(r.get("errorCode") is None and r["userIdentity"]["type"] == "WebIdentityUser" for r in mine), mine[:2])
        self.assertTrue(any(r.get("errorCode") == "InvalidIdentityToken" for r in mine))
        for record in mine:
            text = json.dumps(record)
            self.assertNotIn(token.split(".")[2], text)
            self.assertNotIn("webIdentityToken", record.get("requestParameters") or {})
            self.assertEqual(record["eventSource"], "sts.amazonaws.com")


class HttpsIssuerTests(WebIdentityCase):
    """An issuer on https with a self-signed certificate: trusted only through the provider's ThumbprintList."""

    https = True

    def setUp(self):
        # The base class's provider has no thumbprint; this class adds its own.
        IAMTestCase.setUp(self)
        self.allowed = self.create("allowed", SecretString="s")

    def test_thumbprint_lets_a_certificate_no_ca_signed_in(self):
        pinned = self.add_provider(thumbprints=[self.issuer.thumbprint])
        role = self.create_role("tls", trust=web_identity_trust(pinned))
        resp = self.assume(self.issuer.token(sub=SA_SUBJECT), role_arn=role["Arn"])
        self.assertEqual(resp["Provider"], pinned)
        # A wrong thumbprint: the keys can't be fetched (updating it takes effect on the next fetch).
        self.iam.update_open_id_connect_provider_thumbprint(OpenIDConnectProviderArn=pinned, ThumbprintList=["0" * 40])
        self.assertEqual(self.iam.get_open_id_connect_provider(OpenIDConnectProviderArn=pinned)["ThumbprintList"], ["0" * 40])

    def test_without_a_matching_thumbprint_the_keys_are_not_trusted(self):
        other = OidcIssuer(https=True).start()
        self.addCleanup(other.stop)
        provider = self.add_provider(url=other.url, thumbprints=["f" * 40])
        role = self.create_role("untrusted", trust=web_identity_trust(provider))
        self.assertRefused(other.token(sub=SA_SUBJECT), "InvalidIdentityToken", 400, message=NO_KEY, role_arn=role["Arn"])
        self.assertEqual(other.requests["discovery"], 0, "the TLS handshake failed before any document was read")


def _now():
    return datetime.datetime.now(datetime.timezone.utc)


class OidcProviderApiTests(IAMTestCase):
    """The IAM OpenID Connect provider operations (Query protocol) and their errors."""

    def url(self):
        return "https://oidc-%s.example.com/id/%s" % (self.tag[-8:], uuid.uuid4().hex[:12].upper())

    def create_provider(self, url, **kwargs):
        kwargs.setdefault("ClientIDList", [AUDIENCE])
        resp = self.iam.create_open_id_connect_provider(Url=url, **kwargs)
        self.addCleanup(lambda: self.iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=resp["OpenIDConnectProviderArn"]))
        return resp

    def test_create_get_list_update_and_delete(self):
        url = self.url()
        thumb = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280"
        resp = self.create_provider(url, ClientIDList=[AUDIENCE, "web-app"], ThumbprintList=[thumb], Tags=[{"Key": "cluster", "Value": "prod"}])
        arn = resp["OpenIDConnectProviderArn"]
        self.assertEqual(arn, "arn:aws:iam::%s:oidc-provider/%s" % (self.account, provider_name(url)))
        self.assertEqual(resp["Tags"], [{"Key": "cluster", "Value": "prod"}])
        got = self.iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
        self.assertEqual(got["Url"], provider_name(url))
        self.assertEqual(got["ClientIDList"], [AUDIENCE, "web-app"])
        self.assertEqual(got["ThumbprintList"], [thumb])
        self.assertEqual(got["Tags"], [{"Key": "cluster", "Value": "prod"}])
        self.assertRecent(got["CreateDate"])
        self.assertIn({"Arn": arn}, self.iam.list_open_id_connect_providers()["OpenIDConnectProviderList"])

        self.iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="cli")
        self.iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="cli")  # idempotent
        self.iam.remove_client_id_from_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="web-app")
        self.iam.remove_client_id_from_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="never-there")
        self.assertEqual(self.iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["ClientIDList"], [AUDIENCE, "cli"])
        self.iam.update_open_id_connect_provider_thumbprint(OpenIDConnectProviderArn=arn, ThumbprintList=["a" * 40, "b" * 40])
        self.assertEqual(self.iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["ThumbprintList"], ["a" * 40, "b" * 40])

        self.iam.tag_open_id_connect_provider(OpenIDConnectProviderArn=arn, Tags=[{"Key": "team", "Value": "platform"}, {"Key": "cluster", "Value": "dev"}])
        self.assertEqual(self.iam.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=arn)["Tags"],
                         [{"Key": "cluster", "Value": "dev"}, {"Key": "team", "Value": "platform"}])
        self.iam.untag_open_id_connect_provider(OpenIDConnectProviderArn=arn, TagKeys=["cluster"])
        self.assertEqual(self.iam.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=arn)["Tags"], [{"Key": "team", "Value": "platform"}])

        self.iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)
        self.iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)  # idempotent, as in AWS
        self.assertIamError("NoSuchEntity", self.iam.get_open_id_connect_provider, OpenIDConnectProviderArn=arn, status=404,
                            message="OpenIDConnect Provider not found for arn %s" % arn)
        self.assertNotIn({"Arn": arn}, self.iam.list_open_id_connect_providers()["OpenIDConnectProviderList"])

    def test_errors(self):
        url = self.url()
        self.create_provider(url)
        self.assertIamError("EntityAlreadyExists", self.iam.create_open_id_connect_provider, Url=url, ClientIDList=["x"], status=409,
                            message="Provider with url %s already exists." % url)
        self.assertIamError("EntityAlreadyExists", self.iam.create_open_id_connect_provider, Url=url + "/", ClientIDList=["x"], status=409)
        self.assertIamError("InvalidInput", self.iam.create_open_id_connect_provider, Url="http://oidc.example.com", ClientIDList=["x"], status=400)
        self.assertIamError("ValidationError", self.iam.create_open_id_connect_provider, Url="not a url", ClientIDList=["x"], status=400,
                            message="Invalid Open ID Connect Provider URL")
        self.assertIamError("ValidationError", iam(validate=False).create_open_id_connect_provider, Url=self.url(), ThumbprintList=["abc"], status=400)
        self.assertIamError("InvalidInput", self.iam.create_open_id_connect_provider, Url=self.url(), ThumbprintList=["a" * 40] * 6, status=400,
                            message="Thumbprint list must contain fewer than 5 entries.")
        ghost = "arn:aws:iam::%s:oidc-provider/ghost-%s.example.com" % (self.account, uuid.uuid4().hex[:8])
        for call in (lambda: self.iam.get_open_id_connect_provider(OpenIDConnectProviderArn=ghost),
                     lambda: self.iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=ghost, ClientID="x"),
                     lambda: self.iam.tag_open_id_connect_provider(OpenIDConnectProviderArn=ghost, Tags=[{"Key": "k", "Value": "v"}])):
            self.assertIamError("NoSuchEntity", call, status=404)

    def test_provider_operations_need_iam_permission(self):
        url = self.url()
        nobody = self.new_principal("nobody")
        self.assertIamError("AccessDenied", nobody.client("iam").create_open_id_connect_provider, Url=url, ClientIDList=["x"], status=403)
        name = provider_name(url)
        allowed = self.new_principal("operator", allow("iam:CreateOpenIDConnectProvider", "arn:aws:iam::%s:oidc-provider/%s" % (self.account, name)))
        resp = allowed.client("iam").create_open_id_connect_provider(Url=url, ClientIDList=["x"])
        self.addCleanup(lambda: self.iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=resp["OpenIDConnectProviderArn"]))
        self.assertIamError("AccessDenied", allowed.client("iam").delete_open_id_connect_provider,
                            OpenIDConnectProviderArn=resp["OpenIDConnectProviderArn"], status=403)


class UnsignedPathTests(IAMTestCase):
    """Only AssumeRoleWithWebIdentity (and AssumeRoleWithSAML's clear refusal) are served without a signature."""

    def post(self, body, headers=None):
        data = body.encode("ascii") if isinstance(body, str) else urllib.parse.urlencode(body).encode("ascii")
        request = urllib.request.Request(endpoint() + "/", data=data, method="POST",
                                         headers=dict({"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}, **(headers or {})))
        try:
            with urllib.request.urlopen(request, timeout=30) as resp:
                return resp.status, resp.read().decode("utf-8")
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode("utf-8")

    def test_other_actions_unsigned_are_refused(self):
        user_name = self.iam_name("unsigned")
        self.track_user(user_name)
        attempts = {
            "GetCallerIdentity": {"Action": "GetCallerIdentity", "Version": "2011-06-15"},
            "AssumeRole": {"Action": "AssumeRole", "Version": "2011-06-15", "RoleArn": "arn:aws:iam::%s:role/x" % self.account, "RoleSessionName": "s"},
            "GetSessionToken": {"Action": "GetSessionToken", "Version": "2011-06-15"},
            "CreateUser": {"Action": "CreateUser", "Version": "2010-05-08", "UserName": user_name},
            "web identity with IAM's version": {"Action": "AssumeRoleWithWebIdentity", "Version": "2010-05-08"},
            "web identity without a version": {"Action": "AssumeRoleWithWebIdentity"},
            "lower-case action": {"Action": "assumerolewithwebidentity", "Version": "2011-06-15"},
            "CreateUser after the web identity action": "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&Action=CreateUser&UserName=" + user_name,
        }
        for what, body in attempts.items():
            with self.subTest(what=what):
                status, text = self.post(body)
                self.assertEqual(status, 403, text)
                self.assertIn("<Code>MissingAuthenticationToken</Code>", text)
        status, text = self.post({"Action": "AssumeRoleWithWebIdentity", "Version": "2011-06-15"},
                                 headers={"X-Amz-Target": "secretsmanager.ListSecrets"})
        self.assertGreaterEqual(status, 400, text)
        self.assertIn("MissingAuthenticationToken", text)
        self.assertIamError("NoSuchEntity", self.iam.get_user, UserName=user_name)

    def test_web_identity_action_last_wins_and_is_still_only_web_identity(self):
        user_name = self.iam_name("sneaky")
        self.track_user(user_name)
        status, text = self.post("Action=CreateUser&UserName=%s&Version=2011-06-15&Action=AssumeRoleWithWebIdentity" % user_name)
        self.assertEqual(status, 400, text)
        self.assertIn("<Code>ValidationError</Code>", text)
        self.assertIamError("NoSuchEntity", self.iam.get_user, UserName=user_name)

    def test_assume_role_with_saml_is_not_supported(self):
        err = self.assertAwsError("InvalidAction", unsigned_sts().assume_role_with_saml, RoleArn="arn:aws:iam::%s:role/x" % self.account,
                                  PrincipalArn="arn:aws:iam::%s:saml-provider/corp" % self.account, SAMLAssertion="PHNhbWw+" * 4, status=400)
        self.assertIn("AssumeRoleWithSAML is not supported", err["Message"])


class GetSessionTokenTests(IAMTestCase):
    def setUp(self):
        super().setUp()
        self.mine = self.create("mine", SecretString="user-secret")
        self.other = self.create("other", SecretString="not-for-user")
        self.user = self.new_principal("u", allow(["secretsmanager:GetSecretValue"], self.mine["ARN"]), allow("sts:AssumeRole", "*"))

    def test_session_credentials_carry_the_users_permissions(self):
        resp = self.user.sts().get_session_token()
        creds = resp["Credentials"]
        self.assertRegex(creds["AccessKeyId"], r"^ASIA[A-Z2-7]{16}$")
        self.assertClose(creds["Expiration"], _now() + datetime.timedelta(hours=12), 300, "Expiration")
        session = AwsCredentials(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
        who = session.sts().get_caller_identity()
        self.assertEqual(who["Arn"], self.user.arn)
        self.assertEqual(who["UserId"], self.user.user["UserId"])
        sm = session.client("secretsmanager")
        self.assertEqual(sm.get_secret_value(SecretId=self.mine["ARN"])["SecretString"], "user-secret")
        self.assertAwsError("AccessDeniedException", sm.get_secret_value, SecretId=self.other["ARN"])
        # As in AWS: no IAM without MFA, no second GetSessionToken from session credentials.
        self.assertIamError("InvalidClientTokenId", session.client("iam").list_users, status=403)
        self.assertIamError("AccessDenied", session.sts().get_session_token, status=403, message="Cannot call GetSessionToken with session credentials")
        # ...but a user session may assume a role.
        role = self.create_role(trust=trust_policy(self.user.arn))
        session.sts().assume_role(RoleArn=role["Arn"], RoleSessionName="from-session")

    def test_duration_and_mfa(self):
        short = self.user.sts().get_session_token(DurationSeconds=900)["Credentials"]
        self.assertClose(short["Expiration"], _now() + datetime.timedelta(seconds=900), 120, "Expiration")
        loose = self.user.sts(validate=False)
        self.assertIamError("ValidationError", loose.get_session_token, DurationSeconds=899, status=400)
        self.assertIamError("ValidationError", loose.get_session_token, DurationSeconds=129601, status=400)
        self.assertIamError("AccessDenied", self.user.sts().get_session_token, SerialNumber="arn:aws:iam::%s:mfa/u" % self.account,
                            TokenCode="123456", status=403)

    def test_role_sessions_cannot_get_session_tokens(self):
        role = self.create_role(trust=trust_policy(self.user.arn))
        session = AwsCredentials.from_sts(self.user.sts().assume_role(RoleArn=role["Arn"], RoleSessionName="s1"))
        self.assertIamError("AccessDenied", session.sts().get_session_token, status=403, message="Cannot call GetSessionToken with session credentials")


class AssumeRoleSessionTagTests(IAMTestCase):
    def setUp(self):
        super().setUp()
        self.blue = self.create("blue", SecretString="blue", Tags=[{"Key": "team", "Value": "blue"}])
        self.red = self.create("red", SecretString="red", Tags=[{"Key": "team", "Value": "red"}])
        self.user = self.new_principal("u")
        self.abac = policy_json(allow("secretsmanager:GetSecretValue", "*",
                                      condition={"StringEquals": {"secretsmanager:ResourceTag/team": "${aws:PrincipalTag/team}"}}))

    def tag_trust(self, *principals, allowed_values=("blue", "red")):
        return policy_json(
            {"Effect": "Allow", "Principal": {"AWS": list(principals)}, "Action": "sts:AssumeRole"},
            {"Effect": "Allow", "Principal": {"AWS": list(principals)}, "Action": "sts:TagSession",
             "Condition": {"StringEquals": {"aws:RequestTag/team": list(allowed_values)}}},
        )

    def abac_role(self, suffix, trust, tags=None):
        role = self.create_role(suffix, trust=trust, **({"Tags": tags} if tags else {}))
        self.iam.put_role_policy(RoleName=role["RoleName"], PolicyName="abac", PolicyDocument=self.abac)
        return role

    def test_session_tags_are_principal_tags_and_override_role_tags(self):
        role = self.abac_role("r", self.tag_trust(self.user.arn), tags=[{"Key": "Team", "Value": "red"}])
        as_role = AwsCredentials.from_sts(self.user.sts().assume_role(RoleArn=role["Arn"], RoleSessionName="plain"))
        self.assertEqual(as_role.client("secretsmanager").get_secret_value(SecretId=self.red["ARN"])["SecretString"], "red")
        tagged = AwsCredentials.from_sts(self.user.sts().assume_role(RoleArn=role["Arn"], RoleSessionName="tagged",
                                                                      Tags=[{"Key": "team", "Value": "blue"}]))
        sm = tagged.client("secretsmanager")
        self.assertEqual(sm.get_secret_value(SecretId=self.blue["ARN"])["SecretString"], "blue")
        self.assertAwsError("AccessDeniedException", sm.get_secret_value, SecretId=self.red["ARN"])

    def test_tagging_needs_sts_tag_session_and_request_tag_conditions_hold(self):
        untaggable = self.abac_role("plain", trust_policy(self.user.arn))
        err = self.assertIamError("AccessDenied", self.user.sts().assume_role, RoleArn=untaggable["Arn"], RoleSessionName="s1",
                                  Tags=[{"Key": "team", "Value": "blue"}], status=403)
        self.assertIn("sts:TagSession", err["Message"])
        role = self.abac_role("tags", self.tag_trust(self.user.arn))
        self.assertIamError("AccessDenied", self.user.sts().assume_role, RoleArn=role["Arn"], RoleSessionName="s1",
                            Tags=[{"Key": "team", "Value": "green"}], status=403)

    def test_invalid_tags_are_refused(self):
        role = self.abac_role("v", self.tag_trust(self.user.arn))
        sts = self.user.sts()
        self.assertIamError("ValidationError", sts.assume_role, RoleArn=role["Arn"], RoleSessionName="s1",
                            Tags=[{"Key": "aws:username", "Value": "admin"}], status=400)
        self.assertIamError("ValidationError", sts.assume_role, RoleArn=role["Arn"], RoleSessionName="s1",
                            Tags=[{"Key": "team", "Value": "blue"}, {"Key": "TEAM", "Value": "red"}], status=400,
                            message="Duplicate tag keys found. Please note that Tag keys are case insensitive.")
        self.assertIamError("ValidationError", sts.assume_role, RoleArn=role["Arn"], RoleSessionName="s1",
                            Tags=[{"Key": "bad#key", "Value": "x"}], status=400)

    def test_transitive_tags_pass_on_in_a_role_chain(self):
        first = self.create_role("first", trust=self.tag_trust(self.user.arn))
        second = self.abac_role("second", self.tag_trust("arn:aws:iam::%s:role/%s" % (self.account, first["RoleName"])))
        one = AwsCredentials.from_sts(self.user.sts().assume_role(RoleArn=first["Arn"], RoleSessionName="one",
                                                                   Tags=[{"Key": "team", "Value": "blue"}], TransitiveTagKeys=["team"]))
        two = AwsCredentials.from_sts(one.sts().assume_role(RoleArn=second["Arn"], RoleSessionName="two"))
        self.assertEqual(two.client("secretsmanager").get_secret_value(SecretId=self.blue["ARN"])["SecretString"], "blue")
        self.assertAwsError("AccessDeniedException", two.client("secretsmanager").get_secret_value, SecretId=self.red["ARN"])
        self.assertIamError("ValidationError", one.sts().assume_role, RoleArn=second["Arn"], RoleSessionName="three",
                            Tags=[{"Key": "team", "Value": "red"}], status=400)


class JwksFileServerTests(unittest.TestCase):
    """A server of its own, given a JWKS file for an issuer nothing can reach, and an extra known region."""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="strongroom-e2e-jwks-")
        cls.issuer_url = "https://cluster-%s.invalid" % uuid.uuid4().hex[:8]
        cls.key = SigningKey("ec")
        cls.jwks_file = os.path.join(cls.dir, "cluster-jwks.json")
        cls.write_jwks([cls.key])
        port = free_port()
        cls.endpoint = "http://127.0.0.1:%d" % port
        cls.log = open(os.path.join(cls.dir, "server.log"), "w")
        cls.server = subprocess.Popen(
            ["dotnet", STRONGROOM_DLL, "server", "--dev", "--listen", "127.0.0.1:%d" % port,
             "--oidc-jwks-file", "%s=%s" % (cls.issuer_url, cls.jwks_file), "--extra-regions", "eu-fake-1"],
            stdout=cls.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(cls.endpoint + "/health/ready", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline or cls.server.poll() is not None:
                cls.tearDownClass()
                raise AssertionError("the server with --oidc-jwks-file did not start")
            time.sleep(0.2)

    @classmethod
    def write_jwks(cls, keys):
        tmp = cls.jwks_file + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump({"keys": [k.jwk() for k in keys]}, f)
        os.replace(tmp, cls.jwks_file)

    @classmethod
    def tearDownClass(cls):
        cls.server.terminate()
        try:
            cls.server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            cls.server.kill()
            cls.server.wait()
        cls.log.close()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def client(self, service, region="us-east-1"):
        config = botocore.config.Config(retries={"total_max_attempts": 1, "mode": "standard"})
        return boto3.session.Session(aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY, region_name=region).client(
            service, endpoint_url=self.endpoint, config=config)

    def token(self, key, sub=SA_SUBJECT):
        now = int(time.time())
        claims = {"iss": self.issuer_url, "sub": sub, "aud": AUDIENCE, "iat": now, "exp": now + 600}
        return OidcIssuer.encode({"alg": key.alg, "kid": key.kid, "typ": "JWT"}, claims, key.sign)

    def test_air_gapped_issuer_keys_come_from_the_file_and_follow_it(self):
        iam = self.client("iam")
        provider = iam.create_open_id_connect_provider(Url=self.issuer_url, ClientIDList=[AUDIENCE])["OpenIDConnectProviderArn"]
        role = iam.create_role(RoleName="pods-%s" % uuid.uuid4().hex[:8], AssumeRolePolicyDocument=web_identity_trust(provider))["Role"]
        sts = unsigned_sts(self.endpoint)
        resp = sts.assume_role_with_web_identity(RoleArn=role["Arn"], RoleSessionName="pod", WebIdentityToken=self.token(self.key))
        self.assertEqual(resp["Provider"], provider)
        rotated = SigningKey("rsa")
        with self.assertRaises(ClientError) as caught:
            sts.assume_role_with_web_identity(RoleArn=role["Arn"], RoleSessionName="pod", WebIdentityToken=self.token(rotated))
        self.assertEqual(caught.exception.response["Error"]["Code"], "InvalidIdentityToken")
        # The cluster rotates its key; the operator replaces the file; no restart.
        self.write_jwks([rotated])
        os.utime(self.jwks_file, (time.time() + 5, time.time() + 5))
        resp = sts.assume_role_with_web_identity(RoleArn=role["Arn"], RoleSessionName="pod", WebIdentityToken=self.token(rotated))
        self.assertEqual(resp["SubjectFromWebIdentityToken"], SA_SUBJECT)

    def test_extra_region_is_a_known_replica_region(self):
        sm = self.client("secretsmanager")
        name = "t-%s/replicated" % uuid.uuid4().hex[:8]
        resp = sm.create_secret(Name=name, SecretString="v", AddReplicaRegions=[{"Region": "eu-fake-1"}])
        self.assertEqual([(r["Region"], r["Status"]) for r in resp["ReplicationStatus"]], [("eu-fake-1", "InSync")])
        self.assertEqual(self.client("secretsmanager", "eu-fake-1").get_secret_value(SecretId=name)["SecretString"], "v")
        with self.assertRaises(ClientError) as caught:
            sm.replicate_secret_to_regions(SecretId=name, AddReplicaRegions=[{"Region": "eu-fake-2"}])
        self.assertEqual((caught.exception.response["Error"]["Code"], caught.exception.response["Error"]["Message"]),
                         ("InvalidParameterException", "Invalid replica region."))


if __name__ == "__main__":
    unittest.main()
