variable "package_path" {
  description = "The zip from `botless package --target aws-lambda` (its tfvars file sets this)."
  type        = string
}

variable "topology" {
  description = "mono: one function runs every role; pipeline: one function per role, joined by EventBridge."
  type        = string
  default     = "mono"
  validation {
    condition     = contains(["mono", "pipeline"], var.topology)
    error_message = "The topology is mono or pipeline."
  }
}

variable "commands" {
  description = "The bot's command names; one EventBridge rule per command type. `botless package` writes them."
  type        = list(string)
  validation {
    condition     = alltrue([for c in var.commands : can(regex("^[a-z0-9][a-z0-9_-]{0,62}$", c))])
    error_message = "Command names are lower-case letters, digits, '-' or '_'."
  }
}

variable "memory_size" {
  description = "Memory of each function in MB (CPU scales with it)."
  type        = number
  default     = 256
}

variable "region" {
  description = "AWS region to deploy to."
  type        = string
  default     = "us-east-1"
}

variable "name" {
  description = "Prefix of every resource name."
  type        = string
  default     = "botless"
}

variable "python_runtime" {
  description = "Lambda runtime; must match the Python the zip's dependencies were installed for."
  type        = string
  default     = "python3.12"
}

variable "architecture" {
  description = "x86_64 or arm64; must match `botless package --architecture`."
  type        = string
  default     = "x86_64"
  validation {
    condition     = contains(["x86_64", "arm64"], var.architecture)
    error_message = "The architecture is x86_64 or arm64."
  }
}

variable "timeout" {
  description = "Seconds a function may run."
  type        = number
  default     = 30
}

variable "log_retention_days" {
  description = "Days CloudWatch keeps the functions' logs."
  type        = number
  default     = 14
}

variable "event_source" {
  description = "EventBridge source of Botless events (BOTLESS_EVENT_SOURCE); the rules match it."
  type        = string
  default     = "botless"
}

variable "secrets_ssm_path" {
  description = "SSM Parameter Store path of the chat secrets, SecureStrings named like the variables (e.g. /botless/SLACK_SIGNING_SECRET). The functions read them at run time (BOTLESS_SSM_PREFIX); Terraform never does."
  type        = string
  default     = "/botless/"
  validation {
    condition     = can(regex("^(/[A-Za-z0-9_.-]+)+/$", var.secrets_ssm_path))
    error_message = "The path starts and ends with '/', like /botless/ (letters, digits, '_', '.', '-' in between)."
  }
}

variable "secrets_kms_key_arn" {
  description = "ARN of the KMS key the chat SecureStrings are encrypted with; null means the AWS managed aws/ssm key."
  type        = string
  default     = null
}

variable "aws_endpoint_url" {
  description = "Tests only: send every AWS API call to this endpoint (a local emulator). Leave null."
  type        = string
  default     = null
}

variable "tags" {
  description = "Extra tags on every resource."
  type        = map(string)
  default     = {}
}
