"""ListSecrets: filters, negation, AND/OR, sorting, pagination, validation (§3.7)."""

import unittest

from helpers import (
    ARN_RE,
    VALIDATION_CODES,
    SMTestCase,
    cleanup_secret,
    sm,
    unique_prefix,
)


class ListSecretsTests(SMTestCase):
    """Four secrets under one class-wide prefix; every query is AND-ed with name=<prefix>."""

    @classmethod
    def setUpClass(cls):
        cls.p = unique_prefix()
        client = sm()
        specs = [
            ("alpha/one", "Production database credentials",
             [{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "core"}]),
            ("alpha/two", "staging cache", [{"Key": "env", "Value": "staging"}]),
            ("beta/three", "Prod cache password", [{"Key": "owner", "Value": "ops"}]),
            ("gamma", None, []),
        ]
        cls.created = {}
        try:
            for suffix, description, tags in specs:
                kwargs = {"Name": cls.p + suffix, "SecretString": "value-of-" + suffix}
                if description:
                    kwargs["Description"] = description
                if tags:
                    kwargs["Tags"] = tags
                cls.created[suffix] = client.create_secret(**kwargs)
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        for resp in cls.created.values():
            cleanup_secret(resp["ARN"])

    def list(self, *filters, **kwargs):
        """Names (without the prefix), in server order, of one ListSecrets page."""
        resp = self.client.list_secrets(
            Filters=[{"Key": "name", "Values": [self.p]}] + list(filters), **kwargs
        )
        return [s["Name"][len(self.p):] for s in resp["SecretList"]]

    def names(self, *filters, **kwargs):
        return sorted(self.list(*filters, **kwargs))

    # -- filters

    def test_name_prefix_filter(self):
        self.assertEqual(self.names(), ["alpha/one", "alpha/two", "beta/three", "gamma"])
        self.assertEqual(self.names({"Key": "name", "Values": [self.p + "alpha/"]}), ["alpha/one", "alpha/two"])
        self.assertEqual(self.names({"Key": "name", "Values": [self.p + "gam"]}), ["gamma"])

    def test_name_filter_is_case_sensitive(self):
        self.assertEqual(self.names({"Key": "name", "Values": [self.p + "Alpha"]}), [])

    def test_description_filter_is_case_insensitive(self):
        self.assertEqual(self.names({"Key": "description", "Values": ["prod"]}), ["alpha/one", "beta/three"])
        self.assertEqual(self.names({"Key": "description", "Values": ["PRODUCTION"]}), ["alpha/one"])

    def test_tag_key_filter_is_a_case_sensitive_prefix(self):
        self.assertEqual(self.names({"Key": "tag-key", "Values": ["env"]}), ["alpha/one", "alpha/two"])
        self.assertEqual(self.names({"Key": "tag-key", "Values": ["ow"]}), ["beta/three"])
        self.assertEqual(self.names({"Key": "tag-key", "Values": ["Env"]}), [])

    def test_tag_value_filter_is_a_prefix(self):
        self.assertEqual(self.names({"Key": "tag-value", "Values": ["prod"]}), ["alpha/one"])
        self.assertEqual(self.names({"Key": "tag-value", "Values": ["sta"]}), ["alpha/two"])

    def test_values_within_a_filter_are_or(self):
        self.assertEqual(
            self.names({"Key": "tag-value", "Values": ["prod", "staging"]}), ["alpha/one", "alpha/two"]
        )
        self.assertEqual(
            self.names({"Key": "name", "Values": [self.p + "beta", self.p + "gamma"]}), ["beta/three", "gamma"]
        )

    def test_filters_are_and(self):
        self.assertEqual(
            self.names({"Key": "tag-key", "Values": ["env"]}, {"Key": "description", "Values": ["prod"]}),
            ["alpha/one"],
        )
        self.assertEqual(
            self.names({"Key": "tag-key", "Values": ["owner"]}, {"Key": "tag-value", "Values": ["prod"]}), []
        )

    def test_negated_name_filter(self):
        self.assertEqual(self.names({"Key": "name", "Values": ["!" + self.p + "alpha"]}), ["beta/three", "gamma"])

    def test_negated_tag_key_filter(self):
        names = self.names({"Key": "tag-key", "Values": ["!env"]})
        self.assertIn("beta/three", names)      # only tag key "owner"
        self.assertNotIn("alpha/two", names)    # only tag key "env"
        # A secret without tags never matches a tag-* filter, negated or not (§3.7).
        self.assertNotIn("gamma", names)
        # alpha/one (keys "env" and "team") is deliberately not asserted: whether "!env" means
        # "no key starts with env" or "some key doesn't" is not documented.

    def test_all_filter_matches_words_case_insensitively(self):
        self.assertEqual(self.names({"Key": "all", "Values": ["production"]}), ["alpha/one"])
        self.assertEqual(self.names({"Key": "all", "Values": ["ops"]}), ["beta/three"])
        self.assertEqual(self.names({"Key": "all", "Values": ["GAMMA"]}), ["gamma"])
        self.assertEqual(self.names({"Key": "all", "Values": ["team"]}), ["alpha/one"])

    # -- entries

    def test_entries_carry_metadata_and_stages_but_no_values(self):
        resp = self.client.list_secrets(Filters=[{"Key": "name", "Values": [self.p + "alpha/one"]}])
        self.assertEqual(len(resp["SecretList"]), 1)
        entry = resp["SecretList"][0]
        created = self.created["alpha/one"]
        self.assertEqual(entry["ARN"], created["ARN"])
        self.assertRegex(entry["ARN"], ARN_RE)
        self.assertEqual(entry["Name"], self.p + "alpha/one")
        self.assertEqual(entry["Description"], "Production database credentials")
        self.assertEqual(
            sorted((t["Key"], t["Value"]) for t in entry["Tags"]), [("env", "prod"), ("team", "core")]
        )
        self.assertEqual(entry["SecretVersionsToStages"], {created["VersionId"]: ["AWSCURRENT"]})
        self.assertNotIn("VersionIdsToStages", entry)
        self.assertNotIn("SecretString", entry)
        self.assertNotIn("SecretBinary", entry)
        self.assertNotIn("DeletedDate", entry)
        self.assertRecent(entry["CreatedDate"], what="CreatedDate")
        self.assertRecent(entry["LastChangedDate"], what="LastChangedDate")

    # -- sorting

    def test_sort_by_name(self):
        everything = ["alpha/one", "alpha/two", "beta/three", "gamma"]
        self.assertEqual(self.list(SortBy="name", SortOrder="asc"), everything)
        self.assertEqual(self.list(SortBy="name", SortOrder="desc"), everything[::-1])

    def test_sort_by_created_date(self):
        def entries(order):
            resp = self.client.list_secrets(
                Filters=[{"Key": "name", "Values": [self.p]}], SortBy="created-date", SortOrder=order
            )
            return [(s["Name"], s["CreatedDate"]) for s in resp["SecretList"]]

        asc, desc = entries("asc"), entries("desc")
        self.assertEqual(len(asc), 4)
        self.assertEqual([d for _, d in asc], sorted(d for _, d in asc))
        self.assertEqual([d for _, d in desc], sorted((d for _, d in desc), reverse=True))
        if len({d for _, d in asc}) == 4:  # distinct timestamps: the order is fully determined
            self.assertEqual([n for n, _ in asc], [n for n, _ in desc][::-1])
            self.assertEqual([n[len(self.p):] for n, _ in asc], ["alpha/one", "alpha/two", "beta/three", "gamma"])

    def test_sort_order_alone_is_accepted(self):
        self.assertEqual(len(self.list(SortOrder="asc")), 4)
        self.assertEqual(len(self.list(SortOrder="desc")), 4)

    # -- pagination

    def test_pagination_with_max_results_and_next_token(self):
        seen, kwargs = [], {}
        for _ in range(20):
            resp = self.client.list_secrets(
                Filters=[{"Key": "name", "Values": [self.p]}], MaxResults=1, SortBy="name", SortOrder="asc", **kwargs
            )
            self.assertLessEqual(len(resp["SecretList"]), 1)
            seen.extend(s["Name"][len(self.p):] for s in resp["SecretList"])
            if not resp.get("NextToken"):
                break
            kwargs = {"NextToken": resp["NextToken"]}
        else:
            self.fail("ListSecrets pagination did not end")
        self.assertEqual(seen, ["alpha/one", "alpha/two", "beta/three", "gamma"])

    def test_boto3_paginator(self):
        paginator = self.client.get_paginator("list_secrets")
        pages = list(paginator.paginate(
            Filters=[{"Key": "name", "Values": [self.p]}], PaginationConfig={"PageSize": 3}
        ))
        self.assertGreaterEqual(len(pages), 2)
        names = [s["Name"][len(self.p):] for page in pages for s in page["SecretList"]]
        self.assertEqual(sorted(names), ["alpha/one", "alpha/two", "beta/three", "gamma"])
        self.assertEqual(len(names), len(set(names)))
        built = paginator.paginate(
            Filters=[{"Key": "name", "Values": [self.p]}], PaginationConfig={"PageSize": 1, "MaxItems": 2}
        ).build_full_result()
        self.assertEqual(len(built["SecretList"]), 2)
        self.assertIn("NextToken", built)

    # -- validation

    def test_max_results_out_of_range_is_rejected(self):
        mine = [{"Key": "name", "Values": [self.p]}]
        self.assertAwsError(VALIDATION_CODES, self.client.list_secrets, Filters=mine, MaxResults=101)
        self.assertAwsError(VALIDATION_CODES, sm(validate=False).list_secrets, Filters=mine, MaxResults=0)

    def test_bad_sort_order_is_rejected(self):
        self.assertAwsError(
            VALIDATION_CODES, self.client.list_secrets,
            Filters=[{"Key": "name", "Values": [self.p]}], SortOrder="sideways",
        )

    def test_bad_sort_by_is_rejected(self):
        self.assertAwsError(
            VALIDATION_CODES, self.client.list_secrets,
            Filters=[{"Key": "name", "Values": [self.p]}], SortBy="size",
        )

    def test_bad_filter_key_is_rejected(self):
        self.assertAwsError(
            VALIDATION_CODES, self.client.list_secrets, Filters=[{"Key": "colour", "Values": ["red"]}]
        )

    def test_bad_filter_value_characters_are_rejected(self):
        self.assertAwsError(
            VALIDATION_CODES, self.client.list_secrets, Filters=[{"Key": "name", "Values": ["bad#value"]}]
        )

    def test_more_than_10_filters_is_rejected(self):
        filters = [{"Key": "name", "Values": [self.p]}] * 11
        self.assertAwsError(VALIDATION_CODES, self.client.list_secrets, Filters=filters)

    def test_bad_next_token_is_invalid_next_token(self):
        self.assertAwsError("InvalidNextTokenException", self.client.list_secrets, NextToken="not-a-token-%%%")


if __name__ == "__main__":
    unittest.main()
