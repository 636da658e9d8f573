"""The `mangum-bare` contestant: mangum alone, packaged like a user's zip, checking Slack's signature like the peers."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import child, contestants
from bench.fixture import ANSWER_TEXT, slash_command


def built(work: Path) -> contestants.Contestant:
    [made] = contestants.prepare(["mangum-bare"], work, "http://127.0.0.1:9")
    return made


def test_its_folder_holds_the_handler_with_mangum_and_its_one_dependency_and_no_framework(tmp_path: Path) -> None:
    made = built(tmp_path)
    assert made.family == "lambda" and made.flags == ("-I", "-S") and not made.posts
    assert made.path[0] == str(made.folder)  # the folder, then only the runtime's boto3
    assert sorted(path.name for path in made.folder.iterdir()) == ["handler.py", "mangum", "typing_extensions.py"]
    assert "from mangum import Mangum" in (made.folder / "handler.py").read_text()


@pytest.mark.slow  # fresh interpreters with the folder alone on the path
def test_it_answers_a_signed_command_in_the_ack_and_refuses_a_bad_signature(tmp_path: Path) -> None:
    made = built(tmp_path)
    headers, body = slash_command()
    signed = child.code(made.path, made.load, made.call, "warm", headers, body, events=5)
    report = child.report(child.run(made.flags, signed, made.env, str(tmp_path))[1])
    assert report["non_200"] == 0 and len(report["times_us"]) == 5
    # The child checks only for a "text": this call also asserts the peers' answer, word for word.
    answer_checked = made.call + f"""
status, said = answer(HEADERS, BODY, EVENT)
assert status == 200 and {ANSWER_TEXT!r} in said.decode(), said
"""
    child.run(made.flags, child.code(made.path, made.load, answer_checked, "first", headers, body), made.env,
              str(tmp_path))
    forged = {**headers, "x-slack-signature": "v0=" + "0" * 64}
    with pytest.raises(RuntimeError, match="answered 401"):
        child.run(made.flags, child.code(made.path, made.load, made.call, "first", forged, body), made.env,
                  str(tmp_path))
