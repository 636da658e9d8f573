"""Knative entrypoint: `uvicorn functions.knative.app:app`; the role comes from BOTLESS_ROLE."""

import os

from providers.knative.app import app_from_env

app = app_from_env(os.environ)  # built once, at start-up: a missing setting fails here
