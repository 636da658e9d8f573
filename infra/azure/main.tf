data "azurerm_client_config" "current" {}

locals {
  pipeline = var.topology == "pipeline"
  # Globally unique, 3-24 lower-case letters and digits.
  compact = substr(lower(replace("${var.name}${substr(sha256(data.azurerm_client_config.current.subscription_id), 0, 8)}", "/[^a-z0-9]/", "")), 0, 24)

  command_types = [for c in var.commands : "botless.bot.command.${c}"]
  # One filtered Event Grid subscription per Event Grid-triggered function (providers/azure/app.py).
  routes = local.pipeline ? {
    parse   = ["botless.chat.message"]
    command = local.command_types
    respond = ["botless.bot.response"]
    } : {
    # mono's deferred work comes back here: a message acked first, or a slow command.
    mono_deferred = concat(["botless.chat.message"], local.command_types)
  }
  http_function = local.pipeline ? "receive" : "mono"

  key_vault_refs = {
    for s in var.chat_secrets : s => "@Microsoft.KeyVault(VaultName=${azurerm_key_vault.bot.name};SecretName=${replace(s, "_", "-")})"
  }
}

resource "azurerm_resource_group" "bot" {
  name     = "${var.name}-rg"
  location = var.region
}

resource "azurerm_log_analytics_workspace" "bot" {
  name                = "${var.name}-logs"
  location            = azurerm_resource_group.bot.location
  resource_group_name = azurerm_resource_group.bot.name
  sku                 = "PerGB2018"
  retention_in_days   = 30
}

resource "azurerm_application_insights" "bot" {
  name                = "${var.name}-insights"
  location            = azurerm_resource_group.bot.location
  resource_group_name = azurerm_resource_group.bot.name
  workspace_id        = azurerm_log_analytics_workspace.bot.id
  application_type    = "other"
}
