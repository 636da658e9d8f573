# The same objects `botless manifests --target knative` prints (providers/packaging/knative.py).
locals {
  pipeline   = var.topology == "pipeline"
  roles      = local.pipeline ? ["receive", "parse", "command", "respond"] : ["mono"]
  http_role  = local.pipeline ? "receive" : "mono"
  public     = ["receive", "mono"]
  secret     = "${var.name}-chat"
  memory     = "${var.memory_size}Mi"
  commands   = { for c in var.commands : replace(c, "_", "-") => "botless.bot.command.${c}" }
  labels     = { "app.kubernetes.io/name" = "botless", "app.kubernetes.io/instance" = var.name }
  service_of = { for role in local.roles : role => "${var.name}-${role}" }

  # Trigger name suffix -> subscriber role and the event type it filters on. mono gets its
  # deferred work back from the Broker; pipeline routes each type to its role.
  routes = local.pipeline ? merge(
    { "parse" = { role = "parse", type = "botless.chat.message" } },
    { for name, type in local.commands : "command-${name}" => { role = "command", type = type } },
    { "respond" = { role = "respond", type = "botless.bot.response" } },
    ) : merge(
    { "mono-message" = { role = "mono", type = "botless.chat.message" } },
    { for name, type in local.commands : "mono-command-${name}" => { role = "mono", type = type } },
  )
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
  for_each = toset(local.roles)
  manifest = {
    apiVersion = "serving.knative.dev/v1"
    kind       = "Service"
    metadata = {
      name      = local.service_of[each.key]
      namespace = local.namespace
      labels = merge(local.labels, { "botless.dev/role" = each.key },
      contains(local.public, each.key) ? {} : { "networking.knative.dev/visibility" = "cluster-local" })
    }
    spec = {
      template = {
        metadata = {
          labels = { "botless.dev/role" = each.key }
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
            env = [
              { name = "BOTLESS_ROLE", value = each.key },
              { name = "BOTLESS_TOPOLOGY", value = var.topology },
              # Above timeoutSeconds (60), below the Broker's retry span (5 x 30 s).
              { name = "BOTLESS_DEDUPE_LEASE_SECONDS", value = "75" },
            ]
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
  manifest = {
    apiVersion = "eventing.knative.dev/v1"
    kind       = "Broker"
    metadata   = { name = var.name, namespace = local.namespace, labels = local.labels }
    spec       = { delivery = { retry = 5, backoffPolicy = "linear", backoffDelay = "PT30S" } }
  }
}

resource "kubernetes_manifest" "trigger" {
  for_each = local.routes
  manifest = {
    apiVersion = "eventing.knative.dev/v1"
    kind       = "Trigger"
    metadata = {
      name      = "${var.name}-${each.key}"
      namespace = local.namespace
      labels    = merge(local.labels, { "botless.dev/role" = each.value.role })
    }
    spec = {
      broker     = var.name
      filter     = { attributes = { type = each.value.type } }
      subscriber = { ref = { apiVersion = "serving.knative.dev/v1", kind = "Service", name = local.service_of[each.value.role] } }
    }
  }
  depends_on = [kubernetes_manifest.broker, kubernetes_manifest.service]
}

# Gives the publishing Service (receive, or mono for its deferred work) the Broker as K_SINK.
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
      sink    = { ref = { apiVersion = "eventing.knative.dev/v1", kind = "Broker", name = var.name } }
    }
  }
  depends_on = [kubernetes_manifest.broker, kubernetes_manifest.service]
}
