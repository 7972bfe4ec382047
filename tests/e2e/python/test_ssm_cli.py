"""`aws ssm` Parameter Store commands through the AWS CLI v1 (`python -m awscli`) and v2 (Debian's 2.9.19).

As in test_cli.py, setup goes through boto3 and only the commands under test through the CLI;
independent CLI calls run concurrently. Errors are checked by exit status and the
`An error occurred (<Code>) when calling the <Operation> operation: ...` line on stderr.
"""

import concurrent.futures
import json
import unittest

from helpers import SSM_MANAGED_ALIAS, ServiceCliMixin, SSMTestCase
from test_cli import parse_iso

WITH_DECRYPTION_MESSAGE = "WithDecryption flag must be True for retrieving a Secret Manager secret."


class SsmCliMixin(ServiceCliMixin):
    """`aws ssm ...` commands."""

    SERVICE = "ssm"


class ParameterCommandsMixin(SsmCliMixin):
    """put/get/get-parameters/history/labels/delete/tags."""

    def test_put_get_and_overwrite(self):
        name = self.pname("cli/db/url")
        self.track(name)
        created = self.ok("put-parameter", "--name", name, "--value", "jdbc-one", "--type", "String",
                          "--description", "made by the CLI")
        self.assertEqual(created, {"Version": 1, "Tier": "Standard"})
        exists, overwritten = self.parallel(
            ("put-parameter", "--name", name, "--value", "jdbc-two", "--type", "String"),
            ("put-parameter", "--name", name, "--value", "jdbc-two", "--overwrite"),
        )
        self.assertCliError(exists, "ParameterAlreadyExists", "PutParameter")
        self.assertEqual(overwritten.returncode, 0, overwritten.describe())
        self.assertEqual(overwritten.json, {"Version": 2, "Tier": "Standard"})
        latest, first, missing, no_version = self.parallel(
            ("get-parameter", "--name", name),
            ("get-parameter", "--name", name + ":1"),
            ("get-parameter", "--name", self.pname("missing")),
            ("get-parameter", "--name", name + ":9"),
        )
        p = self.all_ok([latest])[0]["Parameter"]
        self.assertEqual((p["Name"], p["Type"], p["Value"], p["Version"]), (name, "String", "jdbc-two", 2))
        self.assertParameterArn(p["ARN"], name)
        self.assertRecent(parse_iso(p["LastModifiedDate"]), what="CLI LastModifiedDate")
        p1 = self.all_ok([first])[0]["Parameter"]
        self.assertEqual((p1["Name"], p1["Selector"], p1["Value"], p1["Version"]), (name, ":1", "jdbc-one", 1))
        self.assertCliError(missing, "ParameterNotFound", "GetParameter")
        self.assertCliError(no_version, "ParameterVersionNotFound", "GetParameter")
        self.assertEqual(self.describe_one(name)["Description"], "made by the CLI")

    def test_secure_string_and_get_parameters(self):
        sec, plain, missing = self.pname("sec"), self.pname("plain"), self.pname("missing")
        self.track(sec)
        self.put(plain, "a,b", "StringList")
        self.ok("put-parameter", "--name", sec, "--value", "cli-secret-1", "--type", "SecureString")
        hidden, many = self.all_ok(self.parallel(
            ("get-parameter", "--name", sec),
            ("get-parameters", "--names", sec, missing, plain, "--with-decryption"),
        ))
        self.assertEqual(hidden["Parameter"]["Type"], "SecureString")
        self.assertNotIn("cli-secret-1", hidden["Parameter"]["Value"])
        self.assertEqual(self.get(sec, True)["Value"], "cli-secret-1")
        self.assertEqual({p["Name"]: p["Value"] for p in many["Parameters"]}, {sec: "cli-secret-1", plain: "a,b"})
        self.assertEqual(many["InvalidParameters"], [missing])
        self.assertEqual(self.describe_one(sec).get("KeyId"), SSM_MANAGED_ALIAS)

    def test_history_and_labels(self):
        name = self.pname("labelled")
        self.put(name, "cli-secret-v1", "SecureString", Description="first")
        self.put(name, "cli-secret-v2", "SecureString", Overwrite=True)
        self.put(name, "cli-secret-v3", "SecureString", Overwrite=True)
        labelled = self.ok("label-parameter-version", "--name", name, "--parameter-version", "1",
                           "--labels", "prod", "stable", "1bad", "awsbad")
        self.assertEqual(labelled["ParameterVersion"], 1)
        self.assertEqual(sorted(labelled.get("InvalidLabels", [])), ["1bad", "awsbad"])
        latest = self.ok("label-parameter-version", "--name", name, "--labels", "prod")  # moves it to v3
        self.assertEqual(latest["ParameterVersion"], 3)
        by_label, clear, hidden, no_version, missing = self.parallel(
            ("get-parameter", "--name", name + ":prod", "--with-decryption"),
            ("get-parameter-history", "--name", name, "--with-decryption"),
            ("get-parameter-history", "--name", name),
            ("label-parameter-version", "--name", name, "--parameter-version", "4", "--labels", "x"),
            ("get-parameter-history", "--name", self.pname("missing")),
        )
        self.assertCliError(no_version, "ParameterVersionNotFound", "LabelParameterVersion")
        self.assertCliError(missing, "ParameterNotFound", "GetParameterHistory")
        p = self.all_ok([by_label])[0]["Parameter"]
        self.assertEqual((p["Selector"], p["Value"], p["Version"]), (":prod", "cli-secret-v3", 3))
        out = self.all_ok([clear])[0]
        self.assertNotIn("NextToken", out)
        h = out["Parameters"]
        self.assertEqual([(x["Version"], x["Value"], sorted(x.get("Labels", []))) for x in h],
                         [(1, "cli-secret-v1", ["stable"]), (2, "cli-secret-v2", []), (3, "cli-secret-v3", ["prod"])])
        self.assertEqual(h[0].get("Description"), "first")
        self.assertEqual([x["Type"] for x in h], ["SecureString"] * 3)
        for x in self.all_ok([hidden])[0]["Parameters"]:
            self.assertNotIn("cli-secret", x["Value"])
        unlabelled = self.ok("unlabel-parameter-version", "--name", name, "--parameter-version", "1",
                             "--labels", "stable", "prod")
        self.assertEqual(unlabelled.get("RemovedLabels"), ["stable"])
        self.assertEqual(unlabelled.get("InvalidLabels"), ["prod"])
        self.assertEqual([x.get("Labels", []) for x in self.history(name)], [[], [], ["prod"]])

    def test_delete_parameter_and_parameters(self):
        a, b, c, missing = self.pname("a"), self.pname("b"), self.pname("c"), self.pname("missing")
        for n in (a, b, c):
            self.put(n)
        self.assertNoOutput(self.aws("delete-parameter", "--name", a))
        again, many = self.parallel(
            ("delete-parameter", "--name", a),
            ("delete-parameters", "--names", b, missing, c),
        )
        self.assertCliError(again, "ParameterNotFound", "DeleteParameter")
        out = self.all_ok([many])[0]
        self.assertEqual(sorted(out["DeletedParameters"]), [b, c])
        self.assertEqual(out["InvalidParameters"], [missing])
        self.assertEqual(self.ssm.get_parameters(Names=[a, b, c]).get("Parameters", []), [])

    def test_tags(self):
        name, missing = self.pname("tagged"), self.pname("missing")
        self.put(name, Tags=[{"Key": "env", "Value": "dev"}])
        self.assertNoOutput(self.aws("add-tags-to-resource", "--resource-type", "Parameter", "--resource-id", name,
                                     "--tags", "Key=env,Value=prod", "Key=team,Value=core"))
        listed = self.ok("list-tags-for-resource", "--resource-type", "Parameter", "--resource-id", name)
        self.assertEqual(sorted((t["Key"], t["Value"]) for t in listed["TagList"]), [("env", "prod"), ("team", "core")])
        removed, unknown = self.parallel(
            ("remove-tags-from-resource", "--resource-type", "Parameter", "--resource-id", name, "--tag-keys", "env"),
            ("list-tags-for-resource", "--resource-type", "Parameter", "--resource-id", missing),
        )
        self.assertNoOutput(removed)
        self.assertCliError(unknown, "InvalidResourceId", "ListTagsForResource")
        self.assertEqual(self.tags_of(name), {"team": "core"})


