variable "project_id" {
  description = "Google Cloud project to deploy to."
  type        = string
}

variable "package_path" {
  description = "The source zip from `botless package --target gcf` (its tfvars file sets this)."
  type        = string
}

variable "topology" {
  description = "mono: one function runs every role; pipeline: one function per role, joined by Pub/Sub."
  type        = string
  default     = "mono"
  validation {
    condition     = contains(["mono", "pipeline"], var.topology)
    error_message = "The topology is mono or pipeline."
  }
}

variable "commands" {
  description = "The bot's command names (Pub/Sub routes commands by family, one topic; kept for the same inputs on every target)."
  type        = list(string)
  default     = []
}

variable "memory_size" {
  description = "Memory of each function in MB."
  type        = number
  default     = 256
}

variable "region" {
  description = "Region of the functions, topics and bucket."
  type        = string
  default     = "us-central1"
}

variable "name" {
  description = "Prefix of every resource name."
  type        = string
  default     = "botless"
}

variable "python_runtime" {
  description = "Cloud Functions runtime (python311, python312, ...)."
  type        = string
  default     = "python312"
}

variable "max_instances" {
  description = "Most instances per function."
  type        = number
  default     = 10
}

# The default is core/chat/platforms.py's CHAT_SECRETS (tests/infra/test_static.py keeps them equal).
variable "chat_secrets" {
  description = "Chat secrets to create in Secret Manager and expose to the functions. Add a version to each (gcloud secrets versions add) before the functions are deployed."
  type        = list(string)
  default     = ["SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN", "DISCORD_PUBLIC_KEY", "DISCORD_APPLICATION_ID", "DISCORD_BOT_TOKEN", "TELEGRAM_BOT_TOKEN", "TELEGRAM_SECRET_TOKEN"]
}

variable "create_firestore_database" {
  description = "Create the project's (default) Firestore database for deduplication (false when it exists)."
  type        = bool
  default     = true
}
