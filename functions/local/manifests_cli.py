"""`botless manifests`: the Knative objects of this bot as YAML, for `kubectl apply -f -`."""

from __future__ import annotations

import argparse
import sys


def configure(parser: argparse.ArgumentParser) -> None:
    from core.channels import WIRINGS
    from core.sources.registry import SOURCES
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
    parser.add_argument("--wiring", choices=WIRINGS, default=WIRINGS[0],
                        help="broker (default): a Broker and a Trigger per event type; channels: a Channel per "
                             "hop and Subscriptions whose reply is the next Channel")
    parser.add_argument("--retry-after-max", default="", metavar="DURATION",
                        help="delivery.retryAfterMax on the Broker (or Channels), e.g. PT600S: a rate-limited "
                             "reply is retried after the platform's Retry-After (needs delivery-retryafter: "
                             "enabled in config-features; the webhook refuses the field otherwise)")
    # Not `choices`: the registry's error names the sources and says what to do.
    parser.add_argument("--source", action="append", default=[], metavar="NAME",
                        help=f"add a connection-mode chat source ({', '.join(SOURCES) or 'none installed'}), "
                             "bound to the Broker; repeatable. Its settings are read from this environment "
                             "into a ConfigMap, its secrets into the Secret (needs --wiring broker)")


def run(args: argparse.Namespace) -> int:
    import yaml

    from core.chat.platforms import chat_secrets, platforms_of
    from core.settings import Settings, SettingsError
    from core.sources.registry import UnknownSourceError, source_definition
    from functions.local.runtime import fail
    from tooling.packaging.commands import command_names
    from tooling.packaging.knative import STORE_SECRETS, KnativeOptions, manifests, secrets_from

    try:
        # The settings name the platforms, installed ones too, whose secrets the Secret holds.
        settings = Settings.from_env()
        chat = chat_secrets(settings)
        platforms = tuple(platform.name for platform in platforms_of(settings))
        sources = tuple(source_definition(name) for name in dict.fromkeys(args.source))
    except (SettingsError, UnknownSourceError) as error:
        return fail(str(error))
    secrets = secrets_from(settings, sources)
    options = KnativeOptions(
        image=args.image, commands=tuple(command_names()), topology=args.topology, name=args.name,
        namespace=args.namespace, memory=args.memory, secrets=secrets, with_secret=not args.no_secret,
        oidc_issuer=args.oidc_issuer, oidc_jwks_url=args.oidc_jwks_url, wiring=args.wiring, sources=sources,
        source_settings=settings.extra, platforms=platforms, retry_after_max=args.retry_after_max,
    )
    try:
        objects = manifests(options)
    except ValueError as error:  # a source the topology or wiring cannot answer
        return fail(str(error))
    if not args.no_secret and not set(secrets) - set(STORE_SECRETS):
        print("botless manifests: no chat secret is set in this environment; the Secret is empty "
              f"(set {', '.join(chat[:2])}, ... or pass --no-secret)", file=sys.stderr)
    if not args.no_secret and "BOTLESS_REDIS_URL" not in secrets:
        print("botless manifests: BOTLESS_REDIS_URL is not set, so each pod remembers deliveries on its own "
              "(set it to your Redis, e.g. redis://redis.botless:6379/0; docs/targets.md, Deduplication)",
              file=sys.stderr)
    # safe_dump quotes any string YAML would read as another type ("0", "true"), as Kubernetes needs.
    sys.stdout.write(yaml.safe_dump_all(objects, sort_keys=False, explicit_start=True))
    return 0
