"""Stopping a child process the way a platform stops an instance: SIGTERM, a grace period, then SIGKILL.

The servers tests and benchmarks start (ngircd, redis-server, `botless serve`, uvicorn,
functions-framework) all stop through this one function.
"""

from __future__ import annotations

import subprocess


def stop(process: subprocess.Popen[bytes] | subprocess.Popen[str], grace_seconds: float = 10.0) -> None:
    """Terminate `process` (a no-op once it has exited); kill it if it is still running after `grace_seconds`."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=grace_seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
