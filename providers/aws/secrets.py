"""The chat secrets, read from SSM Parameter Store at run time (`BOTLESS_SSM_PREFIX`).

infra/aws_lambda gives each function the path, never the values, so no secret sits in
Terraform state or in the function's configuration. In the init phase, before the bot
is built, one paginated `GetParametersByPath` (decrypted, not recursive; a signed HTTPS
call, providers/aws/ssm.py, so no boto3 is imported) reads the parameters directly under
the path; those named like a chat secret of a platform the bot serves
(`/botless/SLACK_SIGNING_SECRET`; core/chat/platforms.py `chat_secrets`, so an installed
platform's secrets are read too) are handed to the app factory with the
settings (providers/app_factory.py); nothing is written to `os.environ`. A variable the
environment already sets wins (a local override).

A refusal fails the init phase, loudly (ConfigurationError with the path and the AWS
error code). So does a path holding no chat secret at all: that is what a mistyped
path or a function in another region looks like, and it would leave every platform
disabled. A single missing secret is fine: that platform answers 503.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Mapping, Sequence

from core.chat.platforms import chat_secrets
from core.settings import Settings
from providers.runtime import ConfigurationError

logger = logging.getLogger("botless")

PREFIX_SETTING = "BOTLESS_SSM_PREFIX"
_PATH = re.compile(r"^(/[A-Za-z0-9_.-]+)+/?$")


def load_chat_secrets(env: Mapping[str, str], settings: Settings | None = None) -> dict[str, str]:
    """The chat secrets under `BOTLESS_SSM_PREFIX` that `env` does not set (non-blank), by name.

    The names are those of the platforms `settings` serve (default: `Settings.from_env(env)`),
    installed ones included. Reads nothing, and imports no boto3, when the prefix is not
    set; never changes `env`. Logs one line of names, never a value.
    """
    prefix = env.get(PREFIX_SETTING, "").strip()
    if not prefix:
        return {}
    names = chat_secrets(settings if settings is not None else Settings.from_env(env))
    found, others = chat_secrets_from_ssm(prefix, names)
    loaded = {name: value for name, value in found.items() if not env.get(name, "").strip()}
    logger.info(json.dumps({"target": "aws-lambda", "outcome": "secrets-loaded", "prefix": prefix,
                            "loaded": list(loaded), "kept": sorted(set(found) - set(loaded)),
                            "absent": [n for n in names if n not in found],
                            "ignored": others}))
    return loaded


def chat_secrets_from_ssm(prefix: str, names: Sequence[str]) -> tuple[dict[str, str], list[str]]:
    """The secrets `names` directly under `prefix` (decrypted), and the other names found there.

    ConfigurationError when SSM refuses, or when none of `names` is under the path.
    """
    if not _PATH.match(prefix):
        raise ConfigurationError(f"{PREFIX_SETTING}={prefix!r} is not an SSM path: write it like /botless/ "
                                 "(a leading /, then letters, digits, '_', '.' or '-')")
    path = prefix.rstrip("/")
    from providers.aws import json_api, ssm  # signed calls with the standard library: no boto3 at init

    wanted = frozenset(names)
    found: dict[str, str] = {}
    others: list[str] = []
    region = json_api.region_of(os.environ, missing="?")  # for the messages below
    try:
        # The AWS settings are the process's, as a boto3 client's would be.
        for full_name, value in ssm.parameters_by_path(path, os.environ):
            name = full_name.rsplit("/", 1)[-1]
            if name in wanted:
                found[name] = value
            else:
                others.append(name)
    except json_api.AwsApiError as error:
        raise ConfigurationError(f"SSM refused to read the chat secrets under {prefix} ({PREFIX_SETTING}) in "
                                 f"{region}: {error.code}: {error.message}. The function's role needs "
                                 "ssm:GetParametersByPath on that path and kms:Decrypt on its key") from None
    except json_api.AwsUnreachableError as error:  # no region, no credentials, endpoint unreachable
        raise ConfigurationError(f"could not read the chat secrets under {prefix} ({PREFIX_SETTING}) from SSM "
                                 f"in {region}: {error}") from None
    if not found:
        raise ConfigurationError(
            f"no chat secret under {prefix} ({PREFIX_SETTING}) in SSM in {region}"
            + (f" (found only {', '.join(sorted(others))})" if others else "")
            + f": put at least one of {', '.join(names)} there as a SecureString "
            f"(e.g. {path}/SLACK_SIGNING_SECRET), in the function's region, or unset {PREFIX_SETTING}")
    return found, sorted(others)
