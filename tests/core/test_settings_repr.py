"""Settings never show a secret in their repr (and so in a log or a traceback)."""

from core.settings import Settings


def test_settings_repr_shows_neither_the_environment_nor_the_ingress_token():
    settings = Settings.from_env({"SLACK_SIGNING_SECRET": "s3cret-signing", "BOTLESS_INGRESS_TOKEN": "t0ken-ingress",
                                  "TELEGRAM_BOT_TOKEN": "123:ABC"})
    shown = repr(settings)
    assert "s3cret-signing" not in shown and "t0ken-ingress" not in shown and "123:ABC" not in shown
    assert settings.extra["SLACK_SIGNING_SECRET"] == "s3cret-signing"
