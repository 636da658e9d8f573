# Connection-mode chat sources (tooling/packaging/knative_sources.py prints the same objects).
# Each source is a Deployment of the bot's image running `python -m functions.knative.source
# <name>`: one replica replaced with Recreate (one chat connection at a time; a ContainerSource
# rolls out with RollingUpdate and is not addressable), a SinkBinding to the Broker, a Service
# in front of its POST / and a Trigger on botless.bot.response for its platform. The bot (respond,
# or mono's bus face) then takes only the responses of the webhook platforms no source serves,
# one Trigger each. Under mono both faces relay a source's replies to the Broker, so the bus
# face gets K_SINK too (relay_binding).
locals {
  sourced = length(var.sources) > 0
  # The webhook platforms (core/chat/platforms.py's PLATFORMS) and each source's Options
  # (core/sources/*.py): Terraform cannot read Python, so tests/infra keeps both equal to the code.
  platforms = ["slack", "discord", "telegram"]
  source_options = {
    irc      = { settings = ["IRC_SERVER", "IRC_TLS", "IRC_NICK", "IRC_CHANNELS", "IRC_SASL_USER"], secrets = ["IRC_PASSWORD", "IRC_SASL_PASSWORD"] }
    slack    = { settings = ["SLACK_API_URL"], secrets = ["SLACK_APP_TOKEN", "SLACK_BOT_TOKEN"] }
    telegram = { settings = ["TELEGRAM_DELETE_WEBHOOK", "TELEGRAM_API_URL"], secrets = ["TELEGRAM_BOT_TOKEN"] }
  }
  source_of = { for s in var.sources : s => "${var.name}-${s}-source" }
  # Trigger name suffix -> the subscriber Service (its API and name), the platform it filters on, its label.
  platform_routes = local.sourced ? merge(
    { for p in local.platforms : "${local.response_route}-${p}" => { api = "serving.knative.dev/v1", service = local.service_of[local.response_role], platform = p, label = { "botless.dev/role" = local.services[local.response_role].role } } if !contains(var.sources, p) },
    { for s, name in local.source_of : "${s}-source" => { api = "v1", service = name, platform = s, label = { "botless.dev/source" = s } } },
  ) : {}
}

resource "kubernetes_manifest" "source_settings" {
  for_each = local.source_of
  manifest = {
    apiVersion = "v1"
    kind       = "ConfigMap"
    metadata   = { name = each.value, namespace = local.namespace, labels = merge(local.labels, { "botless.dev/source" = each.key }) }
    data       = { for k in local.source_options[each.key].settings : k => var.source_settings[k] if contains(keys(var.source_settings), k) }
  }
}

resource "kubernetes_manifest" "source" {
  for_each = local.source_of
  manifest = {
    apiVersion = "apps/v1"
    kind       = "Deployment"
    metadata   = { name = each.value, namespace = local.namespace, labels = merge(local.labels, { "botless.dev/source" = each.key }) }
    spec = {
      replicas = 1
      strategy = { type = "Recreate" }
      selector = { matchLabels = { "app.kubernetes.io/instance" = var.name, "botless.dev/source" = each.key } }
      template = {
        metadata = { labels = { "app.kubernetes.io/instance" = var.name, "botless.dev/source" = each.key } }
        spec = {
          containers = [{
            name    = "botless"
            image   = var.image
            command = ["python", "-m", "functions.knative.source", each.key]
            ports   = [{ containerPort = 8080 }]
            # Settings from the ConfigMap, secrets from the one Secret by reference: no value here.
            env = concat(
              [{ name = "PORT", value = "8080" }],
              [for k in local.source_options[each.key].settings : { name = k, valueFrom = { configMapKeyRef = { name = each.value, key = k, optional = true } } }],
              [for k in concat(local.source_options[each.key].secrets, ["BOTLESS_REDIS_URL"]) : { name = k, valueFrom = { secretKeyRef = { name = local.secret, key = k, optional = true } } }],
              local.oidc ? concat([
                { name = "BOTLESS_KNATIVE_OIDC_AUDIENCE", value = "${each.value}.${var.namespace}" },
                { name = "BOTLESS_KNATIVE_OIDC_ISSUER", value = var.oidc_issuer },
              ], var.oidc_jwks_url == "" ? [] : [{ name = "BOTLESS_KNATIVE_OIDC_JWKS_URL", value = var.oidc_jwks_url }]) : [],
            )
            resources      = { requests = { cpu = "50m", memory = local.memory }, limits = { memory = local.memory } }
            readinessProbe = { httpGet = { path = "/healthz", port = 8080 } }
            securityContext = {
              allowPrivilegeEscalation = false
              runAsNonRoot             = true
              capabilities             = { drop = ["ALL"] }
              seccompProfile           = { type = "RuntimeDefault" }
            }
          }]
        }
      }
    }
  }
  depends_on = [kubernetes_manifest.source_settings, kubernetes_secret_v1.chat]
}

