"""Shared helpers for Strongroom's Python end-to-end tests.

The suite talks to a running server whose URL is in the environment variable
STRONGROOM_ENDPOINT (e.g. http://127.0.0.1:4566), through the clients users really
have: boto3 and the AWS CLI (v1 via ``python -m awscli``, v2 at /usr/bin/aws).

Rules every test follows:
  * it never depends on state it did not create: each secret name starts with a
    fresh ``t-<uuid8>/`` prefix, and ListSecrets/BatchGetSecretValue assertions
    filter by that prefix;
  * it never skips: a missing endpoint or a missing CLI is a failure;
  * it never sleeps.
"""

import base64
import concurrent.futures
import contextlib
import datetime
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import unittest
import uuid

import boto3
import botocore.config
from botocore.exceptions import ClientError

# Hide this module's frames (assertAwsError & co.) from unittest tracebacks.
__unittest = True

REGION = "us-east-1"
ACCESS_KEY = "test"
SECRET_KEY = "test"
CLI_V2_PATH = "/usr/bin/aws"

# Texts that real AWS sends and that clients may match on (spec §3.2, §3.4, §3.6).
NOT_FOUND_MESSAGE = "Secrets Manager can't find the specified secret."
MARKED_FOR_DELETION_MESSAGE = (
    "You can't perform this operation on the secret because it was marked for deletion."
)

# arn:aws:secretsmanager:<region>:<12-digit account>:secret:<name>-<6 alnum>
ARN_RE = re.compile(
    r"^arn:aws:secretsmanager:(?P<region>[a-z]+(?:-[a-z]+)*-\d+):(?P<account>\d{12}):"
    r"secret:(?P<name>[A-Za-z0-9/_+=.@-]+)-(?P<suffix>[A-Za-z0-9]{6})$"
)

# arn:aws:kms:<region>:<12-digit account>:key/<uuid> and ...:alias/<name> (KMS spec §3.1).
KMS_KEY_ID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
KMS_KEY_ARN_RE = re.compile(
    r"^arn:aws:kms:(?P<region>[a-z]+(?:-[a-z]+)*-\d+):(?P<account>\d{12}):key/(?P<key_id>[0-9a-f-]{36})$"
)
KMS_ALIAS_ARN_RE = re.compile(
    r"^arn:aws:kms:(?P<region>[a-z]+(?:-[a-z]+)*-\d+):(?P<account>\d{12}):(?P<alias>alias/[A-Za-z0-9:/_-]+)$"
)
# The AWS managed key that only Secrets Manager may use (KMS spec §3.8).
SECRETSMANAGER_MANAGED_ALIAS = "alias/aws/secretsmanager"


# Error codes a server may legitimately use for a plain constraint violation
# (length, range, pattern, enum) that botocore does not check itself (spec §1.4/§1.5).
VALIDATION_CODES = ("InvalidParameterException", "ValidationException")

CLI_ERROR_RE = re.compile(
    r"An error occurred \((?P<code>[^)]+)\) when calling the (?P<operation>\w+) operation: (?P<message>.*)"
)


# --------------------------------------------------------------------------- env


def _empty_config_file():
    fd, path = tempfile.mkstemp(prefix="strongroom-e2e-", suffix=".cfg")
    os.close(fd)
    return path


_EMPTY_CONFIG = _empty_config_file()

# Keep the user's ~/.aws config, profiles and endpoint variables out of this process:
# boto3 gets explicit credentials and endpoint, but a config file could still change
# retries, validation or TLS settings.
# AWS_CA_BUNDLE is kept: an https endpoint with a private CA needs it.
_KEEP = {"AWS_CA_BUNDLE"}
for _key in list(os.environ):
    if _key.startswith("AWS_") and _key not in _KEEP:
        del os.environ[_key]
os.environ["AWS_CONFIG_FILE"] = _EMPTY_CONFIG
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = _EMPTY_CONFIG
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"


# The server under test is `server --dev` (unknown access key ids that do not look issued act as the admin) unless
# STRONGROOM_E2E_DEV=0, as for test.sh's normal server on PostgreSQL, which refuses them.
DEV_SERVER = os.environ.get("STRONGROOM_E2E_DEV", "1") == "1"


def endpoint():
    url = os.environ.get("STRONGROOM_ENDPOINT", "").strip()
    if not url:
        raise AssertionError(
            "STRONGROOM_ENDPOINT is not set: export it to the server URL, e.g. http://127.0.0.1:4566"
        )
    return url.rstrip("/")


# ----------------------------------------------------------------------- clients

_clients = {}
_clients_lock = threading.Lock()


