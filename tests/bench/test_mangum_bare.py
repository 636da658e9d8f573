"""The `mangum-bare` contestant: mangum alone, packaged like a user's zip, checking Slack's signature like the peers."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import contestants
from bench.fixture import ANSWER_TEXT
from tests.bench.peer_checks import answers_signed_and_refuses_forged
from tests.bench.peer_checks import built as built_peer


def built(work: Path) -> contestants.Contestant:
    return built_peer(work, "mangum-bare")


def test_its_folder_holds_the_handler_with_mangum_and_its_one_dependency_and_no_framework(tmp_path: Path) -> None:
    made = built(tmp_path)
    assert made.family == "lambda" and made.flags == ("-I", "-S") and not made.posts
    assert made.path[0] == str(made.folder)  # the folder, then only the runtime's boto3
    assert sorted(path.name for path in made.folder.iterdir()) == ["handler.py", "mangum", "typing_extensions.py"]
    assert "from mangum import Mangum" in (made.folder / "handler.py").read_text()


@pytest.mark.slow  # fresh interpreters with the folder alone on the path
def test_it_answers_a_signed_command_in_the_ack_and_refuses_a_bad_signature(tmp_path: Path) -> None:
    answers_signed_and_refuses_forged(built(tmp_path), tmp_path,
                                      f"assert status == 200 and {ANSWER_TEXT!r} in said.decode(), said\n")
