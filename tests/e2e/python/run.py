#!/usr/bin/env python3
"""Run Strongroom's Python end-to-end tests.

    STRONGROOM_ENDPOINT=http://127.0.0.1:4566 python3 tests/e2e/python/run.py [name-pattern ...]

Discovers test_*.py beside this file and runs them with unittest (verbosity 2). Test classes
run concurrently (STRONGROOM_E2E_JOBS workers, default 4; 1 = one after the other): every test
uses its own unique secret names, and the CLI tests spend most of their time starting processes.
Each class's output is printed in one piece when it finishes.

The last line printed is exactly `python-e2e: N passed, N failed` (failed = tests with a failure
or an error, counting a test once however many of its subtests failed; a skip counts as a
failure because this suite must never skip). Exit status 0 iff nothing failed. Optional
arguments are unittest name patterns (like `-k`), e.g. `run.py Replication`.
"""

import concurrent.futures
import io
import os
import sys
import threading
import time
import unittest
import warnings

sys.dont_write_bytecode = True  # keep the work tree free of __pycache__

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE_IDS = ("setUpClass", "tearDownClass", "setUpModule", "tearDownModule")


class CountingResult(unittest.TextTestResult):
    """Remembers which tests failed, so that subtests don't inflate the counts."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.failed_ids = set()

    def _mark(self, test):
        parent = getattr(test, "test_case", test)  # a _SubTest points at its test
        self.failed_ids.add(parent.id())

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._mark(test)

    def addError(self, test, err):
        super().addError(test, err)
        self._mark(test)

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is not None:
            self._mark(test)

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self._mark(test)

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self._mark(test)


def iter_tests(suite):
    for item in suite:
        if isinstance(item, unittest.TestSuite):
            yield from iter_tests(item)
        else:
            yield item


def group_by_class(suite):
    groups = {}
    for test in iter_tests(suite):
        groups.setdefault(type(test), []).append(test)
    return [unittest.TestSuite(tests) for tests in groups.values()]


def run_group(group, print_lock):
    buf = io.StringIO()
    result = CountingResult(unittest.runner._WritelnDecorator(buf), True, 2)
    result.startTestRun()
    try:
        group.run(result)
    finally:
        result.stopTestRun()
    result.printErrors()
    with print_lock:
        sys.stdout.write(buf.getvalue())
        sys.stdout.flush()
    return result


def main(argv):
    warnings.simplefilter("ignore")
    if not os.environ.get("STRONGROOM_ENDPOINT"):
        print("run.py: STRONGROOM_ENDPOINT is not set; every test will fail", flush=True)
    jobs = max(1, int(os.environ.get("STRONGROOM_E2E_JOBS", "4")))
    loader = unittest.TestLoader()
    if argv:
        loader.testNamePatterns = ["*%s*" % p if "*" not in p else p for p in argv]
    groups = group_by_class(loader.discover(start_dir=HERE, pattern="test_*.py", top_level_dir=HERE))

    started = time.monotonic()
    print_lock = threading.Lock()
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        results = list(pool.map(lambda g: run_group(g, print_lock), groups))
    elapsed = time.monotonic() - started

    tests_run = sum(r.testsRun for r in results)
    failed_ids = set().union(*(r.failed_ids for r in results)) if results else set()
    # Fixture errors (setUpClass...) are failures of their own that are not in testsRun.
    ran_and_failed = sum(1 for t in failed_ids if not t.startswith(FIXTURE_IDS))
    passed = max(tests_run - ran_and_failed, 0)
    failed = len(failed_ids)
    if tests_run == 0 and failed == 0:
        print("run.py: no tests were found", flush=True)
        failed = 1
    print("-" * 70)
    print("Ran %d tests in %.1fs with %d worker(s)" % (tests_run, elapsed, jobs))
    for test_id in sorted(failed_ids):
        print("failed: %s" % test_id)
    print("python-e2e: %d passed, %d failed" % (passed, failed), flush=True)
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