def _client(service, region, validate, access_key, secret_key):
    """One cached boto3 client per (service, region, validation, credentials), pointed at the server.

    Retries are off: a test must see the server's first answer, and fast.
    """
    key = (service, region, validate, access_key, secret_key)
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            config = botocore.config.Config(
                retries={"total_max_attempts": 1, "mode": "standard"},
                parameter_validation=validate,
                connect_timeout=10,
                read_timeout=60,
            )
            session = boto3.session.Session(
                aws_access_key_id=access_key,
                aws_secret_access_key=secret_key,
                region_name=region,
            )
            client = session.client(service, endpoint_url=endpoint(), config=config)
            _clients[key] = client
        return client


def sm(region=REGION, validate=True, access_key=ACCESS_KEY, secret_key=SECRET_KEY):
    """A boto3 Secrets Manager client pointed at the server.

    validate=False turns off botocore's client-side parameter checks so that a test
    can send values that violate `min` constraints and see what the *server* says.
    """
    return _client("secretsmanager", region, validate, access_key, secret_key)


def kms(region=REGION, validate=True, access_key=ACCESS_KEY, secret_key=SECRET_KEY):
    """A boto3 KMS client pointed at the server (same settings as `sm`)."""
    return _client("kms", region, validate, access_key, secret_key)


def cloudtrail(region=REGION):
    """A boto3 CloudTrail client pointed at the server (same settings as `sm`)."""
    return _client("cloudtrail", region, True, ACCESS_KEY, SECRET_KEY)


def ssm(region=REGION, validate=True, access_key=ACCESS_KEY, secret_key=SECRET_KEY):
    """A boto3 SSM (Parameter Store) client pointed at the server (same settings as `sm`)."""
    return _client("ssm", region, validate, access_key, secret_key)


def unique_prefix():
    """A fresh name prefix `t-<uuid8>/` that no other test uses."""
    return "t-%s/" % uuid.uuid4().hex[:8]


def unique_name(suffix="secret"):
    return unique_prefix() + suffix


def new_token():
    """A ClientRequestToken as SDKs make them (UUID4, 36 chars)."""
    return str(uuid.uuid4())


def partial_arn(arn):
    """The ARN without its trailing `-XXXXXX` (spec §3.2)."""
    m = ARN_RE.match(arn)
    if not m:
        raise AssertionError("not a Secrets Manager ARN: %r" % arn)
    return arn[: -(len(m.group("suffix")) + 1)]


def arn_in_region(arn, region):
    parts = arn.split(":")
    parts[3] = region
    return ":".join(parts)


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc)


def error_code(exc):
    return exc.response.get("Error", {}).get("Code")


def error_message(exc):
    return exc.response.get("Error", {}).get("Message")


# ----------------------------------------------------------------------- cleanup


def cleanup_secret(secret_id, region=REGION):
    """Best-effort removal of a secret a test created (never raises).

    A primary with replicas can't be deleted, so its replicas are removed first.
    """
    client = sm(region)
    try:
        try:
            desc = client.describe_secret(SecretId=secret_id)
        except ClientError:
            desc = {}
        regions = [r["Region"] for r in desc.get("ReplicationStatus", []) if r.get("Region")]
        primary = desc.get("PrimaryRegion")
        if regions and (primary is None or primary == region):
            try:
                client.remove_regions_from_replication(SecretId=secret_id, RemoveReplicaRegions=regions)
            except ClientError:
                pass
        client.delete_secret(SecretId=secret_id, ForceDeleteWithoutRecovery=True)
    except Exception:  # noqa: BLE001 - cleanup must never turn a pass into an error
        pass


# --------------------------------------------------------------------- base class


