output "webhook_base_url" {
  description = "The Function URL of the HTTP-facing function."
  value       = aws_lambda_function_url.webhook.function_url
}

output "slack_webhook_url" {
  description = "Slack app: Event Subscriptions Request URL and slash commands' Request URL."
  value       = "${trimsuffix(aws_lambda_function_url.webhook.function_url, "/")}/slack/events"
}

output "discord_webhook_url" {
  description = "Discord application: Interactions Endpoint URL."
  value       = "${trimsuffix(aws_lambda_function_url.webhook.function_url, "/")}/discord/interactions"
}

output "telegram_webhook_url" {
  description = "Telegram: the url for setWebhook (pass secret_token too)."
  value       = "${trimsuffix(aws_lambda_function_url.webhook.function_url, "/")}/telegram/webhook"
}

output "function_names" {
  description = "Role -> Lambda function name."
  value       = { for role, f in aws_lambda_function.role : role => f.function_name }
}

output "event_bus_name" {
  description = "The EventBridge bus between the roles (pipeline only)."
  value       = local.bus_name
}

output "dead_letter_queue_url" {
  description = "Events that failed every retry."
  value       = aws_sqs_queue.dead_letters.url
}

output "dedupe_table_name" {
  description = "DynamoDB table of handled deliveries."
  value       = aws_dynamodb_table.dedupe.name
}
