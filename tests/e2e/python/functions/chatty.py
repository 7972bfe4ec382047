"""A rotation function that says too much: it prints the password it sets, on every step, to both streams.

Run as a command function (`python3 -c 'import chatty; chatty.main()'`). createSecret puts
{"username": "app", "password": <random>} on AWSPENDING; finishSecret moves AWSCURRENT to it. Every
step prints the pending password to standard output and the whole pending JSON to standard error, and
also the run's secret access key, as a careless function might. CHATTY_FAIL_STEP names a step that
then exits 1 after printing. The server must keep what it printed only with all of that masked.
"""

import json
import os
import sys

import boto3


def main():
    event = json.load(sys.stdin)
    arn, token, step = event["SecretId"], event["ClientRequestToken"], event["Step"]
    sm = boto3.client("secretsmanager", endpoint_url=os.environ["SECRETS_MANAGER_ENDPOINT"])
    if step == "createSecret":
        stages = sm.describe_secret(SecretId=arn)["VersionIdsToStages"]
        if "AWSPENDING" not in stages.get(token, []) or not _has_value(sm, arn, token):
            password = sm.get_random_password(PasswordLength=24, ExcludePunctuation=True)["RandomPassword"]
            sm.put_secret_value(SecretId=arn, ClientRequestToken=token, SecretString=json.dumps({"username": "app", "password": password}),
                                VersionStages=["AWSPENDING"])
    pending = sm.get_secret_value(SecretId=arn, VersionId=token, VersionStage="AWSPENDING")["SecretString"]
    print(f"{step}: the new password is {json.loads(pending)['password']}")
    print(f"{step}: pending secret {pending}", file=sys.stderr)
    print(f"{step}: my secret key is {os.environ['AWS_SECRET_ACCESS_KEY']}", file=sys.stderr)
    if step == os.environ.get("CHATTY_FAIL_STEP"):
        print(f"{step}: giving up", file=sys.stderr)
        sys.exit(1)
    if step == "finishSecret":
        stages = sm.describe_secret(SecretId=arn)["VersionIdsToStages"]
        current = next(v for v, s in stages.items() if "AWSCURRENT" in s)
        if current != token:
            sm.update_secret_version_stage(SecretId=arn, VersionStage="AWSCURRENT", MoveToVersionId=token, RemoveFromVersionId=current)


def _has_value(sm, arn, token):
    try:
        sm.get_secret_value(SecretId=arn, VersionId=token, VersionStage="AWSPENDING")
        return True
    except sm.exceptions.ResourceNotFoundException:
        return False
