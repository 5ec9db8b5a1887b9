"""Ending a process that ran Temporal workers or clients, once its work is done.

temporalio's core runtime keeps native threads that can still call into Python while the
interpreter finalizes; a worker that had drained cleanly then died with "Fatal Python error:
PyGILState_Release" and SIGABRT instead of exiting 0 (seen once in `make test`). Once a
worker pool or the dispatcher has stopped, nothing is left to finalize: flush what is buffered
and end the process at once."""

from __future__ import annotations

import logging
import os
import sys
from typing import NoReturn

from workflows.telemetry import disable_tracing


def exit_after_drain(code: int) -> NoReturn:
    disable_tracing()  # exports the spans still buffered
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
