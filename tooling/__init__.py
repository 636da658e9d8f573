"""What runs on a developer's machine, never in the cloud: packaging, pricing, cost measurement.

`providers/` is what runs in the cloud, `functions/` its entrypoints (and the `botless`
CLI); `tooling/` is what builds, prices and measures them. Nothing in core, providers or
a cloud entrypoint imports it, so no artifact carries it (tests/core/test_layering.py).
"""
