data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

resource "aws_sqs_queue" "dead_letters" {
  name                      = "${var.name}-dead-letters"
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true

  # EventBridge may drop undeliverable events here, but only from this bot's rules.
  # (Inline, not aws_sqs_queue_policy: one attribute write instead of two.)
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "EventBridgeDeadLetters"
      Effect    = "Allow"
      Principal = { Service = "events.amazonaws.com" }
      Action    = "sqs:SendMessage"
      Resource  = "arn:${data.aws_partition.current.partition}:sqs:${var.region}:${data.aws_caller_identity.current.account_id}:${var.name}-dead-letters"
      Condition = {
        ArnLike = { "aws:SourceArn" = "arn:${data.aws_partition.current.partition}:events:${var.region}:${data.aws_caller_identity.current.account_id}:rule/${var.name}/*" }
      }
    }]
  })
}

# Webhook deliveries and CloudEvent ids already handled; items expire by themselves (TTL).
resource "aws_dynamodb_table" "dedupe" {
  #checkov:skip=CKV_AWS_119:Encrypted at rest with the AWS-owned key; a customer-managed KMS key would cost $1/month at rest for short-lived ids.
  name         = "${var.name}-dedupe"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "key"

  attribute {
    name = "key"
    type = "S"
  }

  ttl {
    attribute_name = "expires"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled = true
  }
}
