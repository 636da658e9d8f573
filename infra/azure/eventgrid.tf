resource "azurerm_eventgrid_topic" "bus" {
  #checkov:skip=CKV_AZURE_192:The code publishes with the topic key (from Key Vault); Entra-only auth would need a code change.
  #checkov:skip=CKV_AZURE_191:The topic delivers to functions by their resource id and dead-letters with Event Grid's own access; it needs no identity of its own.
  #checkov:skip=CKV_AZURE_193:The Function App has no virtual network, so it reaches the topic over its public endpoint (key-authenticated).
  name                = "${var.name}-events"
  location            = azurerm_resource_group.bot.location
  resource_group_name = azurerm_resource_group.bot.name
  input_schema        = "CloudEventSchemaV1_0"
}

# One subscription per Event Grid-triggered function, filtered on the event types it handles.
resource "azurerm_eventgrid_event_subscription" "route" {
  for_each              = var.create_subscriptions ? local.routes : {}
  name                  = "${var.name}-${replace(each.key, "_", "-")}"
  scope                 = azurerm_eventgrid_topic.bus.id
  event_delivery_schema = "CloudEventSchemaV1_0"
  included_event_types  = each.value

  azure_function_endpoint {
    function_id                       = "${azurerm_function_app_flex_consumption.bot.id}/functions/${each.key}"
    max_events_per_batch              = 1
    preferred_batch_size_in_kilobytes = 64
  }

  retry_policy {
    max_delivery_attempts = 10
    event_time_to_live    = 1440
  }

  storage_blob_dead_letter_destination {
    storage_account_id          = azurerm_storage_account.bot.id
    storage_blob_container_name = azurerm_storage_container.dead_letters.name
  }
}