resource "kubernetes_manifest" "source_binding" {
  for_each = local.source_of
  manifest = {
    apiVersion = "sources.knative.dev/v1"
    kind       = "SinkBinding"
    metadata   = { name = each.value, namespace = local.namespace, labels = merge(local.labels, { "botless.dev/source" = each.key }) }
    spec = {
      subject = { apiVersion = "apps/v1", kind = "Deployment", name = each.value }
      sink    = { ref = { apiVersion = "eventing.knative.dev/v1", kind = "Broker", name = var.name } }
    }
  }
  depends_on = [kubernetes_manifest.broker, kubernetes_manifest.source]
}

resource "kubernetes_manifest" "source_service" {
  for_each = local.source_of
  manifest = {
    apiVersion = "v1"
    kind       = "Service"
    metadata   = { name = each.value, namespace = local.namespace, labels = merge(local.labels, { "botless.dev/source" = each.key }) }
    spec = {
      selector = { "app.kubernetes.io/instance" = var.name, "botless.dev/source" = each.key }
      ports    = [{ name = "http", port = 80, targetPort = 8080 }]
    }
  }
}

# mono's bus face runs a source's chat message and relays its reply to the Broker: it needs K_SINK.
resource "kubernetes_manifest" "relay_binding" {
  count = local.sourced && !local.pipeline ? 1 : 0
  manifest = {
    apiVersion = "sources.knative.dev/v1"
    kind       = "SinkBinding"
    metadata   = { name = local.service_of["mono-bus"], namespace = local.namespace, labels = merge(local.labels, { "botless.dev/role" = "mono" }) }
    spec = {
      subject = { apiVersion = "serving.knative.dev/v1", kind = "Service", name = local.service_of["mono-bus"] }
      sink    = { ref = { apiVersion = "eventing.knative.dev/v1", kind = "Broker", name = var.name } }
    }
  }
  depends_on = [kubernetes_manifest.broker, kubernetes_manifest.service]
}

# The bot's response Triggers for the platforms no source serves, and each source's own.
resource "kubernetes_manifest" "platform_trigger" {
  for_each = local.platform_routes
  manifest = {
    apiVersion = "eventing.knative.dev/v1"
    kind       = "Trigger"
    metadata   = { name = "${var.name}-${each.key}", namespace = local.namespace, labels = merge(local.labels, each.value.label) }
    spec = {
      broker = var.name
      filter = { attributes = { type = "botless.bot.response", botplatform = each.value.platform } }
      subscriber = merge(
        { ref = { apiVersion = each.value.api, kind = "Service", name = each.value.service } },
        local.oidc ? { audience = "${each.value.service}.${var.namespace}" } : {},
      )
    }
  }
  depends_on = [kubernetes_manifest.broker, kubernetes_manifest.service, kubernetes_manifest.source_service]
}
