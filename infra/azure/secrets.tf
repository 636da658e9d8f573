# Chat secrets live here, set by the operator (az keyvault secret set); the app reads them
# through Key Vault references, so neither Terraform variables nor state hold them.
resource "azurerm_key_vault" "bot" {
  #checkov:skip=CKV_AZURE_109:The Functions host resolves Key Vault references over the public endpoint when the app has no virtual network; access is by RBAC.
  #checkov:skip=CKV_AZURE_189:Public network access stays on: the Functions host resolves Key Vault references from outside any virtual network; access is by RBAC.
  #checkov:skip=CKV2_AZURE_32:No private endpoint: it would cost about $7/month at rest.
  name                       = substr("${local.compact}kv", 0, 24)
  location                   = azurerm_resource_group.bot.location
  resource_group_name        = azurerm_resource_group.bot.name
  tenant_id                  = data.azurerm_client_config.current.tenant_id
  sku_name                   = "standard"
  enable_rbac_authorization  = true
  purge_protection_enabled   = true
  soft_delete_retention_days = 7

  network_acls {
    default_action = "Allow"
    bypass         = "AzureServices"
  }
}

# Whoever runs Terraform may write the one secret it creates (the Event Grid key).
resource "azurerm_role_assignment" "deployer_secrets" {
  scope                = azurerm_key_vault.bot.id
  role_definition_name = "Key Vault Secrets Officer"
  principal_id         = data.azurerm_client_config.current.object_id
}

resource "azurerm_role_assignment" "app_secrets" {
  scope                = azurerm_key_vault.bot.id
  role_definition_name = "Key Vault Secrets User"
  principal_id         = azurerm_function_app_flex_consumption.bot.identity[0].principal_id
}

# The code publishes with the topic's access key (BOTLESS_EVENTGRID_KEY).
resource "azurerm_key_vault_secret" "eventgrid_key" {
  #checkov:skip=CKV_AZURE_41:The value is the topic's access key, rotated with the topic (az eventgrid topic key regenerate), not on a date.
  name         = "BOTLESS-EVENTGRID-KEY"
  value        = azurerm_eventgrid_topic.bus.primary_access_key
  key_vault_id = azurerm_key_vault.bot.id
  content_type = "text/plain"
  depends_on   = [azurerm_role_assignment.deployer_secrets]
}

# The code claims deliveries in the dedupe table with the storage account's key (BOTLESS_TABLE_ACCOUNT_KEY).
resource "azurerm_key_vault_secret" "table_key" {
  #checkov:skip=CKV_AZURE_41:The value is the storage account's access key, rotated with the account (az storage account keys renew), not on a date.
  name         = "BOTLESS-TABLE-ACCOUNT-KEY"
  value        = azurerm_storage_account.bot.primary_access_key
  key_vault_id = azurerm_key_vault.bot.id
  content_type = "text/plain"
  depends_on   = [azurerm_role_assignment.deployer_secrets]
}
