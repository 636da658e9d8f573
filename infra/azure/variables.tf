variable "subscription_id" {
  description = "Azure subscription to deploy to."
  type        = string
}

variable "package_path" {
  description = "The zip from `botless package --target azure`; deployed with the command in the deploy_command output."
  type        = string
}

variable "topology" {
  description = "mono: the app hosts mono + mono_deferred; pipeline: receive, parse, command, respond."
  type        = string
  default     = "mono"
  validation {
    condition     = contains(["mono", "pipeline"], var.topology)
    error_message = "The topology is mono or pipeline."
  }
}

variable "commands" {
  description = "The bot's command names; the command subscription filters on their event types. `botless package` writes them."
  type        = list(string)
}

variable "memory_size" {
  description = "Flex Consumption instance memory in MB (512, 2048 or 4096)."
  type        = number
  default     = 2048
  validation {
    condition     = contains([512, 2048, 4096], var.memory_size)
    error_message = "Flex Consumption instances have 512, 2048 or 4096 MB."
  }
}

variable "region" {
  description = "Azure region (one that offers Flex Consumption)."
  type        = string
  default     = "eastus"
}

variable "name" {
  description = "Prefix of every resource name (letters and digits; storage and Key Vault names derive from it)."
  type        = string
  default     = "botless"
}

variable "python_version" {
  description = "Python version of the Function App."
  type        = string
  default     = "3.12"
}

variable "maximum_instance_count" {
  description = "Most instances the app scales out to."
  type        = number
  default     = 40
}

variable "create_subscriptions" {
  description = "Create the Event Grid subscriptions. Event Grid checks that the functions exist, so the first apply sets false, the code is deployed, then apply again with true (botless deploy does this)."
  type        = bool
  default     = true
}

# The default is core/chat/platforms.py's CHAT_SECRETS (tests/infra/test_static.py keeps them equal).
variable "chat_secrets" {
  description = "Chat secrets the app reads from Key Vault (secret names use '-' for '_'); set them with az keyvault secret set."
  type        = list(string)
  default     = ["SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN", "DISCORD_PUBLIC_KEY", "DISCORD_APPLICATION_ID", "DISCORD_BOT_TOKEN", "TELEGRAM_BOT_TOKEN", "TELEGRAM_SECRET_TOKEN"]
}