class SMTestCase(unittest.TestCase):
    """Base class: a client, a per-test unique prefix, helpers to create and assert."""

    region = REGION
    maxDiff = None

    def setUp(self):
        self.client = sm(self.region)
        self.prefix = unique_prefix()

    # -- names and secrets

    def name(self, suffix="secret"):
        return self.prefix + suffix

    def create(self, suffix="secret", region=None, cleanup=True, **kwargs):
        """CreateSecret with a unique name; returns the response. Cleans up afterwards."""
        region = region or self.region
        kwargs.setdefault("Name", self.name(suffix))
        resp = sm(region).create_secret(**kwargs)
        if cleanup:
            self.addCleanup(cleanup_secret, resp["ARN"], region)
        return resp

    def versions_to_stages(self, secret_id, client=None):
        desc = (client or self.client).describe_secret(SecretId=secret_id)
        return {k: sorted(v) for k, v in desc.get("VersionIdsToStages", {}).items()}

    # -- assertions

    def assertAwsError(self, codes, func, *args, message=None, message_contains=None,
                       status=None, **kwargs):
        """Call func and assert it fails with one of `codes` (a str or a tuple).

        Also asserts, if given, the exact message and the HTTP status (the 400 that
        spec §1.4 requires is checked once per code in test_protocol, not everywhere).
        Returns the botocore error dict.
        """
        if isinstance(codes, str):
            codes = (codes,)
        try:
            result = func(*args, **kwargs)
        except ClientError as exc:
            err = exc.response.get("Error", {})
            self.assertIn(
                err.get("Code"), codes,
                "expected %s, got %s: %s" % ("/".join(codes), err.get("Code"), err.get("Message")),
            )
            if status is not None:
                got = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
                self.assertEqual(got, status, "HTTP status of %s" % err.get("Code"))
            if message is not None:
                self.assertEqual(err.get("Message"), message)
            if message_contains is not None:
                self.assertIn(message_contains, err.get("Message") or "")
            return err
        result = dict(result or {})
        result.pop("ResponseMetadata", None)
        self.fail("expected %s, but the call succeeded: %r" % ("/".join(codes), result))

    def assertNotFound(self, func, *args, **kwargs):
        return self.assertAwsError(
            "ResourceNotFoundException", func, *args, message=NOT_FOUND_MESSAGE, **kwargs
        )

    def assertArn(self, arn, name=None, region=None):
        m = ARN_RE.match(arn or "")
        self.assertIsNotNone(m, "bad secret ARN %r" % arn)
        if name is not None:
            self.assertEqual(m.group("name"), name)
        self.assertEqual(m.group("region"), region or self.region)
        return m

    def assertRecent(self, value, minutes=5, what="timestamp"):
        self.assertIsInstance(value, datetime.datetime, what)
        self.assertIsNotNone(value.tzinfo, "%s must be timezone-aware" % what)
        delta = abs((utcnow() - value).total_seconds())
        self.assertLess(delta, minutes * 60, "%s %s is not within %d min of now" % (what, value, minutes))

    def assertClose(self, value, expected, seconds=300, what="timestamp"):
        self.assertIsInstance(value, datetime.datetime, what)
        self.assertIsNotNone(value.tzinfo, "%s must be timezone-aware" % what)
        delta = abs((value - expected).total_seconds())
        self.assertLess(delta, seconds, "%s %s is not within %ds of %s" % (what, value, seconds, expected))


# --------------------------------------------------------------------------- KMS


def cleanup_key(key_id, aliases=(), region=REGION):
    """Best-effort removal of a KMS key a test created (never raises).

    Keys can't be deleted at once: the aliases go now, the key is scheduled for deletion
    with the shortest window (7 days).
    """
    client = kms(region)
    for alias in aliases:
        try:
            client.delete_alias(AliasName=alias)
        except Exception:  # noqa: BLE001
            pass
    if key_id is None:
        return
    try:
        client.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    except Exception:  # noqa: BLE001 - cleanup must never turn a pass into an error
        pass


class KMSTestCase(SMTestCase):
    """SMTestCase plus a KMS client (`self.kms`) and helpers for keys and aliases.

    Every key a test creates is scheduled for deletion afterwards; every alias it
    creates through `create_alias` is deleted. Alias names are `alias/<unique prefix>...`.
    """

    def setUp(self):
        super().setUp()
        self.kms = kms(self.region)

    def create_key(self, cleanup=True, **kwargs):
        """CreateKey; returns KeyMetadata. Scheduled for deletion afterwards."""
        meta = self.kms.create_key(**kwargs)["KeyMetadata"]
        if cleanup:
            self.addCleanup(cleanup_key, meta["Arn"], (), self.region)
        return meta

    def alias_name(self, suffix="key"):
        return "alias/" + self.prefix + suffix

    def create_alias(self, key_id, suffix="key"):
        """CreateAlias with a unique name for key_id; returns the alias name. Deleted afterwards."""
        name = self.alias_name(suffix)
        self.kms.create_alias(AliasName=name, TargetKeyId=key_id)
        self.addCleanup(cleanup_key, None, (name,), self.region)
        return name

    def describe_key(self, key_id):
        return self.kms.describe_key(KeyId=key_id)["KeyMetadata"]

    def alias_arn(self, meta, alias_name):
        """The alias ARN `arn:aws:kms:<region>:<account>:alias/<name>` for the key's account."""
        return "arn:aws:kms:%s:%s:%s" % (self.region, meta["AWSAccountId"], alias_name)

    def assertKeyArn(self, arn, key_id=None, region=None):
        m = KMS_KEY_ARN_RE.match(arn or "")
        self.assertIsNotNone(m, "bad KMS key ARN %r" % arn)
        self.assertEqual(m.group("region"), region or self.region)
        if key_id is not None:
            self.assertEqual(m.group("key_id"), key_id)
        return m


# --------------------------------------------------------------------------- CLI


