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

  # Without it a resume that keeps failing is pushed again for the topic's whole day of
  # retention (a billed invocation each time); with it, after ten tries it is kept instead.
  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.deferred_dead_letters[0].id
    max_delivery_attempts = 10
  }
}

# mono's deferred work that Pub/Sub gave up on, kept a week; read or replay it through the subscription.
resource "google_pubsub_topic" "deferred_dead_letters" {
  #checkov:skip=CKV_GCP_83:Encrypted with Google-managed keys; a Cloud KMS key would add a monthly fee at rest for rarely used dead letters.
  count                      = local.pipeline ? 0 : 1
  name                       = "${var.name}-deferred-dead-letters"
  message_retention_duration = "604800s"
  depends_on                 = [google_project_service.api]
}

resource "google_pubsub_subscription" "deferred_dead_letters" {
  count                      = local.pipeline ? 0 : 1
  name                       = "${var.name}-deferred-dead-letters"
  topic                      = google_pubsub_topic.deferred_dead_letters[0].id
  message_retention_duration = "604800s"
  expiration_policy {
    ttl = "" # never expires for want of a reader
  }
}

# Pub/Sub's own service agent forwards the dead letters: it publishes to the dead-letter
# topic and acknowledges on the deferred subscription (until both are granted, a message
# past its attempts stays where it is).
data "google_project" "this" {
  project_id = var.project_id
}

locals {
  pubsub_service_agent = "serviceAccount:service-${data.google_project.this.number}@gcp-sa-pubsub.iam.gserviceaccount.com"
}

resource "google_pubsub_topic_iam_member" "dead_letter_publisher" {
  count  = local.pipeline ? 0 : 1
  topic  = google_pubsub_topic.deferred_dead_letters[0].name
  role   = "roles/pubsub.publisher"
  member = local.pubsub_service_agent
}

resource "google_pubsub_subscription_iam_member" "dead_letter_subscriber" {
  count        = local.pipeline ? 0 : 1
  subscription = google_pubsub_subscription.deferred[0].name
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_service_agent
}
