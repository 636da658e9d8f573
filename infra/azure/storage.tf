# Holds the deployment package (Flex Consumption), the dedupe table and Event Grid's dead letters.
resource "azurerm_storage_account" "bot" {
  #checkov:skip=CKV_AZURE_206:LRS: the account holds a redeployable zip and short-lived dedupe ids; geo-replication would double the cost at rest.
  #checkov:skip=CKV2_AZURE_1:Encrypted with Microsoft-managed keys; a customer-managed key needs a Key Vault key with a monthly fee at rest.
  #checkov:skip=CKV2_AZURE_33:No private endpoint: the Functions host and Event Grid reach the account over Azure's network; a private endpoint costs about $7/month at rest.
  #checkov:skip=CKV_AZURE_59:Flex Consumption without a virtual network reaches its deployment container over the public endpoint; access needs a key or identity.
  #checkov:skip=CKV_AZURE_33:Queue service logging: the account has no queues.
  #checkov:skip=CKV2_AZURE_40:The Functions host's storage authenticates with the account key (AzureWebJobsStorage).
  #checkov:skip=CKV2_AZURE_41:No SAS tokens are issued by this module.
  #checkov:skip=CKV2_AZURE_38:Soft delete would keep deleted dedupe rows and old zips, billed at rest, for no recovery value.
  #checkov:skip=CKV_AZURE_43:The name is computed (prefix plus a hash of the subscription, lower-cased, at most 24 characters), which checkov cannot evaluate.
  #checkov:skip=CKV_AZURE_244:Local users are off by default on this account (SFTP is not enabled).
  name                            = local.compact
  resource_group_name             = azurerm_resource_group.bot.name
  location                        = azurerm_resource_group.bot.location
  account_tier                    = "Standard"
  account_replication_type        = "LRS"
  min_tls_version                 = "TLS1_2"
  allow_nested_items_to_be_public = false
  https_traffic_only_enabled      = true
  local_user_enabled              = false
}

resource "azurerm_storage_container" "deployments" {
  #checkov:skip=CKV2_AZURE_21:Blob read logging of the deployment container would cost more than it tells.
  name                  = "deployments"
  storage_account_id    = azurerm_storage_account.bot.id
  container_access_type = "private"
}

resource "azurerm_storage_container" "dead_letters" {
  #checkov:skip=CKV2_AZURE_21:Blob read logging of dead letters would cost more than it tells.
  name                  = "dead-letters"
  storage_account_id    = azurerm_storage_account.bot.id
  container_access_type = "private"
}

# Handled deliveries (Table Storage, as DESIGN.md's dedupe store for Azure).
resource "azurerm_storage_table" "dedupe" {
  #checkov:skip=CKV2_AZURE_20:Read logging of short-lived dedupe rows would cost more than it tells.
  name                 = "${replace(var.name, "-", "")}dedupe"
  storage_account_name = azurerm_storage_account.bot.name
}
