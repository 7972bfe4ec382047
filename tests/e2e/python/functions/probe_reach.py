"""A rotation function written for AWS Lambda that records what its credentials reach before it rotates.

Each step appends one JSON line to the file named by PROBE_REPORT: the step, and for each probe the
outcome — "ok" or the error code the server answered. The probes are a read of the secret being
rotated, a read of the secret named by PROBE_OTHER (a secret the function has no business reading),
kms:ListKeys and iam:ListUsers. Then it rotates the secret like a function for a plain string value:
createSecret puts a new random value on AWSPENDING, finishSecret moves AWSCURRENT to it.

It finds the endpoint in SECRETS_MANAGER_ENDPOINT and its credentials in the standard AWS variables,
exactly as on Lambda.
"""

import json
import os

import boto3
from botocore.exceptions import ClientError


def _outcome(call):
    try:
        call()
        return "ok"
    except ClientError as e:
        return e.response.get("Error", {}).get("Code", "unknown")


def lambda_handler(event, context):
    arn, token, step = event["SecretId"], event["ClientRequestToken"], event["Step"]
    endpoint = os.environ["SECRETS_MANAGER_ENDPOINT"]
    sm = boto3.client("secretsmanager", endpoint_url=endpoint)
    report = {
        "step": step,
        "own": _outcome(lambda: sm.get_secret_value(SecretId=arn)),
        "other": _outcome(lambda: sm.get_secret_value(SecretId=os.environ["PROBE_OTHER"])),
        "kms": _outcome(lambda: boto3.client("kms", endpoint_url=endpoint).list_keys()),
        "iam": _outcome(lambda: boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1").list_users()),
    }
    with open(os.environ["PROBE_REPORT"], "a") as out:
        out.write(json.dumps(report) + "\n")

    stages = sm.describe_secret(SecretId=arn)["VersionIdsToStages"]
    if "AWSCURRENT" in stages.get(token, []):
        return
    if step == "createSecret":
        try:
            sm.get_secret_value(SecretId=arn, VersionId=token, VersionStage="AWSPENDING")
        except ClientError:
            password = sm.get_random_password(PasswordLength=24)["RandomPassword"]
            sm.put_secret_value(SecretId=arn, ClientRequestToken=token, SecretString=password, VersionStages=["AWSPENDING"])
    elif step == "finishSecret":
        current = next(v for v, s in stages.items() if "AWSCURRENT" in s)
        sm.update_secret_version_stage(SecretId=arn, VersionStage="AWSCURRENT", MoveToVersionId=token, RemoveFromVersionId=current)
