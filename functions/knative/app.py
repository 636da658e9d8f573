"""Knative entrypoint: `uvicorn functions.knative.app:app`; the role comes from BOTLESS_ROLE."""

from providers.knative.app import app_from_env

app = app_from_env()
