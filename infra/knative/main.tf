# The same objects `botless manifests --target knative` prints (tooling/packaging/knative.py);
# channels.tf holds the Channel wiring, sources.tf the connection-mode chat sources.
locals {
  pipeline = var.topology == "pipeline"
  broker   = var.wiring == "broker"
  # Service name suffix -> BOTLESS_ROLE and, for mono, which face it serves
  # (BOTLESS_KNATIVE_ROUTES): the public webhooks, or the cluster-local bus route.
  services = local.pipeline ? {
    for role in ["receive", "parse", "command", "respond"] : role => { role = role, routes = "" }
    } : {
    "mono"     = { role = "mono", routes = "webhooks" }
    "mono-bus" = { role = "mono", routes = "bus" }
  }
  http_role = local.pipeline ? "receive" : "mono"
  # The only Services the internet reaches; no Trigger points at them.
  public     = ["receive", "mono"]
  oidc       = var.oidc_issuer != ""
  secret     = "${var.name}-chat"
  memory     = "${var.memory_size}Mi"
  commands   = { for c in var.commands : replace(c, "_", "-") => "botless.bot.command.${c}" }
  labels     = { "app.kubernetes.io/name" = "botless", "app.kubernetes.io/instance" = var.name }
  service_of = { for suffix, _ in local.services : suffix => "${var.name}-${suffix}" }
  # A bus Service's OIDC audience (name.namespace), which its Triggers name for the Broker.
  audience_of = { for suffix, _ in local.services : suffix => "${var.name}-${suffix}.${var.namespace}" }

  # Trigger name suffix -> subscriber Service and the event type it filters on. mono gets its
  # deferred work back from the Broker on the cluster-local mono-bus (and a reply the platform
  # rate-limited past the webhook's budget); pipeline routes each type to its role.
  routes = local.pipeline ? merge(
    { "parse" = { role = "parse", type = "botless.chat.message" } },
    { for name, type in local.commands : "command-${name}" => { role = "command", type = type } },
    { "respond" = { role = "respond", type = "botless.bot.response" } },
    ) : merge(
    { "mono-message" = { role = "mono-bus", type = "botless.chat.message" } },
    { for name, type in local.commands : "mono-command-${name}" => { role = "mono-bus", type = type } },
    { "mono-response" = { role = "mono-bus", type = "botless.bot.response" } },
  )
  # The route that takes the responses: with sources, one Trigger per platform no source serves (sources.tf).
  response_route = local.pipeline ? "respond" : "mono-response"
  response_role  = local.routes[local.response_route].role
  # The Broker's (or each Channel's) delivery; retryAfterMax only when asked: Knative's
  # webhook refuses it unless config-features has delivery-retryafter: enabled.
  delivery = merge({ retry = 5, backoffPolicy = "linear", backoffDelay = "PT30S" },
  var.retry_after_max == "" ? {} : { retryAfterMax = var.retry_after_max })
}

resource "kubernetes_namespace_v1" "bot" {
  count = var.create_namespace ? 1 : 0
  metadata {
    name   = var.namespace
    labels = local.labels
  }
}

locals {
  # Every object waits for the namespace when this module creates it.
  namespace = var.create_namespace ? kubernetes_namespace_v1.bot[0].metadata[0].name : var.namespace
}

# The chat secrets and, when given, the dedupe store's Redis URL (it may hold a password).
resource "kubernetes_secret_v1" "chat" {
  metadata {
    name      = local.secret
    namespace = local.namespace
    labels    = local.labels
  }
  type = "Opaque"
  data = merge(var.chat_secrets, var.redis_url == "" ? {} : { BOTLESS_REDIS_URL = var.redis_url })
}