class CliResult:
    def __init__(self, argv, returncode, stdout, stderr):
        self.argv = argv
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr

    @property
    def json(self):
        text = self.stdout.strip()
        if not text:
            return {}
        try:
            return json.loads(text)
        except ValueError as exc:
            raise AssertionError("CLI printed non-JSON output: %r (%s)" % (text[:500], exc))

    @property
    def error(self):
        """(code, operation, message) parsed from stderr, or None."""
        m = CLI_ERROR_RE.search(self.stderr)
        if not m:
            return None
        return m.group("code"), m.group("operation"), m.group("message").strip()

    def describe(self):
        return "argv=%r rc=%s\nstdout=%s\nstderr=%s" % (
            self.argv, self.returncode, self.stdout[-2000:], self.stderr[-2000:]
        )


def cli_env(version):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") or k in _KEEP}
    if version == 2:
        # Debian's CLI runs on /usr/bin/python3: never hand it our interpreter's paths.
        env.pop("PYTHONPATH", None)
        env.pop("PYTHONHOME", None)
    env.update(
        AWS_ACCESS_KEY_ID=ACCESS_KEY,
        AWS_SECRET_ACCESS_KEY=SECRET_KEY,
        AWS_CONFIG_FILE=_EMPTY_CONFIG,
        AWS_SHARED_CREDENTIALS_FILE=_EMPTY_CONFIG,
        AWS_EC2_METADATA_DISABLED="true",
        AWS_PAGER="",
        LC_ALL="C.UTF-8",
        LANG="C.UTF-8",
    )
    return env


def cli_command(version):
    if version == 1:
        return [sys.executable, "-m", "awscli"]
    if version == 2:
        if not os.path.exists(CLI_V2_PATH):
            raise AssertionError(
                "AWS CLI v2 not found at %s (Debian package `awscli`): the v2 tests cannot run"
                % CLI_V2_PATH
            )
        return [CLI_V2_PATH]
    raise ValueError("CLI version must be 1 or 2, not %r" % (version,))


def run_cli(version, *args, region=REGION, timeout=120, credentials_file=None, profile=None):
    """Run `aws <args>` with the given CLI major version against the server.

    By default the CLI signs as the admin (`test`/`test` in the environment). With
    `credentials_file` (a shared-credentials file, see `write_credentials_file`) the CLI reads
    its credentials from that file instead, from `profile` if given (`--profile`), else `default`.
    """
    argv = cli_command(version) + [str(a) for a in args] + [
        "--endpoint-url", endpoint(), "--region", region, "--output", "json",
    ]
    if profile is not None:
        argv += ["--profile", profile]
    env = cli_env(version)
    if credentials_file is not None:
        # Environment credentials win over the file: take them away.
        env.pop("AWS_ACCESS_KEY_ID", None)
        env.pop("AWS_SECRET_ACCESS_KEY", None)
        env.pop("AWS_SESSION_TOKEN", None)
        env["AWS_SHARED_CREDENTIALS_FILE"] = credentials_file
    proc = subprocess.run(
        argv, env=env, stdin=subprocess.DEVNULL,
        capture_output=True, text=True, timeout=timeout,
    )
    return CliResult(argv, proc.returncode, proc.stdout, proc.stderr)


def write_credentials_file(profiles):
    """A temporary AWS shared-credentials file; returns its path (the caller deletes it).

    `profiles` maps a profile name to an `AwsCredentials` (or to a dict of file keys).
    """
    fd, path = tempfile.mkstemp(prefix="strongroom-e2e-", suffix=".credentials")
    lines = []
    for name, creds in profiles.items():
        entries = creds.file_entries() if hasattr(creds, "file_entries") else dict(creds)
        lines.append("[%s]" % name)
        lines.extend("%s = %s" % (k, v) for k, v in entries.items())
        lines.append("")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    os.chmod(path, 0o600)
    return path


# Exit status of the CLI on a service error (observed: v2 254, v1 255).
CLI_ERROR_EXIT = {1: (255, 254), 2: (254,)}


def b64(data):
    return base64.b64encode(data).decode("ascii")


