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
}

# The chat secrets stay in SSM Parameter Store (SecureStrings the operator puts there): each
# function reads them at run time (BOTLESS_SSM_PREFIX), so no value reaches Terraform state.
locals {
  ssm_path_arn = "arn:${data.aws_partition.current.partition}:ssm:${var.region}:${data.aws_caller_identity.current.account_id}:parameter${trimsuffix(var.secrets_ssm_path, "/")}"
  # Terraform never reads a parameter, only the key that decrypts them.
  secrets_kms_key_arn = coalesce(var.secrets_kms_key_arn, one(data.aws_kms_alias.ssm[*].target_key_arn))
}

# The AWS managed key of SecureStrings. The data source calls DescribeKey, which makes KMS
# create that key if no SecureString has used it yet, so it resolves on a fresh account too.
data "aws_kms_alias" "ssm" {
  count = var.secrets_kms_key_arn == null ? 1 : 0
  name  = "alias/aws/ssm"
}
