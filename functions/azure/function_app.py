"""Azure Functions entrypoint (Python v2 programming model): the worker indexes `app`.

Which functions `app` holds (mono + mono_deferred, or receive, parse, command,
respond) follows BOTLESS_TOPOLOGY / BOTLESS_ROLE; providers/azure/app.py builds it
and docs/targets.md lists the settings. A missing setting fails indexing, loudly.
"""

import os

from providers.azure.app import app_from_env

app = app_from_env(os.environ)  # built once, when the worker indexes this file
