"""The wire itself (§1): awsJson1.1 framing, error shape, HTTP status, SigV4 rejections.

These tests build and sign requests by hand (botocore's SigV4Auth) so they can look at the
raw bytes that other SDKs (Java, .NET, JS) depend on and that boto3 would hide.
"""

import base64
import json
import unittest
import urllib.error
import urllib.request
import uuid

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from helpers import (
    ACCESS_KEY,
    DEV_SERVER,
    MARKED_FOR_DELETION_MESSAGE,
    NOT_FOUND_MESSAGE,
    REGION,
    SECRET_KEY,
    SMTestCase,
    endpoint,
    iam,
    new_token,
    sm,
    sts,
    unique_name,
)


class RawResponse:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = {k.lower(): v for k, v in headers.items()}
        self.body = body

    @property
    def json(self):
        return json.loads(self.body.decode("utf-8"))

    @property
    def error_type(self):
        t = self.json.get("__type", "")
        return t.split("#")[-1].split(":")[0]


def raw_call(operation, payload, sign=True, access_key=ACCESS_KEY, secret_key=SECRET_KEY, region=REGION,
             target_prefix="secretsmanager."):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode("utf-8")
    headers = {"Content-Type": "application/x-amz-json-1.1"}
    if operation is not None:
        headers["X-Amz-Target"] = target_prefix + operation
    request = AWSRequest(method="POST", url=endpoint() + "/", data=body, headers=headers)
    if sign:
        SigV4Auth(Credentials(access_key, secret_key), "secretsmanager", region).add_auth(request)
    prepared = request.prepare()
    req = urllib.request.Request(prepared.url, data=prepared.body, headers=dict(prepared.headers), method="POST")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return RawResponse(resp.status, dict(resp.headers), resp.read())
    except urllib.error.HTTPError as err:
        return RawResponse(err.code, dict(err.headers), err.read())


class WireFormatTests(SMTestCase):
    def test_success_response_framing(self):
        name = self.name()
        resp = raw_call("CreateSecret", {"Name": name, "SecretString": "v", "ClientRequestToken": new_token()})
        self.assertEqual(resp.status, 200, resp.body)
        self.addCleanup(lambda: self.client.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True))
        self.assertTrue(resp.headers.get("content-type", "").startswith("application/x-amz-json-1.1"))
        self.assertTrue(resp.headers.get("x-amzn-requestid"), "x-amzn-RequestId header missing")
        self.assertEqual(resp.json["Name"], name)

    def test_timestamps_are_json_numbers(self):
        created = self.create(SecretString="v")
        resp = raw_call("DescribeSecret", {"SecretId": created["ARN"]})
        self.assertEqual(resp.status, 200, resp.body)
        for key in ("CreatedDate", "LastChangedDate"):
            value = resp.json[key]
            self.assertIsInstance(value, (int, float), "%s must be epoch seconds, got %r" % (key, value))
            self.assertNotIsInstance(value, bool)
        got = raw_call("GetSecretValue", {"SecretId": created["ARN"]})
        self.assertIsInstance(got.json["CreatedDate"], (int, float))

    def test_blob_is_base64_on_the_wire(self):
        data = b"\x00\x01binary\xfe\xff"
        name = self.name()
        resp = raw_call("CreateSecret", {
            "Name": name, "SecretBinary": base64.b64encode(data).decode(), "ClientRequestToken": new_token(),
        })
        self.assertEqual(resp.status, 200, resp.body)
        self.addCleanup(lambda: self.client.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True))
        self.assertEqual(self.client.get_secret_value(SecretId=name)["SecretBinary"], data)
        got = raw_call("GetSecretValue", {"SecretId": name}).json
        self.assertEqual(base64.b64decode(got["SecretBinary"]), data)
        self.assertNotIn("SecretString", got)

    def test_empty_object_body_and_unknown_members(self):
        for payload in ({}, {"PasswordLength": 12, "NotAModelMember": True}):
            with self.subTest(payload=payload):
                resp = raw_call("GetRandomPassword", payload)
                self.assertEqual(resp.status, 200, resp.body)
                self.assertIsInstance(resp.json["RandomPassword"], str)
        self.assertEqual(len(raw_call("GetRandomPassword", {"PasswordLength": 12}).json["RandomPassword"]), 12)

    def test_error_response_shape(self):
        resp = raw_call("GetSecretValue", {"SecretId": unique_name("missing")})
        self.assertEqual(resp.status, 400, resp.body)
        self.assertTrue(resp.headers.get("content-type", "").startswith("application/x-amz-json-1.1"))
        self.assertTrue(resp.headers.get("x-amzn-requestid"), "x-amzn-RequestId header missing")
        self.assertEqual(resp.error_type, "ResourceNotFoundException")
        self.assertEqual(resp.json.get("Message"), NOT_FOUND_MESSAGE, "Secrets Manager sends `Message`")

    def test_modeled_errors_are_http_400(self):
        created = self.create(SecretString="v")
        doomed = self.create("doomed", SecretString="v")
        self.client.delete_secret(SecretId=doomed["ARN"], RecoveryWindowInDays=7)
        cases = [
            ("ResourceNotFoundException", lambda: self.client.describe_secret(SecretId=unique_name("missing"))),
            ("InvalidParameterException", lambda: self.client.delete_secret(
                SecretId=created["ARN"], RecoveryWindowInDays=3)),
            ("InvalidRequestException", lambda: self.client.get_secret_value(SecretId=doomed["ARN"])),
            ("ResourceExistsException", lambda: self.client.create_secret(Name=created["Name"], SecretString="x")),
            ("InvalidNextTokenException", lambda: self.client.list_secrets(NextToken="not-a-token-%%%")),
            ("MalformedPolicyDocumentException", lambda: self.client.put_resource_policy(
                SecretId=created["ARN"], ResourcePolicy="{not json")),
        ]
        for code, call in cases:
            with self.subTest(code=code):
                self.assertAwsError(code, call, status=400)

    def test_marked_for_deletion_message_on_the_wire(self):
        doomed = self.create(SecretString="v")
        self.client.delete_secret(SecretId=doomed["ARN"], RecoveryWindowInDays=7)
        resp = raw_call("GetSecretValue", {"SecretId": doomed["ARN"]})
        self.assertEqual((resp.status, resp.error_type), (400, "InvalidRequestException"))
        self.assertEqual(resp.json.get("Message"), MARKED_FOR_DELETION_MESSAGE)

    def test_unknown_operation(self):
        resp = raw_call("DoSomethingElse", {})
        self.assertEqual(resp.status, 400, resp.body)
        self.assertEqual(resp.error_type, "UnknownOperationException")

    def test_body_that_is_not_json_is_serialization_exception(self):
        resp = raw_call("GetRandomPassword", b"{this is not json")
        self.assertEqual(resp.status, 400, resp.body)
        self.assertEqual(resp.error_type, "SerializationException")

    def test_member_of_wrong_json_type_is_serialization_exception(self):
        resp = raw_call("GetRandomPassword", {"PasswordLength": "twelve"})
        self.assertEqual(resp.status, 400, resp.body)
        self.assertEqual(resp.error_type, "SerializationException")

    def test_value_without_client_request_token_is_invalid_request(self):
        # SDKs always send a token; a raw request without one is refused (§3.4).
        created = self.create(SecretString="v")
        resp = raw_call("PutSecretValue", {"SecretId": created["ARN"], "SecretString": "no-token"})
        self.assertEqual(resp.status, 400, resp.body)
        self.assertEqual(resp.error_type, "InvalidRequestException")
        self.assertEqual(self.client.get_secret_value(SecretId=created["ARN"])["SecretString"], "v")


