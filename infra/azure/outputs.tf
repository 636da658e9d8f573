locals {
  base_url = "https://${azurerm_function_app_flex_consumption.bot.default_hostname}"
}

output "webhook_base_url" {
  description = "The Function App's URL (host.json sets an empty route prefix)."
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

output "function_app_name" {
  description = "The Function App."
  value       = azurerm_function_app_flex_consumption.bot.name
}

output "deploy_command" {
  description = "Deploys the package (remote build installs requirements.txt)."
  value       = "az functionapp deployment source config-zip --resource-group ${azurerm_resource_group.bot.name} --name ${azurerm_function_app_flex_consumption.bot.name} --src ${var.package_path} --build-remote true"
}

output "key_vault_name" {
  description = "Put the chat secrets here: az keyvault secret set --vault-name <this> --name SLACK-SIGNING-SECRET --value ..."
  value       = azurerm_key_vault.bot.name
}
