"""A Lambda-style rotation function for the console's browser tests: createSecret stages a fresh random password
as AWSPENDING, finishSecret moves AWSCURRENT to it (setSecret and testSecret have no target system to touch).
Strongroom runs it as a command function with the event on standard input and the function's own credentials in
the environment; it calls back with boto3 like a function written for AWS Lambda."""

import json
import os
import sys

import boto3


def main():
    event = json.load(sys.stdin)
    arn, token, step = event["SecretId"], event["ClientRequestToken"], event["Step"]
    client = boto3.client("secretsmanager", endpoint_url=os.environ["SECRETS_MANAGER_ENDPOINT"], region_name=os.environ["AWS_REGION"])
    if step == "createSecret":
        try:
            client.get_secret_value(SecretId=arn, VersionId=token, VersionStage="AWSPENDING")
        except client.exceptions.ResourceNotFoundException:
            password = client.get_random_password(PasswordLength=24, ExcludePunctuation=True)["RandomPassword"]
            client.put_secret_value(SecretId=arn, ClientRequestToken=token, SecretString=json.dumps({"password": password}), VersionStages=["AWSPENDING"])
    elif step == "finishSecret":
        stages = client.describe_secret(SecretId=arn)["VersionIdsToStages"]
        current = next(version for version, labels in stages.items() if "AWSCURRENT" in labels)
        if current != token:
            client.update_secret_version_stage(SecretId=arn, VersionStage="AWSCURRENT", MoveToVersionId=token, RemoveFromVersionId=current)


if __name__ == "__main__":
    main()
