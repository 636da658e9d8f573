resource "aws_cloudwatch_log_group" "function" {
  for_each = toset(local.roles)
  name     = "/aws/lambda/${var.name}-${each.key}"
  #checkov:skip=CKV_AWS_338:Chat logs are operational, not audit records; a year of retention is the operator's choice (log_retention_days).
  #checkov:skip=CKV_AWS_158:Encrypted at rest with the CloudWatch service key; a customer-managed KMS key would cost $1/month at rest.
  retention_in_days = var.log_retention_days
}

resource "aws_lambda_function" "role" {
  for_each = toset(local.roles)
  #checkov:skip=CKV_AWS_117:No VPC: the functions call only public chat APIs and AWS APIs; a VPC would need a NAT gateway (about $32/month at rest).
  #checkov:skip=CKV_AWS_115:Concurrency is not reserved: new accounts have a 10-execution quota and reserving it fails; set it per account if needed.
  #checkov:skip=CKV_AWS_173:The environment holds no secret (the functions read the chat secrets from SSM SecureStrings at run time); Lambda encrypts it with its service key.
  #checkov:skip=CKV_AWS_272:Code signing needs an AWS Signer profile the operator owns; the zip's sha256 is printed by `botless package` and pinned by source_code_hash.

  function_name    = "${var.name}-${each.key}"
  description      = "Botless ${each.key} (${var.topology} topology)"
  role             = aws_iam_role.function[each.key].arn
  handler          = "functions.aws_lambda.handler.${each.key}"
  runtime          = var.python_runtime
  architectures    = [var.architecture]
  filename         = var.package_path
  source_code_hash = filebase64sha256(var.package_path)
  memory_size      = var.memory_size
  timeout          = var.timeout

  environment {
    variables = {
      BOTLESS_ROLE         = each.key
      BOTLESS_TOPOLOGY     = var.topology
      BOTLESS_EVENT_BUS    = local.bus_name
      BOTLESS_EVENT_SOURCE = var.event_source
      BOTLESS_DEDUPE_TABLE = aws_dynamodb_table.dedupe.name
      # A claim outlives the function's timeout, and lapses before Lambda's first async
      # retry (about a minute): a run that died is run again, a finished one is not.
      BOTLESS_DEDUPE_LEASE_SECONDS = tostring(var.timeout + 15)
      # The path, not the secrets: the function reads them from SSM in its init phase.
      BOTLESS_SSM_PREFIX = var.secrets_ssm_path
      # A reply the chat platform refused for good (a 4xx) goes here at once, not retried:
      # the queue that also keeps the invocations below that failed every retry.
      BOTLESS_DEAD_LETTER_QUEUE_URL = aws_sqs_queue.dead_letters.url
    }
  }

  # Asynchronous invocations (EventBridge) that fail every retry land in the DLQ.
  dead_letter_config {
    target_arn = aws_sqs_queue.dead_letters.arn
  }

  tracing_config {
    mode = "PassThrough"
  }

  depends_on = [aws_cloudwatch_log_group.function, aws_iam_role_policy.function]
}

# Slack, Discord and Telegram call this URL; each request is verified by its platform signature.
resource "aws_lambda_function_url" "webhook" {
  #checkov:skip=CKV_AWS_258:Chat platforms cannot sign AWS IAM requests; the code verifies every request's platform signature or secret token.
  function_name      = aws_lambda_function.role[local.http_role].function_name
  authorization_type = "NONE"
}

resource "aws_lambda_permission" "webhook" {
  #checkov:skip=CKV_AWS_301:Chat platforms call the webhook from the internet; the code verifies every request's signature (Slack, Discord) or secret token (Telegram).
  statement_id           = "FunctionUrlPublic"
  action                 = "lambda:InvokeFunctionUrl"
  function_name          = aws_lambda_function.role[local.http_role].function_name
  principal              = "*"
  function_url_auth_type = "NONE"
}
