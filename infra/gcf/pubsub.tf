resource "google_pubsub_topic" "family" {
  #checkov:skip=CKV_GCP_83:Encrypted with Google-managed keys; a Cloud KMS key would add a monthly fee at rest for short-lived events.
  for_each                   = local.topics
  name                       = each.value
  message_retention_duration = "86400s"
  depends_on                 = [google_project_service.api]
}

# The token the mono function checks on its deferral endpoint; generated once, kept in Secret Manager.
resource "google_secret_manager_secret" "defer_token" {
  count     = local.pipeline ? 0 : 1
  secret_id = "${var.name}-defer-token"
  replication {
    auto {}
  }
  depends_on = [google_project_service.api]
}

resource "google_secret_manager_secret_version" "defer_token" {
  count       = local.pipeline ? 0 : 1
  secret      = google_secret_manager_secret.defer_token[0].id
  secret_data = sha256(uuid())
  lifecycle {
    ignore_changes = [secret_data]
  }
}

# mono: deferred slow work is pushed back to the same function, authenticated by the token.
resource "google_pubsub_subscription" "deferred" {
  count                = local.pipeline ? 0 : 1
  name                 = "${var.name}-deferred-push"
  topic                = google_pubsub_topic.family["deferred"].id
  ack_deadline_seconds = 300

  push_config {
    push_endpoint = "${google_cloudfunctions2_function.role["mono"].url}/_botless/deferred?token=${google_secret_manager_secret_version.defer_token[0].secret_data}"
    # Every push is signed as the trigger account for this audience; mono checks both
    # (BOTLESS_PUSH_SERVICE_ACCOUNT, BOTLESS_PUSH_AUDIENCE) on top of the URL token.
    oidc_token {
      service_account_email = google_service_account.trigger.email
      audience              = local.push_audience
    }
  }

  # A deferred reply the platform rate-limited is answered 429: redelivered after this backoff.
  retry_policy {
    minimum_backoff = "10s"
    maximum_backoff = "600s"
  }
}
