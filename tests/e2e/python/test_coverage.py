"""Meta-test: every operation of the Secrets Manager model is exercised by this suite."""

import glob
import os
import unittest

import botocore.session
from botocore import xform_name

HERE = os.path.dirname(os.path.abspath(__file__))


class OperationCoverageTests(unittest.TestCase):
    def test_every_operation_has_a_test(self):
        model = botocore.session.get_session().get_service_model("secretsmanager")
        operations = sorted(model.operation_names)
        self.assertEqual(len(operations), 23, "botocore's model changed: review the suite")
        sources = ""
        for path in glob.glob(os.path.join(HERE, "test_*.py")):
            if os.path.basename(path) != os.path.basename(__file__):
                with open(path, encoding="utf-8") as f:
                    sources += f.read()
        missing = [
            op for op in operations
            if "." + xform_name(op) + "(" not in sources and '"' + xform_name(op, "-") + '"' not in sources
            and "." + xform_name(op) + "," not in sources
        ]
        self.assertEqual(missing, [], "operations without an end-to-end test")


if __name__ == "__main__":
    unittest.main()
