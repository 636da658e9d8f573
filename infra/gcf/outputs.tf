locals {
  base_url = google_cloudfunctions2_function.role[local.http_role].url
}

output "webhook_base_url" {
  description = "The HTTP function's URL."
  value       = local.base_url
}

output "slack_webhook_url" {
  description = "Slack app: Event Subscriptions Request URL and slash commands' Request URL."
  value       = "${local.base_url}/slack/events"
}

output "discord_webhook_url" {
  description = "Discord application: Interactions Endpoint URL."
  value       = "${local.base_url}/discord/interactions"
}

output "telegram_webhook_url" {
  description = "Telegram: the url for setWebhook (pass secret_token too)."
  value       = "${local.base_url}/telegram/webhook"
}

output "function_names" {
  description = "Role -> function name."
  value       = { for role, f in google_cloudfunctions2_function.role : role => f.name }
}

output "topics" {
  description = "Pub/Sub topics by event family."
  value       = { for family, t in google_pubsub_topic.family : family => t.name }
}

output "deferred_dead_letters_subscription" {
  description = "mono: the pull subscription holding deferred work Pub/Sub gave up on after 10 pushes (null for pipeline)."
  value       = local.pipeline ? null : google_pubsub_subscription.deferred_dead_letters[0].name
}
