resource "google_cloudfunctions2_function" "role" {
  for_each    = toset(local.roles)
  name        = "${var.name}-${each.key}"
  location    = var.region
  description = "Botless ${each.key} (${var.topology} topology)"

  build_config {
    runtime     = var.python_runtime
    entry_point = each.key
    source {
      storage_source {
        bucket = google_storage_bucket.source.name
        object = google_storage_bucket_object.source.name
      }
    }
  }

  service_config {
    available_memory                 = "${var.memory_size}M"
    max_instance_count               = var.max_instances
    timeout_seconds                  = 60
    service_account_email            = google_service_account.role[each.key].email
    ingress_settings                 = each.key == local.http_role ? "ALLOW_ALL" : "ALLOW_INTERNAL_ONLY"
    all_traffic_on_latest_revision   = true
    max_instance_request_concurrency = 1

    environment_variables = merge(local.topic_env, {
      BOTLESS_ROLE                 = each.key
      BOTLESS_TOPOLOGY             = var.topology
      BOTLESS_GCP_PROJECT          = var.project_id
      BOTLESS_FIRESTORE_COLLECTION = local.dedupe_collection
      }, each.key == "mono" ? {
      # mono's deferral endpoint takes only pushes signed as the push subscription's account.
      BOTLESS_PUSH_SERVICE_ACCOUNT = google_service_account.trigger.email
      BOTLESS_PUSH_AUDIENCE        = local.push_audience
    } : {})

    dynamic "secret_environment_variables" {
      for_each = contains(local.secret_readers, each.key) ? toset(var.chat_secrets) : toset([])
      content {
        key        = secret_environment_variables.value
        project_id = var.project_id
        secret     = google_secret_manager_secret.chat[secret_environment_variables.value].secret_id
        version    = "latest"
      }
    }

    dynamic "secret_environment_variables" {
      for_each = each.key == "mono" ? [1] : []
      content {
        key        = "BOTLESS_DEFER_TOKEN"
        project_id = var.project_id
        secret     = google_secret_manager_secret.defer_token[0].secret_id
        version    = "latest"
      }
    }
  }

  # parse, command, respond: a CloudEvent per Pub/Sub message of their family's topic.
  # RETRY_POLICY_RETRY: Eventarc's (Google-managed) subscription redelivers a failed delivery
  # with exponential backoff, 10 s to 600 s; that is how a reply the platform rate-limited (the
  # function answers 429) is tried again later. A permanent refusal is acknowledged and logged.
  dynamic "event_trigger" {
    for_each = contains(keys(local.trigger_topic), each.key) ? [local.trigger_topic[each.key]] : []
    content {
      trigger_region        = var.region
      event_type            = "google.cloud.pubsub.topic.v1.messagePublished"
      pubsub_topic          = google_pubsub_topic.family[event_trigger.value].id
      retry_policy          = "RETRY_POLICY_RETRY"
      service_account_email = google_service_account.trigger.email
    }
  }

  depends_on = [google_project_service.api, google_secret_manager_secret_iam_member.chat]
}
