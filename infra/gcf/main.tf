locals {
  pipeline  = var.topology == "pipeline"
  roles     = local.pipeline ? ["receive", "parse", "command", "respond"] : ["mono"]
  http_role = local.pipeline ? "receive" : "mono"

  # One topic per event family (providers/gcp/config.py); mono has only its deferral topic.
  topics = local.pipeline ? {
    chat_message = "${var.name}-chat-message"
    bot_command  = "${var.name}-bot-command"
    bot_response = "${var.name}-bot-response"
    } : {
    deferred = "${var.name}-deferred"
  }
  # The topic whose messages trigger each bus-driven role (Eventarc).
  trigger_topic = { parse = "chat_message", command = "bot_command", respond = "bot_response" }
  # The topics each role may publish to: parse answers an unknown command itself.
  publishes = {
    receive = ["chat_message"]
    parse   = ["bot_command", "bot_response"]
    command = ["bot_response"]
    respond = []
    mono    = ["deferred"]
  }
  # The audience of the deferral push's OIDC token: a name of its own, since the function's
  # URL is known only once the function exists, and the function must be told it first.
  push_audience = "${var.name}-mono-deferred.${var.project_id}"
  # Handled deliveries and bus events (BOTLESS_FIRESTORE_COLLECTION; TTL on `expires`).
  dedupe_collection = "${var.name}-dedupe"
  # Roles that read the chat secrets: signatures on the way in, tokens on the way out.
  secret_readers = local.pipeline ? ["receive", "respond"] : ["mono"]

  topic_env = local.pipeline ? {
    BOTLESS_PUBSUB_TOPIC_CHAT_MESSAGE = local.topics.chat_message
    BOTLESS_PUBSUB_TOPIC_BOT_COMMAND  = local.topics.bot_command
    BOTLESS_PUBSUB_TOPIC_BOT_RESPONSE = local.topics.bot_response
    } : {
    BOTLESS_PUBSUB_TOPIC_DEFERRED = local.topics.deferred
  }

  services = [
    "cloudfunctions.googleapis.com", "run.googleapis.com", "eventarc.googleapis.com",
    "pubsub.googleapis.com", "secretmanager.googleapis.com", "firestore.googleapis.com",
    "cloudbuild.googleapis.com", "artifactregistry.googleapis.com",
  ]
}

resource "google_project_service" "api" {
  for_each           = toset(local.services)
  service            = each.key
  disable_on_destroy = false
}