resource "kubernetes_manifest" "service" {
  for_each = local.services
  manifest = {
    apiVersion = "serving.knative.dev/v1"
    kind       = "Service"
    metadata = {
      name      = local.service_of[each.key]
      namespace = local.namespace
      labels = merge(local.labels, { "botless.dev/role" = each.value.role },
      contains(local.public, each.key) ? {} : { "networking.knative.dev/visibility" = "cluster-local" })
    }
    spec = {
      template = {
        metadata = {
          labels = { "botless.dev/role" = each.value.role }
          annotations = {
            "autoscaling.knative.dev/min-scale" = tostring(var.min_scale)
            "autoscaling.knative.dev/max-scale" = tostring(var.max_scale)
          }
        }
        spec = {
          containerConcurrency = 0
          timeoutSeconds       = 60
          containers = [{
            name  = "botless"
            image = var.image
            ports = [{ containerPort = 8080 }]
            env = concat([
              { name = "BOTLESS_ROLE", value = each.value.role },
              { name = "BOTLESS_TOPOLOGY", value = var.topology },
              # Above timeoutSeconds (60), below the Broker's retry span (5 x 30 s).
              { name = "BOTLESS_DEDUPE_LEASE_SECONDS", value = "75" },
              ], each.value.routes == "" ? [] : [{ name = "BOTLESS_KNATIVE_ROUTES", value = each.value.routes }],
              # mono hands the replies of the sources' platforms to the Broker (providers/knative/relay.py).
              local.sourced && !local.pipeline ? [{ name = "BOTLESS_SOURCES", value = join(",", var.sources) }] : [],
              # The second layer on the bus routes: the Broker's OIDC sender token for this audience.
              local.oidc && !contains(local.public, each.key) ? concat([
                { name = "BOTLESS_KNATIVE_OIDC_AUDIENCE", value = local.audience_of[each.key] },
                { name = "BOTLESS_KNATIVE_OIDC_ISSUER", value = var.oidc_issuer },
                ], var.oidc_jwks_url == "" ? [] : [{ name = "BOTLESS_KNATIVE_OIDC_JWKS_URL", value = var.oidc_jwks_url }]
            ) : [])
            envFrom        = [{ secretRef = { name = local.secret, optional = true } }]
            resources      = { requests = { cpu = "100m", memory = local.memory }, limits = { memory = local.memory } }
            readinessProbe = { httpGet = { path = "/healthz" } }
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
}

resource "kubernetes_manifest" "broker" {
  count = local.broker ? 1 : 0
  manifest = {
    apiVersion = "eventing.knative.dev/v1"
    kind       = "Broker"
    metadata   = { name = var.name, namespace = local.namespace, labels = local.labels }
    spec       = { delivery = local.delivery }
  }
}

# Before `wiring`, the Broker was a single resource.
moved {
  from = kubernetes_manifest.broker
  to   = kubernetes_manifest.broker[0]
}

resource "kubernetes_manifest" "trigger" {
  # With sources, the response Triggers filter on each platform no source serves (sources.tf).
  for_each = local.broker ? { for k, v in local.routes : k => v if !(local.sourced && k == local.response_route) } : {}
  manifest = {
    apiVersion = "eventing.knative.dev/v1"
    kind       = "Trigger"
    metadata = {
      name      = "${var.name}-${each.key}"
      namespace = local.namespace
      labels    = merge(local.labels, { "botless.dev/role" = local.services[each.value.role].role })
    }
    spec = {
      broker = var.name
      filter = { attributes = { type = each.value.type } }
      # A Knative Serving Service announces no OIDC audience of its own, so the Trigger names it.
      subscriber = merge(
        { ref = { apiVersion = "serving.knative.dev/v1", kind = "Service", name = local.service_of[each.value.role] } },
        local.oidc ? { audience = local.audience_of[each.value.role] } : {},
      )
    }
  }
  depends_on = [kubernetes_manifest.broker, kubernetes_manifest.service]
}

# Gives the publishing Service (receive, or mono for its deferred work) the Broker (or the
# first Channel) as K_SINK.
resource "kubernetes_manifest" "sink_binding" {
  manifest = {
    apiVersion = "sources.knative.dev/v1"
    kind       = "SinkBinding"
    metadata = {
      name      = "${var.name}-${local.http_role}"
      namespace = local.namespace
      labels    = merge(local.labels, { "botless.dev/role" = local.http_role })
    }
    spec = {
      subject = { apiVersion = "serving.knative.dev/v1", kind = "Service", name = local.service_of[local.http_role] }
      sink = { ref = local.broker ? { apiVersion = "eventing.knative.dev/v1", kind = "Broker", name = var.name } : {
        apiVersion = "messaging.knative.dev/v1", kind = "Channel", name = local.channel_of[local.channels[0]]
      } }
    }
  }
  depends_on = [kubernetes_manifest.broker, kubernetes_manifest.channel, kubernetes_manifest.service]
  lifecycle {
    precondition {
      condition     = !local.sourced || local.broker
      error_message = "sources need wiring = \"broker\" (a Channel has no filter, so the bot and the source would both get every response)."
    }
  }
}
