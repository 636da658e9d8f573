terraform {
  required_version = ">= 1.6"
  required_providers {
    # The only provider this module uses: the zip comes from `botless package`, not the archive provider.
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.60, < 6.0"
    }
  }
}

provider "aws" {
  region = var.region

  # Tests point every API at a local emulator (moto); a real deployment leaves this null.
  skip_credentials_validation = var.aws_endpoint_url != null
  skip_requesting_account_id  = var.aws_endpoint_url != null
  skip_metadata_api_check     = var.aws_endpoint_url != null
  s3_use_path_style           = var.aws_endpoint_url != null

  endpoints {
    cloudwatchlogs = var.aws_endpoint_url
    dynamodb       = var.aws_endpoint_url
    eventbridge    = var.aws_endpoint_url
    iam            = var.aws_endpoint_url
    kms            = var.aws_endpoint_url
    lambda         = var.aws_endpoint_url
    sqs            = var.aws_endpoint_url
    ssm            = var.aws_endpoint_url
    sts            = var.aws_endpoint_url
  }

  default_tags {
    tags = merge({ "app" = "botless", "botless-instance" = var.name }, var.tags)
  }
}
