"""Knative: the SinkBinding publisher, the reply contract and the app for each role."""
