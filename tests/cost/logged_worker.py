"""The cost worker with a capture of its own: `python -m logged_worker '{spec}'` (tests/cost on PYTHONPATH).

It runs tooling/costing/worker.py's measurement, and keeps every record the "botless" logger
handles while the invoker's calls run (not while the samples are made), so the test can work
out the shipped lines without the counter it checks. Prints the worker's result with them.
"""

import importlib
import json
import logging
import sys

from tooling.costing import worker
from tooling.targets import target_named

captured: list[logging.LogRecord] = []


class Capture(logging.Handler):
    during_a_call = False

    def emit(self, record: logging.LogRecord) -> None:
        if self.during_a_call:
            captured.append(record)


def main(spec: dict) -> None:
    capture = Capture()
    logging.getLogger("botless").addHandler(capture)
    invoker = importlib.import_module(target_named(spec["entrypoint"]).invoker)
    real_load = invoker.load

    def load(role: str):
        call = real_load(role)

        def capturing(sample: object) -> None:
            capture.during_a_call = True
            try:
                call(sample)
            finally:
                capture.during_a_call = False

        return capturing

    invoker.load = load
    result = worker.measure(spec["entrypoint"], spec["role"], spec["invocations"], count=True)
    kept = logging.getLogger("botless").getEffectiveLevel()
    result["records"] = [{"level": record.levelno, "message": record.getMessage(), "kept": record.levelno >= kept,
                          "exc_info": bool(record.exc_info)} for record in captured]
    print(json.dumps(result))


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
