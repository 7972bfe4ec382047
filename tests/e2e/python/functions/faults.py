"""Runs a rotation function with a fault injected, for the fault tests.

    python3 -c 'import faults; faults.main("postgresql_single_user")'

FAULT_STEP names the step to break (createSecret … finishSecret); FAULT is `crash` (exit 1 before
the step runs) or `hang` (sleep until killed, or until healed, then exit 1). FAULT_UNLESS_FILE, when set, turns the fault off as
soon as that file exists, so a later retry of the same rotation succeeds.
"""

import importlib
import json
import os
import sys
import time


def main(module):
    event = json.load(sys.stdin)
    step = os.environ.get("FAULT_STEP")
    marker = os.environ.get("FAULT_UNLESS_FILE")

    def healed():
        return bool(marker) and os.path.exists(marker)

    if step == event["Step"] and not healed():
        if os.environ.get("FAULT") == "hang":
            # Hangs until killed; if it outlives the server that started it, it gives up once healed.
            while not healed():
                time.sleep(1)
        sys.exit(1)
    importlib.import_module(module).lambda_handler(event, None)
