locals {
  pipeline = var.topology == "pipeline"
  # One function per role, or one that runs them all.
  roles = local.pipeline ? ["receive", "parse", "command", "respond"] : ["mono"]
  # The function behind the Function URL that Slack, Discord and Telegram call.
  http_role = local.pipeline ? "receive" : "mono"
  # Roles that put events on the bus (respond only calls the platform's API).
  publishers = local.pipeline ? ["receive", "parse", "command"] : []
  bus_name   = local.pipeline ? aws_cloudwatch_event_bus.bus[0].name : ""

  # pipeline: one EventBridge rule per event type (detail-type is the CloudEvent type).
  # mono needs no bus: it defers slow work by invoking itself asynchronously.
  routes = local.pipeline ? merge(
    { "message" = { role = "parse", type = "botless.chat.message" } },
    { for c in var.commands : "command-${c}" => { role = "command", type = "botless.bot.command.${c}" } },
    { "response" = { role = "respond", type = "botless.bot.response" } },
  ) : {}

  chat_secret_names = [
    "SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN", "DISCORD_PUBLIC_KEY", "DISCORD_APPLICATION_ID",
    "DISCORD_BOT_TOKEN", "TELEGRAM_BOT_TOKEN", "TELEGRAM_SECRET_TOKEN",
  ]
}

# The chat secrets live in SSM Parameter Store (SecureString), put there by the operator;
# Terraform never takes them as variables and outputs none of them.
data "aws_ssm_parameters_by_path" "chat" {
  path            = var.secrets_ssm_path
  with_decryption = true
}

locals {
  secret_env = {
    for i, full in data.aws_ssm_parameters_by_path.chat.names :
    element(split("/", full), length(split("/", full)) - 1) => data.aws_ssm_parameters_by_path.chat.values[i]
    if contains(local.chat_secret_names, element(split("/", full), length(split("/", full)) - 1))
  }
}