@contextlib.contextmanager
def temp_file(data):
    fd, path = tempfile.mkstemp(prefix="strongroom-e2e-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        yield path
    finally:
        os.unlink(path)


# ------------------------------------------------------------------ Parameter Store

# arn:aws:ssm:<region>:<12-digit account>:parameter/<name without its leading slash> (SSM spec §3.1).
SSM_PARAMETER_ARN_RE = re.compile(
    r"^arn:aws:ssm:(?P<region>[a-z]+(?:-[a-z]+)*-\d+):(?P<account>\d{12}):parameter/(?P<name>[A-Za-z0-9_.\-/]+)$"
)
# The AWS managed key Parameter Store uses for SecureString by default (SSM spec §2.1 PutParameter).
SSM_MANAGED_ALIAS = "alias/aws/ssm"


def unique_parameter_path():
    """A fresh hierarchy `/t-<uuid8>` that no other test uses (parameter names go below it)."""
    return "/t-%s" % uuid.uuid4().hex[:8]


def cleanup_parameters(names, region=REGION):
    """Best-effort removal of parameters a test created (never raises); 10 names per call."""
    names = list(names)
    client = ssm(region)
    for i in range(0, len(names), 10):
        try:
            client.delete_parameters(Names=names[i:i + 10])
        except Exception:  # noqa: BLE001 - cleanup must never turn a pass into an error
            pass


class SSMTestCase(KMSTestCase):
    """KMSTestCase plus a Parameter Store client (`self.ssm`) and a per-test hierarchy `self.path`.

    Every parameter name a test makes through `pname` lives below `/t-<uuid8>/`; parameters created
    through `put` are deleted afterwards (best effort).
    """

    def setUp(self):
        super().setUp()
        self.ssm = ssm(self.region)
        self.path = "/" + self.prefix.rstrip("/")  # the same t-<uuid8> as self.prefix
        self._parameters = []
        self.addCleanup(lambda: cleanup_parameters(self._parameters, self.region))

    def pname(self, suffix="p"):
        return self.path + "/" + suffix

    def track(self, *names):
        """Delete these parameter names when the test ends (for parameters made another way)."""
        self._parameters.extend(names)

    def put(self, name, value="v", type="String", **kwargs):
        """PutParameter(Name=name, Value=value, Type=type, ...); returns the response. Deleted afterwards."""
        kwargs.setdefault("Name", name)
        kwargs.setdefault("Value", value)
        if type is not None:
            kwargs.setdefault("Type", type)
        if kwargs["Name"] not in self._parameters:
            self._parameters.append(kwargs["Name"])
        return self.ssm.put_parameter(**kwargs)

    def get(self, name, decrypt=None):
        kwargs = {"Name": name}
        if decrypt is not None:
            kwargs["WithDecryption"] = decrypt
        return self.ssm.get_parameter(**kwargs)["Parameter"]

    def describe(self, *filters, **kwargs):
        """Every DescribeParameters result (all pages) for the given ParameterFilters."""
        pages = self.ssm.get_paginator("describe_parameters").paginate(
            ParameterFilters=list(filters), **kwargs)
        return [p for page in pages for p in page.get("Parameters", [])]

    def describe_one(self, name):
        found = self.describe({"Key": "Name", "Option": "Equals", "Values": [name]})
        self.assertEqual([p["Name"] for p in found], [name], "DescribeParameters Name=%s" % name)
        return found[0]

    def history(self, name, **kwargs):
        pages = self.ssm.get_paginator("get_parameter_history").paginate(Name=name, **kwargs)
        return [p for page in pages for p in page.get("Parameters", [])]

    def tags_of(self, name):
        tags = self.ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=name)["TagList"]
        return {t["Key"]: t["Value"] for t in tags}

    def assertParameterArn(self, arn, name, region=None):
        m = SSM_PARAMETER_ARN_RE.match(arn or "")
        self.assertIsNotNone(m, "bad parameter ARN %r" % arn)
        self.assertEqual(m.group("region"), region or self.region)
        self.assertEqual(m.group("name"), name[1:] if name.startswith("/") else name)
        return m



# ------------------------------------------------------------------------ IAM and STS

# IAM is global and STS is signed for us-east-1 too: both SigV4 scopes say us-east-1.
IAM_REGION = "us-east-1"

# Strongroom-issued access key ids: long-term (users) and temporary (AssumeRole).
ISSUED_ACCESS_KEY_RE = re.compile(r"^AKIA[A-Z2-7]{16}$")
SESSION_ACCESS_KEY_RE = re.compile(r"^ASIA[A-Z2-7]{16}$")
ACCOUNT_RE = re.compile(r"^\d{12}$")

# What a refused (unknown, inactive, deleted, tampered) credential gets (sigv4 spec §5).
INVALID_TOKEN_MESSAGE = "The security token included in the request is invalid."
# Query protocol (IAM, STS) and JSON protocol (Secrets Manager, KMS, SSM, CloudTrail) codes for it.
INVALID_TOKEN_QUERY = "InvalidClientTokenId"
INVALID_TOKEN_JSON = "UnrecognizedClientException"


def _client_config(validate=True):
    return botocore.config.Config(
        retries={"total_max_attempts": 1, "mode": "standard"},
        parameter_validation=validate,
        connect_timeout=10,
        read_timeout=60,
    )


def _new_client(service, region, validate, access_key, secret_key, session_token=None):
    session = boto3.session.Session(
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        aws_session_token=session_token,
        region_name=region,
    )
    return session.client(service, endpoint_url=endpoint(), config=_client_config(validate))


def _cached_client(service, region, validate, access_key, secret_key, session_token=None):
    key = ("query", service, region, validate, access_key, secret_key, session_token)
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            client = _new_client(service, region, validate, access_key, secret_key, session_token)
            _clients[key] = client
        return client


