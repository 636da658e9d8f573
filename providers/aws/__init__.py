"""AWS Lambda: one converter per trigger payload, the EventBridge publisher, the self-invoke deferrer."""
