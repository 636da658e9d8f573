# wiring = "channels": the Channels and Subscriptions core/channels.py derives from the role
# table (tooling/packaging/knative_channels.py prints the same; a test keeps them equal).
# Each publishing role's Channel carries what it emits; each consumer subscribes to every
# Channel carrying a type it handles, replying to its own Channel: parse -> commands ->
# responses. parse answers an unknown command itself, so respond takes the commands Channel
# too. mono defers to itself: one Channel, taken back by the cluster-local mono-bus, which
# replies to it (a rate-limited reply it hands on comes back to it).
locals {
  channels   = local.broker ? [] : (local.pipeline ? ["chat-messages", "commands", "responses"] : ["chat-messages"])
  channel_of = { for c in local.channels : c => "${var.name}-${c}" }
  # Subscription name suffix -> the Channel, the subscriber Service suffix and the reply Channel ("" none).
  subscriptions = local.broker ? {} : (local.pipeline ? {
    "chat-messages-parse" = { channel = "chat-messages", service = "parse", reply = "commands" }
    "commands-command"    = { channel = "commands", service = "command", reply = "responses" }
    "commands-respond"    = { channel = "commands", service = "respond", reply = "" }
    "responses-respond"   = { channel = "responses", service = "respond", reply = "" }
    } : {
    "chat-messages-mono-bus" = { channel = "chat-messages", service = "mono-bus", reply = "chat-messages" }
  })
}

resource "kubernetes_manifest" "channel" {
  for_each = local.channel_of
  manifest = {
    apiVersion = "messaging.knative.dev/v1"
    kind       = "Channel"
    metadata   = { name = each.value, namespace = local.namespace, labels = local.labels }
    # The cluster's default channel implementation (InMemoryChannel unless default-ch-webhook says otherwise).
    spec = { delivery = local.delivery }
  }
}

resource "kubernetes_manifest" "subscription" {
  for_each = local.subscriptions
  manifest = {
    apiVersion = "messaging.knative.dev/v1"
    kind       = "Subscription"
    metadata = {
      name      = "${local.channel_of[each.value.channel]}-${each.value.service}"
      namespace = local.namespace
      labels    = merge(local.labels, { "botless.dev/role" = local.services[each.value.service].role })
    }
    spec = merge(
      {
        channel = { apiVersion = "messaging.knative.dev/v1", kind = "Channel", name = local.channel_of[each.value.channel] }
        subscriber = merge(
          { ref = { apiVersion = "serving.knative.dev/v1", kind = "Service", name = local.service_of[each.value.service] } },
          local.oidc ? { audience = local.audience_of[each.value.service] } : {},
        )
      },
      each.value.reply == "" ? {} : {
        reply = { ref = { apiVersion = "messaging.knative.dev/v1", kind = "Channel", name = local.channel_of[each.value.reply] } }
      },
    )
  }
  depends_on = [kubernetes_manifest.channel, kubernetes_manifest.service]
}
