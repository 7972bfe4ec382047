"""A PostgreSQL single-user rotation function written for AWS Lambda (the shape of AWS's
SecretsManagerRDSPostgreSQLRotationSingleUser template: boto3, PyGreSQL, lambda_handler(event, context)).

Nothing in it knows about Strongroom: it finds the endpoint in SECRETS_MANAGER_ENDPOINT and its
credentials in the standard AWS variables, exactly as on Lambda. Strongroom runs it through a
one-line wrapper:

    python3 -c 'import json,sys,postgresql_single_user as f; f.lambda_handler(json.load(sys.stdin), None)'
"""

import json
import logging
import os

import boto3
import pg
import pgdb

logger = logging.getLogger()
logger.setLevel(logging.INFO)


def lambda_handler(event, context):
    arn = event["SecretId"]
    token = event["ClientRequestToken"]
    step = event["Step"]

    service_client = boto3.client("secretsmanager", endpoint_url=os.environ["SECRETS_MANAGER_ENDPOINT"])

    metadata = service_client.describe_secret(SecretId=arn)
    if "RotationEnabled" in metadata and not metadata["RotationEnabled"]:
        logger.error("Secret %s is not enabled for rotation", arn)
        raise ValueError("Secret %s is not enabled for rotation" % arn)
    versions = metadata["VersionIdsToStages"]
    if token not in versions:
        logger.error("Secret version %s has no stage for rotation of secret %s.", token, arn)
        raise ValueError("Secret version %s has no stage for rotation of secret %s." % (token, arn))
    if "AWSCURRENT" in versions[token]:
        logger.info("Secret version %s already set as AWSCURRENT for secret %s.", token, arn)
        return
    elif "AWSPENDING" not in versions[token]:
        logger.error("Secret version %s not set as AWSPENDING for rotation of secret %s.", token, arn)
        raise ValueError("Secret version %s not set as AWSPENDING for rotation of secret %s." % (token, arn))

    if step == "createSecret":
        create_secret(service_client, arn, token)
    elif step == "setSecret":
        set_secret(service_client, arn, token)
    elif step == "testSecret":
        test_secret(service_client, arn, token)
    elif step == "finishSecret":
        finish_secret(service_client, arn, token)
    else:
        raise ValueError("Invalid step parameter %s for secret %s" % (step, arn))


def create_secret(service_client, arn, token):
    current_dict = get_secret_dict(service_client, arn, "AWSCURRENT")
    try:
        get_secret_dict(service_client, arn, "AWSPENDING", token)
        logger.info("createSecret: Successfully retrieved secret for %s.", arn)
    except service_client.exceptions.ResourceNotFoundException:
        exclude_characters = os.environ.get("EXCLUDE_CHARACTERS", ":/@\"'\\")
        passwd = service_client.get_random_password(ExcludeCharacters=exclude_characters)
        current_dict["password"] = passwd["RandomPassword"]
        service_client.put_secret_value(SecretId=arn, ClientRequestToken=token, SecretString=json.dumps(current_dict), VersionStages=["AWSPENDING"])
        logger.info("createSecret: Successfully put secret for ARN %s and version %s.", arn, token)


def set_secret(service_client, arn, token):
    try:
        previous_dict = get_secret_dict(service_client, arn, "AWSPREVIOUS")
    except (service_client.exceptions.ResourceNotFoundException, KeyError):
        previous_dict = None
    current_dict = get_secret_dict(service_client, arn, "AWSCURRENT")
    pending_dict = get_secret_dict(service_client, arn, "AWSPENDING", token)

    conn = get_connection(pending_dict)
    if conn:
        conn.close()
        logger.info("setSecret: AWSPENDING secret is already set as password in PostgreSQL DB for secret arn %s.", arn)
        return

    if current_dict["username"] != pending_dict["username"]:
        raise ValueError("Attempting to modify user %s other than current user %s" % (pending_dict["username"], current_dict["username"]))
    if current_dict["host"] != pending_dict["host"]:
        raise ValueError("Attempting to modify user for host %s other than current host %s" % (pending_dict["host"], current_dict["host"]))

    conn = get_connection(current_dict)
    if not conn and previous_dict:
        conn = get_connection(previous_dict)
    if not conn:
        logger.error("setSecret: Unable to log into database with previous, current, or pending secret of secret arn %s", arn)
        raise ValueError("Unable to log into database with previous, current, or pending secret of secret arn %s" % arn)

    try:
        with conn.cursor() as cur:
            alter_role = "ALTER USER %s" % ('"' + pending_dict["username"].replace('"', '""') + '"')
            cur.execute(alter_role + " WITH PASSWORD %s", (pending_dict["password"],))
            conn.commit()
            logger.info("setSecret: Successfully set password for user %s in PostgreSQL DB for secret arn %s.", pending_dict["username"], arn)
    finally:
        conn.close()


def test_secret(service_client, arn, token):
    conn = get_connection(get_secret_dict(service_client, arn, "AWSPENDING", token))
    if conn:
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT NOW()")
                conn.commit()
        finally:
            conn.close()
        logger.info("testSecret: Successfully signed into PostgreSQL DB with AWSPENDING secret in %s.", arn)
        return
    logger.error("testSecret: Unable to log into database with pending secret of secret ARN %s", arn)
    raise ValueError("Unable to log into database with pending secret of secret ARN %s" % arn)


def finish_secret(service_client, arn, token):
    metadata = service_client.describe_secret(SecretId=arn)
    current_version = None
    for version in metadata["VersionIdsToStages"]:
        if "AWSCURRENT" in metadata["VersionIdsToStages"][version]:
            if version == token:
                logger.info("finishSecret: Version %s already marked as AWSCURRENT for %s", version, arn)
                return
            current_version = version
            break
    service_client.update_secret_version_stage(SecretId=arn, VersionStage="AWSCURRENT", MoveToVersionId=token, RemoveFromVersionId=current_version)
    logger.info("finishSecret: Successfully set AWSCURRENT stage to version %s for secret %s.", token, arn)


def get_connection(secret_dict):
    port = int(secret_dict["port"]) if "port" in secret_dict else 5432
    dbname = secret_dict["dbname"] if "dbname" in secret_dict else "postgres"
    try:
        return pgdb.connect(host=secret_dict["host"], user=secret_dict["username"], password=secret_dict["password"],
                            database=dbname, port=port, connect_timeout=5)
    except pg.InternalError:
        return None


def get_secret_dict(service_client, arn, stage, token=None):
    required_fields = ["host", "username", "password"]
    if token:
        secret = service_client.get_secret_value(SecretId=arn, VersionId=token, VersionStage=stage)
    else:
        secret = service_client.get_secret_value(SecretId=arn, VersionStage=stage)
    secret_dict = json.loads(secret["SecretString"])
    for field in required_fields:
        if field not in secret_dict:
            raise KeyError("%s key is missing from secret JSON" % field)
    supported_engines = ["postgres", "aurora-postgresql"]
    if "engine" not in secret_dict or secret_dict["engine"] not in supported_engines:
        raise KeyError("Database engine must be set to 'postgres' in order to use this rotation lambda")
    return secret_dict
