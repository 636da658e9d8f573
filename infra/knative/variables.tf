variable "image" {
  description = "The image built from `botless package --target knative` (docker build - < botless-knative-context.tar.gz)."
  type        = string
}

variable "topology" {
  description = "mono: one Service runs every role; pipeline: one Service per role, joined by the Broker."
  type        = string
  default     = "mono"
  validation {
    condition     = contains(["mono", "pipeline"], var.topology)
    error_message = "The topology is mono or pipeline."
  }
}

variable "wiring" {
  description = "broker: a Broker and a Trigger per event type; channels: a Channel per hop and Subscriptions whose reply is the next Channel (the seed's wiring)."
  type        = string
  default     = "broker"
  validation {
    condition     = contains(["broker", "channels"], var.wiring)
    error_message = "The wiring is broker or channels."
  }
}

variable "sources" {
  description = "Connection-mode chat sources to run (irc, slack, telegram), each a Deployment bound to the Broker; needs wiring broker (either topology: mono relays their replies through the Broker). Their secrets go in chat_secrets, their other settings in source_settings."
  type        = list(string)
  default     = []
  validation {
    condition     = alltrue([for s in var.sources : contains(["irc", "slack", "telegram"], s)])
    error_message = "Each source is irc, slack or telegram."
  }
}

variable "source_settings" {
  description = "The sources' non-secret settings by variable name (IRC_SERVER, IRC_NICK, IRC_CHANNELS, ...), put in each source's ConfigMap; unset ones take the source's defaults."
  type        = map(string)
  default     = {}
}

variable "retry_after_max" {
  description = "delivery.retryAfterMax of the Broker (or the Channels), e.g. PT600S: a rate-limited reply is retried after the platform's Retry-After. Needs delivery-retryafter: enabled in knative-eventing's config-features (the webhook refuses the field otherwise). Empty: the linear 30 s backoff alone."
  type        = string
  default     = ""
}

variable "commands" {
  description = "The bot's command names; one Trigger per command type. `botless package` writes them."
  type        = list(string)
}

variable "memory_size" {
  description = "Memory per container in MiB."
  type        = number
  default     = 256
}

variable "region" {
  description = "Informational on Knative (the cluster decides); kept so every target takes the same variables."
  type        = string
  default     = ""
}

variable "name" {
  description = "Prefix of every object's name."
  type        = string
  default     = "botless"
}

variable "namespace" {
  description = "Namespace for every object (not `default`: the bot gets its own)."
  type        = string
  default     = "botless"
}

variable "create_namespace" {
  description = "Create the namespace (false when it exists already)."
  type        = bool
  default     = true
}

variable "domain" {
  description = "The cluster's Knative domain, to print the webhook URLs (e.g. example.com)."
  type        = string
  default     = "example.com"
}

variable "min_scale" {
  description = "Minimum replicas per Service (0 scales to zero at rest)."
  type        = number
  default     = 0
}

variable "max_scale" {
  description = "Maximum replicas per Service."
  type        = number
  default     = 10
}

variable "chat_secrets" {
  description = "Chat secrets by variable name (SLACK_SIGNING_SECRET, ...). Stored in a Kubernetes Secret; Terraform state holds them, so keep state encrypted or pass {} and manage the Secret yourself."
  type        = map(string)
  default     = {}
  sensitive   = true
}

variable "redis_url" {
  description = "The Redis that remembers handled deliveries across pods (BOTLESS_REDIS_URL, e.g. redis://:password@redis.botless:6379/0). Redis is yours; empty: each pod remembers on its own, and a retry reaching another pod is handled twice."
  type        = string
  default     = ""
  sensitive   = true
}

variable "oidc_issuer" {
  description = "The cluster's service-account issuer (kubectl get --raw /.well-known/openid-configuration: issuer). Set it once Knative Eventing's authentication-oidc feature is on: each Trigger then names its subscriber's audience and the bus Services refuse deliveries without the Broker's token. Empty: cluster-local visibility alone guards the bus routes."
  type        = string
  default     = ""
}

variable "oidc_jwks_url" {
  description = "Where the issuer's signing keys are (empty: the API server's https://kubernetes.default.svc/openid/v1/jwks, fetched with the pod's service-account token)."
  type        = string
  default     = ""
}

variable "kubeconfig_path" {
  description = "Kubeconfig of the cluster with Knative Serving and Eventing."
  type        = string
  default     = "~/.kube/config"
}

variable "kubeconfig_context" {
  description = "Context in the kubeconfig (null: the current one)."
  type        = string
  default     = null
}
