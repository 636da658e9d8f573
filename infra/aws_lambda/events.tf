resource "aws_cloudwatch_event_bus" "bus" {
  count = local.pipeline ? 1 : 0
  name  = var.name
}

# One rule per event type; EventBridge's detail-type is the CloudEvent type.
resource "aws_cloudwatch_event_rule" "route" {
  for_each       = local.routes
  name           = "${var.name}-${each.key}"
  description    = "${each.value.type} -> ${var.name}-${each.value.role}"
  event_bus_name = local.bus_name
  event_pattern  = jsonencode({ "source" = [var.event_source], "detail-type" = [each.value.type] })
}

resource "aws_cloudwatch_event_target" "route" {
  for_each       = local.routes
  rule           = aws_cloudwatch_event_rule.route[each.key].name
  event_bus_name = local.bus_name
  target_id      = "${var.name}-${each.value.role}"
  arn            = aws_lambda_function.role[each.value.role].arn

  retry_policy {
    maximum_event_age_in_seconds = 3600
    maximum_retry_attempts       = 3
  }

  # Events EventBridge could not deliver at all (throttled, function missing).
  dead_letter_config {
    arn = aws_sqs_queue.dead_letters.arn
  }
}

resource "aws_lambda_permission" "route" {
  for_each      = local.routes
  statement_id  = "EventBridge-${each.key}"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.role[each.value.role].function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.route[each.key].arn
}