class HierarchyCommandsMixin(SsmCliMixin):
    """get-parameters-by-path, describe-parameters, tiers, the Secrets Manager bridge, error lines."""

    def make_tree(self):
        root = self.pname("app")
        names = [root + "/top%02d" % i for i in range(7)] + [root + "/sub/s%02d" % i for i in range(6)]
        with concurrent.futures.ThreadPoolExecutor(max_workers=6) as pool:
            list(pool.map(lambda n: self.put(n, "v-" + n.rsplit("/", 1)[1]), names))
        self.put(root + "/sub/secret", "tree-secret", "SecureString")
        return root, names

    def test_get_parameters_by_path(self):
        root, names = self.make_tree()
        recursive, one_level, secure = self.all_ok(self.parallel(
            ("get-parameters-by-path", "--path", root, "--recursive", "--with-decryption", "--page-size", "4"),
            ("get-parameters-by-path", "--path", root, "--page-size", "3"),
            ("get-parameters-by-path", "--path", root, "--recursive",
             "--parameter-filters", "Key=Type,Option=Equals,Values=SecureString"),
        ))
        self.assertEqual(sorted(p["Name"] for p in recursive["Parameters"]), sorted(names + [root + "/sub/secret"]))
        self.assertNotIn("NextToken", recursive)  # the CLI follows every page
        values = {p["Name"]: p["Value"] for p in recursive["Parameters"]}
        self.assertEqual(values[root + "/sub/secret"], "tree-secret")
        self.assertEqual(values[root + "/sub/s00"], "v-s00")
        self.assertEqual(sorted(p["Name"] for p in one_level["Parameters"]), sorted(n for n in names if "/top" in n))
        self.assertEqual([p["Name"] for p in secure["Parameters"]], [root + "/sub/secret"])
        self.assertNotIn("tree-secret", secure["Parameters"][0]["Value"])

    def test_describe_parameters(self):
        root, names = self.make_tree()
        self.ssm.add_tags_to_resource(ResourceType="Parameter", ResourceId=names[0], Tags=[{"Key": "env", "Value": "p"}])
        everything, begins, tagged, bad = self.parallel(
            ("describe-parameters", "--parameter-filters", "Key=Path,Option=Recursive,Values=" + root,
             "--page-size", "5"),
            ("describe-parameters", "--parameter-filters", "Key=Name,Option=BeginsWith,Values=%s/sub/" % root),
            ("describe-parameters", "--parameter-filters", "Key=Path,Option=Recursive,Values=" + root,
             "Key=tag:env,Values=p"),
            ("describe-parameters", "--parameter-filters", "Key=Label,Values=prod"),
        )
        out = self.all_ok([everything])[0]
        self.assertEqual(sorted(p["Name"] for p in out["Parameters"]), sorted(names + [root + "/sub/secret"]))
        self.assertNotIn("NextToken", out)
        for p in out["Parameters"]:
            self.assertNotIn("Value", p)
            self.assertRecent(parse_iso(p["LastModifiedDate"]), what="CLI LastModifiedDate")
        self.assertEqual(sorted(p["Name"] for p in self.all_ok([begins])[0]["Parameters"]),
                         sorted([n for n in names if "/sub/" in n] + [root + "/sub/secret"]))
        self.assertEqual([p["Name"] for p in self.all_ok([tagged])[0]["Parameters"]], [names[0]])
        self.assertCliError(bad, "InvalidFilterKey", "DescribeParameters")

    def test_tiers_and_data_type(self):
        adv, smart = self.pname("adv"), self.pname("smart")
        self.track(adv, smart)
        a, s = self.all_ok(self.parallel(
            ("put-parameter", "--name", adv, "--value", "x" * 5000, "--type", "String", "--tier", "Advanced",
             "--data-type", "text"),
            ("put-parameter", "--name", smart, "--value", "small", "--type", "String", "--tier", "Intelligent-Tiering"),
        ))
        self.assertEqual(a, {"Version": 1, "Tier": "Advanced"})
        self.assertEqual(s, {"Version": 1, "Tier": "Standard"})
        self.assertEqual(self.describe_one(adv)["DataType"], "text")

    def test_put_parameter_errors(self):
        name = self.pname("existing")
        self.put(name, "123", AllowedPattern=r"^\d+$")
        deep = self.path + "".join("/l%d" % i for i in range(2, 17))
        reserved = "ssm-" + self.prefix.rstrip("/")
        self.track(deep, reserved, self.pname("too-big"))
        results = self.parallel(
            ("put-parameter", "--name", reserved, "--value", "v", "--type", "String"),
            ("put-parameter", "--name", deep, "--value", "v", "--type", "String"),
            ("put-parameter", "--name", name, "--value", "abc", "--overwrite"),
            ("put-parameter", "--name", name, "--value", "456", "--overwrite", "--tags", "Key=k,Value=v"),
            ("put-parameter", "--name", self.pname("too-big"), "--value", "x" * 4097, "--type", "String"),
        )
        reserved_r, deep_r, pattern_r, tags_r, big_r = results
        self.assertCliError(reserved_r, "ValidationException", "PutParameter")
        self.assertCliError(deep_r, "HierarchyLevelLimitExceededException", "PutParameter")
        self.assertCliError(pattern_r, "ParameterPatternMismatchException", "PutParameter")
        self.assertCliError(tags_r, "ValidationException", "PutParameter")
        self.assertCliError(big_r, "ValidationException", "PutParameter")
        self.assertEqual(self.get(name)["Version"], 1)

    def test_secrets_manager_reference(self):
        secret = self.create("db", SecretString="bridged-value")
        ref = "/aws/reference/secretsmanager/" + secret["Name"]
        clear, refused = self.parallel(
            ("get-parameter", "--name", ref, "--with-decryption"),
            ("get-parameter", "--name", ref),
        )
        p = self.all_ok([clear])[0]["Parameter"]
        self.assertEqual((p["Name"], p["Type"], p["Value"], p["ARN"]), (ref, "SecureString", "bridged-value", secret["ARN"]))
        self.assertEqual(json.loads(p["SourceResult"])["VersionId"], secret["VersionId"])
        self.assertCliError(refused, "ValidationException", "GetParameter", WITH_DECRYPTION_MESSAGE)


# Four classes so that run.py's workers can run them side by side (each CLI call is a process start).
class SsmCliV1ParameterTests(ParameterCommandsMixin, SSMTestCase):
    VERSION = 1


class SsmCliV1HierarchyTests(HierarchyCommandsMixin, SSMTestCase):
    VERSION = 1


class SsmCliV2ParameterTests(ParameterCommandsMixin, SSMTestCase):
    VERSION = 2


class SsmCliV2HierarchyTests(HierarchyCommandsMixin, SSMTestCase):
    VERSION = 2


if __name__ == "__main__":
    unittest.main()