def iam(validate=True, access_key=ACCESS_KEY, secret_key=SECRET_KEY, session_token=None):
    """A boto3 IAM client pointed at the server (Query protocol; signed for us-east-1)."""
    return _cached_client("iam", IAM_REGION, validate, access_key, secret_key, session_token)


def sts(validate=True, access_key=ACCESS_KEY, secret_key=SECRET_KEY, session_token=None, region=IAM_REGION):
    """A boto3 STS client pointed at the server (Query protocol; signed for us-east-1)."""
    return _cached_client("sts", region, validate, access_key, secret_key, session_token)


class AwsCredentials:
    """One principal's credentials (a user's access key or an AssumeRole session) and clients that sign with them.

    Clients are made once per credentials object and service; they are not shared with the
    admin's cached clients. `arn` and `name` are filled by the code that made the principal.
    """

    def __init__(self, access_key_id, secret_access_key, session_token=None, arn=None, name=None):
        self.access_key_id = access_key_id
        self.secret_access_key = secret_access_key
        self.session_token = session_token
        self.arn = arn
        self.name = name
        self._clients = {}
        self._lock = threading.Lock()

    @classmethod
    def from_access_key(cls, access_key, arn=None):
        """From CreateAccessKey's AccessKey."""
        return cls(access_key["AccessKeyId"], access_key["SecretAccessKey"], arn=arn, name=access_key.get("UserName"))

    @classmethod
    def from_sts(cls, response):
        """From an AssumeRole response (its Credentials and AssumedRoleUser)."""
        c = response["Credentials"]
        user = response.get("AssumedRoleUser") or {}
        return cls(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"], arn=user.get("Arn"))

    def replace(self, **changes):
        """A copy with some of access_key_id/secret_access_key/session_token changed."""
        values = dict(access_key_id=self.access_key_id, secret_access_key=self.secret_access_key,
                      session_token=self.session_token, arn=self.arn, name=self.name)
        values.update(changes)
        return AwsCredentials(**values)

    def client(self, service, region=REGION, validate=True):
        if service in ("iam", "sts"):
            region = IAM_REGION
        key = (service, region, validate)
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                client = _new_client(service, region, validate, self.access_key_id,
                                     self.secret_access_key, self.session_token)
                self._clients[key] = client
            return client

    def sm(self, region=REGION):
        return self.client("secretsmanager", region)

    def kms(self, region=REGION):
        return self.client("kms", region)

    def ssm(self, region=REGION):
        return self.client("ssm", region)

    def iam(self):
        return self.client("iam")

    def sts(self, validate=True):
        return self.client("sts", validate=validate)

    def cloudtrail(self, region=REGION):
        return self.client("cloudtrail", region)

    def file_entries(self):
        """The keys of a shared-credentials file profile."""
        entries = {"aws_access_key_id": self.access_key_id, "aws_secret_access_key": self.secret_access_key}
        if self.session_token:
            entries["aws_session_token"] = self.session_token
        return entries

    def __repr__(self):
        return "AwsCredentials(%s, %s)" % (self.access_key_id, self.arn)


def clients_for(access_key, secret_key, session_token=None):
    """Clients that sign with the given credentials: `clients_for(...).sm()`, `.kms()`, `.ssm()`, `.iam()`, `.sts()`."""
    return AwsCredentials(access_key, secret_key, session_token)


def alter_one_character(text, index=None):
    """`text` with one character changed (the middle one by default) to another of the same kind."""
    i = len(text) // 2 if index is None else index
    ch = text[i]
    if ch.isdigit():
        new = "7" if ch != "7" else "3"
    elif ch.isalpha():
        new = ("B" if ch != "B" else "C") if ch.isupper() else ("b" if ch != "b" else "c")
    else:
        new = "A"
    return text[:i] + new + text[i + 1:]


_account = []


def account_id():
    """The server's account id, as the admin's GetCallerIdentity tells it (asked once)."""
    with _clients_lock:
        if _account:
            return _account[0]
    value = sts().get_caller_identity()["Account"]
    with _clients_lock:
        if not _account:
            _account.append(value)
        return _account[0]


# -- policy documents


def statement(effect, actions, resources=None, condition=None, principal=None, sid=None, **extra):
    """One IAM policy statement; `actions`/`resources` may be a str or a list."""
    st = {"Effect": effect}
    if sid:
        st["Sid"] = sid
    if principal is not None:
        st["Principal"] = principal
    st["Action"] = actions
    if resources is not None:
        st["Resource"] = resources
    if condition is not None:
        st["Condition"] = condition
    st.update(extra)
    return st


def allow(actions, resources="*", condition=None, **extra):
    return statement("Allow", actions, resources, condition, **extra)


def deny(actions, resources="*", condition=None, **extra):
    return statement("Deny", actions, resources, condition, **extra)


def policy_document(*statements):
    """A policy document (dict) with Version 2012-10-17."""
    return {"Version": "2012-10-17", "Statement": list(statements)}


def policy_json(*statements):
    return json.dumps(policy_document(*statements))


def trust_policy(*principal_arns, action="sts:AssumeRole"):
    """A role trust policy letting the given principals assume the role."""
    principals = list(principal_arns)
    return policy_json({
        "Effect": "Allow",
        "Principal": {"AWS": principals[0] if len(principals) == 1 else principals},
        "Action": action,
    })


def access_denied_message(principal_arn, action, resource):
    """AWS's text for an implicit deny (no identity-based policy allows the action)."""
    return ("User: %s is not authorized to perform: %s on resource: %s "
            "because no identity-based policy allows the %s action" % (principal_arn, action, resource, action))


# -- cleanup


def _quiet(func, *args, **kwargs):
    try:
        return func(*args, **kwargs)
    except Exception:  # noqa: BLE001 - cleanup must never turn a pass into an error
        return None


def _items(func, key, **kwargs):
    resp = _quiet(func, **kwargs)
    return (resp or {}).get(key, [])


def cleanup_user(name):
    """Best-effort removal of an IAM user with its keys, policies and group memberships (never raises)."""
    client = iam()
    for k in _items(client.list_access_keys, "AccessKeyMetadata", UserName=name):
        _quiet(client.delete_access_key, UserName=name, AccessKeyId=k["AccessKeyId"])
    for p in _items(client.list_user_policies, "PolicyNames", UserName=name):
        _quiet(client.delete_user_policy, UserName=name, PolicyName=p)
    for p in _items(client.list_attached_user_policies, "AttachedPolicies", UserName=name):
        _quiet(client.detach_user_policy, UserName=name, PolicyArn=p["PolicyArn"])
    for g in _items(client.list_groups_for_user, "Groups", UserName=name):
        _quiet(client.remove_user_from_group, GroupName=g["GroupName"], UserName=name)
    _quiet(client.delete_user, UserName=name)


def cleanup_group(name):
    client = iam()
    for u in _items(client.get_group, "Users", GroupName=name):
        _quiet(client.remove_user_from_group, GroupName=name, UserName=u["UserName"])
    for p in _items(client.list_group_policies, "PolicyNames", GroupName=name):
        _quiet(client.delete_group_policy, GroupName=name, PolicyName=p)
    for p in _items(client.list_attached_group_policies, "AttachedPolicies", GroupName=name):
        _quiet(client.detach_group_policy, GroupName=name, PolicyArn=p["PolicyArn"])
    _quiet(client.delete_group, GroupName=name)


def cleanup_role(name):
    client = iam()
    for p in _items(client.list_role_policies, "PolicyNames", RoleName=name):
        _quiet(client.delete_role_policy, RoleName=name, PolicyName=p)
    for p in _items(client.list_attached_role_policies, "AttachedPolicies", RoleName=name):
        _quiet(client.detach_role_policy, RoleName=name, PolicyArn=p["PolicyArn"])
    _quiet(client.delete_role, RoleName=name)


def cleanup_policy(arn):
    """Best-effort removal of a managed policy: its non-default versions first (never raises)."""
    client = iam()
    versions = _items(client.list_policy_versions, "Versions", PolicyArn=arn)
    if not versions:
        versions = [{"VersionId": "v%d" % i, "IsDefaultVersion": False} for i in range(2, 7)]
    for v in versions:
        if not v.get("IsDefaultVersion"):
            _quiet(client.delete_policy_version, PolicyArn=arn, VersionId=v["VersionId"])
    _quiet(client.delete_policy, PolicyArn=arn)


class IAMTestCase(SSMTestCase):
    """SSMTestCase plus admin IAM/STS clients (`self.iam`, `self.sts`) and helpers for principals.

    IAM names are `t-<uuid8>-<suffix>` (the same t-<uuid8> as `self.prefix`); everything a test
    makes through these helpers is removed afterwards (users, groups and roles before policies).
    """

    def setUp(self):
        super().setUp()
        self.iam = iam()
        self.sts = sts()
        self.tag = self.prefix.rstrip("/")
        self.iam_path = "/%s/" % self.tag
        self._users, self._groups, self._roles, self._policies = [], [], [], []
        self.addCleanup(self._cleanup_iam)

    def _cleanup_iam(self):
        for name in self._users:
            cleanup_user(name)
        for name in self._groups:
            cleanup_group(name)
        for name in self._roles:
            cleanup_role(name)
        for arn in self._policies:
            cleanup_policy(arn)

    @property
    def account(self):
        return account_id()

    def iam_name(self, suffix="user"):
        return "%s-%s" % (self.tag, suffix)

    def track_user(self, name):
        self._users.append(name)

    def create_user(self, suffix="user", **kwargs):
        """CreateUser with a unique name; returns User. Removed afterwards."""
        kwargs.setdefault("UserName", self.iam_name(suffix))
        self._users.append(kwargs["UserName"])
        return self.iam.create_user(**kwargs)["User"]

    def create_group(self, suffix="group", **kwargs):
        kwargs.setdefault("GroupName", self.iam_name(suffix))
        self._groups.append(kwargs["GroupName"])
        return self.iam.create_group(**kwargs)["Group"]

    def create_role(self, suffix="role", trust=None, **kwargs):
        """CreateRole; `trust` is a policy JSON (default: trusts nobody but the account root)."""
        kwargs.setdefault("RoleName", self.iam_name(suffix))
        if trust is None:
            trust = trust_policy("arn:aws:iam::%s:root" % self.account)
        kwargs.setdefault("AssumeRolePolicyDocument", trust)
        self._roles.append(kwargs["RoleName"])
        return self.iam.create_role(**kwargs)["Role"]

    def create_policy(self, suffix="policy", document=None, **kwargs):
        """CreatePolicy (managed); `document` is a dict or JSON. Returns Policy. Removed afterwards."""
        kwargs.setdefault("PolicyName", self.iam_name(suffix))
        if document is not None:
            kwargs["PolicyDocument"] = document if isinstance(document, str) else json.dumps(document)
        policy = self.iam.create_policy(**kwargs)["Policy"]
        self._policies.append(policy["Arn"])
        return policy

    def create_key_for(self, user_name):
        """CreateAccessKey for the user; returns AwsCredentials (arn filled by GetUser)."""
        key = self.iam.create_access_key(UserName=user_name)["AccessKey"]
        return AwsCredentials.from_access_key(key)

    def new_principal(self, suffix="user", *statements, managed=(), groups=(), **user_kwargs):
        """A user with an access key and, if statements are given, an inline policy `inline` of them.

        `managed` are managed policy ARNs to attach, `groups` group names to join.
        Returns AwsCredentials with `.arn` and `.name` set.
        """
        user = self.create_user(suffix, **user_kwargs)
        if statements:
            self.iam.put_user_policy(UserName=user["UserName"], PolicyName="inline",
                                     PolicyDocument=policy_json(*statements))
        for arn in managed:
            self.iam.attach_user_policy(UserName=user["UserName"], PolicyArn=arn)
        for group in groups:
            self.iam.add_user_to_group(GroupName=group, UserName=user["UserName"])
        key = self.iam.create_access_key(UserName=user["UserName"])["AccessKey"]
        creds = AwsCredentials.from_access_key(key, arn=user["Arn"])
        creds.name = user["UserName"]
        creds.user = user
        return creds

    def credentials_file(self, profiles):
        """write_credentials_file(profiles), deleted when the test ends."""
        path = write_credentials_file(profiles)
        self.addCleanup(_quiet, os.unlink, path)
        return path

    def assertIamError(self, codes, func, *args, status=None, message=None, message_contains=None, **kwargs):
        """assertAwsError for the Query protocol (same checks; a separate name for readability)."""
        return self.assertAwsError(codes, func, *args, status=status, message=message,
                                   message_contains=message_contains, **kwargs)

    def assertAccessDenied(self, func, *args, code="AccessDeniedException", **kwargs):
        return self.assertAwsError(code, func, *args, **kwargs)


class ServiceCliMixin:
    """Runs `aws SERVICE ...` with CLI major version VERSION; assertion helpers shared by the CLI suites."""

    VERSION = None  # 1 or 2
    SERVICE = None  # e.g. "kms"

    def aws(self, *args, **kwargs):
        return run_cli(self.VERSION, self.SERVICE, *args, **kwargs)

    def ok(self, *args, **kwargs):
        result = self.aws(*args, **kwargs)
        self.assertEqual(result.returncode, 0, result.describe())
        return result.json

    def parallel(self, *arg_lists):
        with concurrent.futures.ThreadPoolExecutor(max_workers=len(arg_lists)) as pool:
            return list(pool.map(lambda a: self.aws(*a), arg_lists))

    def all_ok(self, results):
        for r in results:
            self.assertEqual(r.returncode, 0, r.describe())
        return [r.json for r in results]

    def assertCliError(self, result, code, operation, message=None):
        self.assertIn(result.returncode, CLI_ERROR_EXIT[self.VERSION], result.describe())
        parsed = result.error
        self.assertIsNotNone(parsed, "no 'An error occurred (...)' line:\n" + result.describe())
        self.assertEqual(parsed[0], code, result.describe())
        self.assertEqual(parsed[1], operation)
        if message is not None:
            self.assertEqual(parsed[2], message)
        self.assertEqual(result.stdout.strip(), "")

    def assertNoOutput(self, result):
        self.assertEqual(result.returncode, 0, result.describe())
        self.assertEqual(result.stdout.strip(), "", result.describe())
