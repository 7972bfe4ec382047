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


def sm(region=REGION, validate=True, access_key=ACCESS_KEY, secret_key=SECRET_KEY):
    """A boto3 Secrets Manager client pointed at the server.

    validate=False turns off botocore's client-side parameter checks so that a test
    can send values that violate `min` constraints and see what the *server* says.
    Retries are off: a test must see the server's first answer, and fast.
    """
    key = (region, validate, access_key, secret_key)
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
            client = session.client("secretsmanager", endpoint_url=endpoint(), config=config)
            _clients[key] = client
        return client


def kms(region=REGION, validate=True, access_key=ACCESS_KEY, secret_key=SECRET_KEY):
    """A boto3 KMS client pointed at the server (same settings as `sm`)."""
    key = ("kms", region, validate, access_key, secret_key)
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
            client = session.client("kms", endpoint_url=endpoint(), config=config)
            _clients[key] = client
        return client


def cloudtrail(region=REGION):
    """A boto3 CloudTrail client pointed at the server (same settings as `sm`)."""
    key = ("cloudtrail", region)
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            config = botocore.config.Config(retries={"total_max_attempts": 1, "mode": "standard"}, connect_timeout=10, read_timeout=60)
            session = boto3.session.Session(aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY, region_name=region)
            client = session.client("cloudtrail", endpoint_url=endpoint(), config=config)
            _clients[key] = client
        return client


def ssm(region=REGION, validate=True, access_key=ACCESS_KEY, secret_key=SECRET_KEY):
    """A boto3 SSM (Parameter Store) client pointed at the server (same settings as `sm`)."""
    key = ("ssm", region, validate, access_key, secret_key)
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
            client = session.client("ssm", endpoint_url=endpoint(), config=config)
            _clients[key] = client
        return client


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


def run_cli(version, *args, region=REGION, timeout=120):
    """Run `aws <args>` with the given CLI major version against the server."""
    argv = cli_command(version) + [str(a) for a in args] + [
        "--endpoint-url", endpoint(), "--region", region, "--output", "json",
    ]
    proc = subprocess.run(
        argv, env=cli_env(version), stdin=subprocess.DEVNULL,
        capture_output=True, text=True, timeout=timeout,
    )
    return CliResult(argv, proc.returncode, proc.stdout, proc.stderr)


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
        return [p for page in pages for p in page["Parameters"]]

    def describe_one(self, name):
        found = self.describe({"Key": "Name", "Option": "Equals", "Values": [name]})
        self.assertEqual([p["Name"] for p in found], [name], "DescribeParameters Name=%s" % name)
        return found[0]

    def history(self, name, **kwargs):
        pages = self.ssm.get_paginator("get_parameter_history").paginate(Name=name, **kwargs)
        return [p for page in pages for p in page["Parameters"]]

    def tags_of(self, name):
        tags = self.ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=name)["TagList"]
        return {t["Key"]: t["Value"] for t in tags}

    def assertParameterArn(self, arn, name, region=None):
        m = SSM_PARAMETER_ARN_RE.match(arn or "")
        self.assertIsNotNone(m, "bad parameter ARN %r" % arn)
        self.assertEqual(m.group("region"), region or self.region)
        self.assertEqual(m.group("name"), name[1:] if name.startswith("/") else name)
        return m