class AuthenticationTests(SMTestCase):
    def test_unsigned_request_is_refused(self):
        resp = raw_call("GetRandomPassword", {}, sign=False)
        self.assertIn(resp.status, (400, 403), resp.body)
        self.assertEqual(resp.error_type, "MissingAuthenticationTokenException")

    def test_wrong_secret_key_is_invalid_signature(self):
        client = sm(secret_key="not-the-secret")
        self.assertAwsError("InvalidSignatureException", client.get_random_password)

    def test_unknown_access_key_is_the_admin_only_on_a_dev_server(self):
        # `server --dev` accepts any access key id as the admin (what LocalStack/moto suites need); a normal
        # server never does (test.sh runs this suite against both: STRONGROOM_E2E_DEV=1 for the dev server on
        # SQLite, 0 for the normal server on PostgreSQL). A known key with a wrong secret is refused by both
        # (test_wrong_secret_key_is_invalid_signature).
        access_key = "AKIAUNKNOWN" + uuid.uuid4().hex[:8].upper()
        client = sm(access_key=access_key)
        if DEV_SERVER:
            self.assertEqual(len(client.get_random_password(PasswordLength=12)["RandomPassword"]), 12)
            self.assertTrue(sts(access_key=access_key).get_caller_identity()["Arn"].endswith(":user/admin"))
        else:
            self.assertAwsError("UnrecognizedClientException", client.get_random_password, status=400)
            self.assertAwsError("InvalidClientTokenId", sts(access_key=access_key).get_caller_identity, status=403)
            self.assertAwsError("InvalidClientTokenId", iam(access_key=access_key).list_users, status=403)

    def test_tampered_body_is_invalid_signature(self):
        body = json.dumps({"PasswordLength": 12}).encode()
        request = AWSRequest(method="POST", url=endpoint() + "/", data=body, headers={
            "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "secretsmanager.GetRandomPassword",
        })
        SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "secretsmanager", REGION).add_auth(request)
        prepared = request.prepare()
        tampered = body.replace(b"12", b"13")
        req = urllib.request.Request(prepared.url, data=tampered, headers=dict(prepared.headers), method="POST")
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                self.fail("tampered request accepted: %s" % resp.read()[:200])
        except urllib.error.HTTPError as err:
            r = RawResponse(err.code, dict(err.headers), err.read())
        self.assertEqual(r.status, 400, r.body)
        self.assertEqual(r.error_type, "InvalidSignatureException")


if __name__ == "__main__":
    unittest.main()
