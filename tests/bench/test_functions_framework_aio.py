"""The `functions-framework-aio` contestant: a bare `aio` function, loaded and called as Botless's GCF `mono` is."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import contestants, hosts
from bench.fixture import ANSWER_TEXT
from tests.bench.peer_checks import answers_signed_and_refuses_forged
from tests.bench.peer_checks import built as built_peer


def built(work: Path, name: str = "functions-framework-aio") -> contestants.Contestant:
    return built_peer(work, name)


def test_it_is_an_aio_function_under_create_app_called_with_an_asgi_scope_like_botless_gcf(tmp_path: Path) -> None:
    made = built(tmp_path)
    assert made.family == "gcf" and made.flags == ("-I",) and not made.botless and not made.posts
    assert sorted(path.name for path in made.folder.iterdir()) == ["main.py"]
    source = (made.folder / "main.py").read_text()
    assert "@aio.http\nasync def slack(request):" in source and "verified(request.headers, body)" in source
    assert made.load == hosts.gcf_load("slack", str(made.folder / "main.py"))
    assert made.call == hosts.gcf_call(asgi=True) != hosts.gcf_call(asgi=False)
    # The Flask-mode peer stays a WSGI call.
    assert built(tmp_path, "functions-framework").call == hosts.gcf_call(asgi=False)


@pytest.mark.slow  # fresh interpreters on this venv
def test_it_answers_a_signed_command_in_the_ack_and_refuses_a_bad_signature(tmp_path: Path) -> None:
    # Word for word, as JSON: the same answer the other bare peers give.
    expected = {"response_type": "ephemeral", "text": ANSWER_TEXT}
    answers_signed_and_refuses_forged(built(tmp_path), tmp_path,
                                      f"assert status == 200 and json.loads(said) == {expected!r}, said\n")
