locals {
  # Knative's default domain template: {service}.{namespace}.{domain}.
  base_url = "https://${local.service_of[local.http_role]}.${var.namespace}.${var.domain}"
}

output "webhook_base_url" {
  description = "The public Service's URL (from the cluster's domain settings)."
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
