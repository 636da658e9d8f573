"""The `functions-framework-aio` contestant: a bare `aio` function, loaded and called as Botless's GCF `mono` is."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import child, contestants, hosts
from bench.fixture import ANSWER_TEXT, slash_command


def built(work: Path, name: str = "functions-framework-aio") -> contestants.Contestant:
    [made] = contestants.prepare([name], work, "http://127.0.0.1:9")
    return made


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
    made = built(tmp_path)
    headers, body = slash_command()
    signed = child.code(made.path, made.load, made.call, "warm", headers, body, events=5)
    report = child.report(child.run(made.flags, signed, made.env, str(tmp_path))[1])
    assert report["non_200"] == 0 and len(report["times_us"]) == 5
    # The child checks only for a "text": this call also asserts the peers' answer, word for word, as JSON.
    answer_checked = made.call + f"""
status, said = answer(HEADERS, BODY, EVENT)
assert status == 200 and json.loads(said) == {{"response_type": "ephemeral", "text": {ANSWER_TEXT!r}}}, said
"""
    child.run(made.flags, child.code(made.path, made.load, "import json\n" + answer_checked, "first", headers, body),
              made.env, str(tmp_path))
    forged = {**headers, "x-slack-signature": "v0=" + "0" * 64}
    with pytest.raises(RuntimeError, match="answered 401"):
        child.run(made.flags, child.code(made.path, made.load, made.call, "first", forged, body), made.env,
                  str(tmp_path))
