"""GetRandomPassword (§3.9)."""

import string
import unittest

from helpers import VALIDATION_CODES, SMTestCase

UPPER = set(string.ascii_uppercase)
LOWER = set(string.ascii_lowercase)
DIGITS = set(string.digits)
PUNCT = set(string.punctuation)  # the 32 printable ASCII punctuation characters
ALL = UPPER | LOWER | DIGITS | PUNCT


class GetRandomPasswordTests(SMTestCase):
    def password(self, **kwargs):
        resp = self.client.get_random_password(**kwargs)
        return resp["RandomPassword"]

    def test_default_is_32_chars_with_every_class(self):
        pw = self.password()
        self.assertEqual(len(pw), 32)
        chars = set(pw)
        self.assertTrue(chars <= ALL, "unexpected characters %r" % (chars - ALL))
        for name, cls in (("upper", UPPER), ("lower", LOWER), ("digit", DIGITS), ("punctuation", PUNCT)):
            self.assertTrue(chars & cls, "no %s character in %r" % (name, pw))
        self.assertNotIn(" ", pw)

    def test_passwords_differ(self):
        self.assertNotEqual(self.password(), self.password())

    def test_length_bounds(self):
        self.assertEqual(len(self.password(PasswordLength=4)), 4)
        self.assertEqual(len(self.password(PasswordLength=1, RequireEachIncludedType=False)), 1)
        self.assertEqual(len(self.password(PasswordLength=4096)), 4096)
        self.assertAwsError(VALIDATION_CODES, self.client.get_random_password, PasswordLength=4097)

    def test_require_each_type_with_too_short_length_is_invalid_parameter(self):
        self.assertAwsError("InvalidParameterException", self.client.get_random_password, PasswordLength=3)
        self.assertAwsError(
            "InvalidParameterException", self.client.get_random_password,
            PasswordLength=1, ExcludeNumbers=True, ExcludePunctuation=True,
        )

    def test_require_each_type_with_two_classes_and_length_two(self):
        for _ in range(10):
            pw = self.password(PasswordLength=2, ExcludeNumbers=True, ExcludePunctuation=True)
            self.assertEqual(len(pw), 2)
            self.assertTrue(set(pw) & UPPER and set(pw) & LOWER, pw)

    def test_exclude_flags(self):
        cases = {
            "ExcludeNumbers": DIGITS, "ExcludePunctuation": PUNCT,
            "ExcludeUppercase": UPPER, "ExcludeLowercase": LOWER,
        }
        for flag, cls in cases.items():
            with self.subTest(flag=flag):
                pw = self.password(PasswordLength=2000, **{flag: True})
                self.assertEqual(len(pw), 2000)
                self.assertFalse(set(pw) & cls, "%s ignored" % flag)
                self.assertEqual(set(pw) - cls, ALL - cls, "an allowed character never appeared in 2000")

    def test_only_digits(self):
        pw = self.password(PasswordLength=64, ExcludePunctuation=True, ExcludeUppercase=True, ExcludeLowercase=True)
        self.assertTrue(set(pw) <= DIGITS, pw)

    def test_exclude_characters_is_honoured_over_many_draws(self):
        excluded = "aeiouAEIOU01lI|'\"`\\/@#"
        for _ in range(5):
            pw = self.password(PasswordLength=4096, ExcludeCharacters=excluded)
            self.assertEqual(len(pw), 4096)
            self.assertFalse(set(pw) & set(excluded), "excluded characters appeared")
            self.assertEqual(set(pw), ALL - set(excluded))

    def test_all_classes_excluded_is_invalid_parameter(self):
        self.assertAwsError(
            "InvalidParameterException", self.client.get_random_password,
            ExcludeNumbers=True, ExcludePunctuation=True, ExcludeUppercase=True, ExcludeLowercase=True,
        )

    def test_exclude_characters_emptying_the_alphabet_is_invalid_parameter(self):
        self.assertAwsError(
            "InvalidParameterException", self.client.get_random_password,
            ExcludeNumbers=True, ExcludePunctuation=True, ExcludeUppercase=True,
            ExcludeCharacters=string.ascii_lowercase,
        )

    def test_include_space(self):
        pw = self.password(PasswordLength=4096, IncludeSpace=True)
        self.assertIn(" ", pw)
        self.assertTrue(set(pw) <= ALL | {" "})
        self.assertNotIn(" ", self.password(PasswordLength=4096, IncludeSpace=False))


if __name__ == "__main__":
    unittest.main()
