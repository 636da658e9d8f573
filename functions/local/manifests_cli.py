"""`botless manifests`: the Knative objects of this bot as YAML, for `kubectl apply -f -`."""

from __future__ import annotations

import argparse
import sys


def configure(parser: argparse.ArgumentParser) -> None:
    from tooling.targets import TARGETS

    with_manifests = tuple(target.name for target in TARGETS if target.container)
    parser.add_argument("--target", choices=with_manifests, default=with_manifests[0],
                        help=f"only {', '.join(with_manifests)} has manifests")
    parser.add_argument("--image", required=True, help="the image built from `botless package --target knative`")
    parser.add_argument("--topology", choices=("mono", "pipeline"), default="mono")
    parser.add_argument("--name", default="botless", help="prefix of every object's name (default botless)")
    parser.add_argument("--namespace", default="", help="namespace to put on every object (default: kubectl's)")
    parser.add_argument("--memory", default="256Mi", help="memory per container (default 256Mi)")
    parser.add_argument("--no-secret", action="store_true",
                        help="leave the Secret out; by default it holds the chat secrets and BOTLESS_REDIS_URL "
                             "set in this environment")
    parser.add_argument("--oidc-issuer", default="",
                        help="the cluster's service-account issuer: the bus Services then check Knative "
                             "Eventing's OIDC sender tokens (turn on authentication-oidc in config-features)")
    parser.add_argument("--oidc-jwks-url", default="",
                        help="where the issuer's keys are (default the API server's /openid/v1/jwks)")


def run(args: argparse.Namespace) -> int:
    import yaml

    from core.chat.platforms import chat_secrets
    from core.settings import Settings, SettingsError
    from functions.local.runtime import fail
    from tooling.packaging.commands import command_names
    from tooling.packaging.knative import KnativeOptions, manifests, secrets_from

    try:
        # The settings name the platforms, installed ones too, whose secrets the Secret holds.
        settings = Settings.from_env()
        chat = chat_secrets(settings)
    except SettingsError as error:
        return fail(str(error))
    secrets = secrets_from(settings)
    options = KnativeOptions(
        image=args.image, commands=tuple(command_names()), topology=args.topology, name=args.name,
        namespace=args.namespace, memory=args.memory, secrets=secrets, with_secret=not args.no_secret,
        oidc_issuer=args.oidc_issuer, oidc_jwks_url=args.oidc_jwks_url,
    )
    if not args.no_secret and not set(secrets) & set(chat):
        print("botless manifests: no chat secret is set in this environment; the Secret is empty "
              f"(set {', '.join(chat[:2])}, ... or pass --no-secret)", file=sys.stderr)
    if not args.no_secret and "BOTLESS_REDIS_URL" not in secrets:
        print("botless manifests: BOTLESS_REDIS_URL is not set, so each pod remembers deliveries on its own "
              "(set it to your Redis, e.g. redis://redis.botless:6379/0; docs/targets.md, Deduplication)",
              file=sys.stderr)
    # safe_dump quotes any string YAML would read as another type ("0", "true"), as Kubernetes needs.
    sys.stdout.write(yaml.safe_dump_all(manifests(options), sort_keys=False, explicit_start=True))
    return 0
