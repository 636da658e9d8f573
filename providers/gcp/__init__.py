"""Google Cloud Functions (2nd gen): Pub/Sub messages <-> CloudEvents, the Pub/Sub publisher.

Nothing here is imported by another target; `google.cloud.pubsub_v1` itself is
imported on the first publish, not with this package.
"""
