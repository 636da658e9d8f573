data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

# One role per function: each may write its own logs, use the dedupe table and the DLQ, read
# the chat secrets under one SSM path, and only the roles that emit events may put them on
# this bot's bus.
resource "aws_iam_role" "function" {
  for_each           = toset(local.roles)
  name               = "${var.name}-${each.key}"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

data "aws_iam_policy_document" "function" {
  for_each = toset(local.roles)

  statement {
    sid       = "OwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.function[each.key].arn}:*"]
  }

  statement {
    sid       = "Dedupe"
    actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"]
    resources = [aws_dynamodb_table.dedupe.arn]
  }

  statement {
    sid       = "DeadLetters"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.dead_letters.arn]
  }

  # The chat secrets, read at init: one GetParametersByPath on the path (authorized against the
  # path itself, with or without its trailing slash), decrypted by SSM with the parameters' key.
  statement {
    sid       = "ReadChatSecrets"
    actions   = ["ssm:GetParametersByPath"]
    resources = [local.ssm_path_arn, "${local.ssm_path_arn}/*"]
  }

  statement {
    sid       = "DecryptChatSecrets"
    actions   = ["kms:Decrypt"]
    resources = [local.secrets_kms_key_arn]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["ssm.${var.region}.amazonaws.com"]
    }
    condition {
      test     = "StringLike"
      variable = "kms:EncryptionContext:PARAMETER_ARN"
      values   = ["${local.ssm_path_arn}/*"]
    }
  }

  dynamic "statement" {
    for_each = contains(local.publishers, each.key) ? [1] : []
    content {
      sid       = "PublishEvents"
      actions   = ["events:PutEvents"]
      resources = [aws_cloudwatch_event_bus.bus[0].arn]
    }
  }

  # mono defers a slow command by invoking itself asynchronously (Event invocation).
  dynamic "statement" {
    for_each = each.key == "mono" ? [1] : []
    content {
      sid       = "DeferToSelf"
      actions   = ["lambda:InvokeFunction"]
      resources = ["arn:${data.aws_partition.current.partition}:lambda:${var.region}:${data.aws_caller_identity.current.account_id}:function:${var.name}-mono"]
    }
  }
}

resource "aws_iam_role_policy" "function" {
  for_each = toset(local.roles)
  name     = "${var.name}-${each.key}"
  role     = aws_iam_role.function[each.key].id
  policy   = data.aws_iam_policy_document.function[each.key].json
}
