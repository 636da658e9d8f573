resource "azurerm_service_plan" "bot" {
  #checkov:skip=CKV_AZURE_225:Flex Consumption (FC1) plans have no zone-redundancy setting here; zone redundancy would mean always-ready instances billed at rest.
  #checkov:skip=CKV_AZURE_212:Scale to zero: a minimum instance count would be billed around the clock.
  name                = "${var.name}-plan"
  location            = azurerm_resource_group.bot.location
  resource_group_name = azurerm_resource_group.bot.name
  os_type             = "Linux"
  sku_name            = "FC1"
}

resource "azurerm_function_app_flex_consumption" "bot" {
  name                = "${var.name}-${local.compact}"
  location            = azurerm_resource_group.bot.location
  resource_group_name = azurerm_resource_group.bot.name
  service_plan_id     = azurerm_service_plan.bot.id

  storage_container_type      = "blobContainer"
  storage_container_endpoint  = "${azurerm_storage_account.bot.primary_blob_endpoint}${azurerm_storage_container.deployments.name}"
  storage_authentication_type = "StorageAccountConnectionString"
  storage_access_key          = azurerm_storage_account.bot.primary_access_key

  runtime_name           = "python"
  runtime_version        = var.python_version
  maximum_instance_count = var.maximum_instance_count
  instance_memory_in_mb  = var.memory_size

  identity {
    type = "SystemAssigned"
  }

  app_settings = merge(local.key_vault_refs, {
    BOTLESS_TOPOLOGY           = var.topology
    BOTLESS_EVENTGRID_ENDPOINT = azurerm_eventgrid_topic.bus.endpoint
    BOTLESS_EVENTGRID_KEY      = "@Microsoft.KeyVault(VaultName=${azurerm_key_vault.bot.name};SecretName=BOTLESS-EVENTGRID-KEY)"
    # The dedupe store: Table Storage in the app's own account, its key read from Key Vault.
    BOTLESS_DEDUPE_TABLE_NAME = azurerm_storage_table.dedupe.name
    BOTLESS_TABLE_ACCOUNT_URL = azurerm_storage_account.bot.primary_table_endpoint
    BOTLESS_TABLE_ACCOUNT_KEY = "@Microsoft.KeyVault(VaultName=${azurerm_key_vault.bot.name};SecretName=BOTLESS-TABLE-ACCOUNT-KEY)"
  })

  site_config {
    application_insights_connection_string = azurerm_application_insights.bot.connection_string
  }
}
