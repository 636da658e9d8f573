# One runtime identity per function, with only what its role does.
resource "google_service_account" "role" {
  for_each     = toset(local.roles)
  account_id   = "${var.name}-${each.key}"
  display_name = "Botless ${each.key}"
}

# Eventarc and the deferral push subscription invoke the functions as this identity.
resource "google_service_account" "trigger" {
  account_id   = "${var.name}-trigger"
  display_name = "Botless triggers"
}

resource "google_pubsub_topic_iam_member" "publisher" {
  for_each = {
    for pair in flatten([
      for role in local.roles : [for family in local.publishes[role] : { role = role, family = family }]
    ]) : "${pair.role}-${pair.family}" => pair
  }
  topic  = google_pubsub_topic.family[each.value.family].name
  role   = "roles/pubsub.publisher"
  member = "serviceAccount:${google_service_account.role[each.value.role].email}"
}

resource "google_secret_manager_secret" "chat" {
  for_each  = toset(var.chat_secrets)
  secret_id = "${var.name}-${lower(replace(each.key, "_", "-"))}"
  replication {
    auto {}
  }
  depends_on = [google_project_service.api]
}

resource "google_secret_manager_secret_iam_member" "chat" {
  for_each = {
    for pair in setproduct(local.secret_readers, var.chat_secrets) : "${pair[0]}-${pair[1]}" => { role = pair[0], secret = pair[1] }
  }
  secret_id = google_secret_manager_secret.chat[each.value.secret].id
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.role[each.value.role].email}"
}

resource "google_secret_manager_secret_iam_member" "defer_token" {
  count     = local.pipeline ? 0 : 1
  secret_id = google_secret_manager_secret.defer_token[0].id
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.role["mono"].email}"
}

# Firestore grants are project-wide. Every role deduplicates: the webhook-facing one its
# platform's retries, the Pub/Sub-triggered ones their redelivered events.
resource "google_project_iam_member" "dedupe" {
  for_each = toset(local.roles)
  project  = var.project_id
  role     = "roles/datastore.user"
  member   = "serviceAccount:${google_service_account.role[each.key].email}"
}

resource "google_cloud_run_service_iam_member" "trigger" {
  for_each = toset([for role in local.roles : role if role != "receive"])
  location = var.region
  service  = google_cloudfunctions2_function.role[each.key].service_config[0].service
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.trigger.email}"
}

# Chat platforms call the webhook from the internet; every request carries its platform's signature.
resource "google_cloud_run_service_iam_member" "public" {
  #checkov:skip=CKV_GCP_102:The chat webhook must be public; the code verifies each request's signature (Slack, Discord) or secret token (Telegram).
  location = var.region
  service  = google_cloudfunctions2_function.role[local.http_role].service_config[0].service
  role     = "roles/run.invoker"
  member   = "allUsers"
}
