"""Knative entrypoint: `uvicorn functions.knative.app:app`; the role comes from BOTLESS_ROLE."""

import os

from core.logs import configure_logging, log_level_of
from providers.knative.app import app_from_env

# uvicorn configures only its own loggers: without this, the root's WARNING would drop every
# per-event INFO line, and warnings would reach stderr as plain text, not JSON.
configure_logging(log_level_of(os.environ) or "INFO")
app = app_from_env(os.environ)  # built once, at start-up: a missing setting fails here
