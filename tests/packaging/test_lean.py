"""Lean artifacts: only the platforms the bot uses, bytecode for the runtime, the same bytes from any venv."""

from __future__ import annotations

import json
import marshal
import py_compile
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from core.loader import FROZEN_ENTRY_POINTS, GROUPS
from tests.packaging.conftest import code_only
from tests.packaging.test_package import names_of, read_member
from tooling.packaging import PackageError, PackageOptions, package
from tooling.packaging.build import build_contents
from tooling.packaging.bytecode import bytecode_for, cache_name, interpreter_for, this_version
from tooling.packaging.deps import PYTHON_VERSIONS
from tooling.packaging.platforms import PlatformChoiceError, choose_platforms, parse_platforms
from tooling.packaging.project import requirement_name, source_root
from tooling.packaging.trim import is_install_record, is_unused
from tooling.targets import CHAT_EXTRAS

ROOT = source_root()
MIB = 1 << 20
# Issue 11: a Slack-only Lambda zip no bigger, unpacked, than bolt-python's dependencies (2.43 MiB).
SLACK_ONLY_LIMIT = 2.4 * MIB
HERE = this_version()


def unpacked_size(path: Path, *, bytecode: bool = True) -> int:
    with zipfile.ZipFile(path) as archive:
        return sum(i.file_size for i in archive.infolist() if bytecode or not i.filename.endswith(".pyc"))


def requirement_names(target: str, **options: object) -> set[str]:
    files = build_contents(PackageOptions(target=target, dependencies=False, **options)).files  # type: ignore[arg-type]
    return {requirement_name(line) for line in files["requirements.txt"].decode().split()}


def test_platforms_are_repeated_or_comma_separated_and_checked():
    assert parse_platforms(["discord", "Slack"]) == parse_platforms(["slack,discord"]) == ("slack", "discord")
    with pytest.raises(PlatformChoiceError, match="choose from slack, discord, telegram"):
        parse_platforms(["slack,matrix"])


def test_by_default_the_platforms_with_a_secret_set_are_packaged():
    chosen = choose_platforms(None, {"SLACK_SIGNING_SECRET": "s", "TELEGRAM_SECRET_TOKEN": "t"})
    assert chosen.platforms == ("slack", "telegram") and "secrets are set" in chosen.reason


def test_with_no_secret_set_every_platform_goes_in_and_the_note_says_so():
    chosen = choose_platforms(None, {})
    assert chosen.platforms == CHAT_EXTRAS and "no platform's secret is set" in chosen.reason
    assert choose_platforms([], {}).platforms == CHAT_EXTRAS


def test_platform_narrows_the_requirements_the_platform_installs():
    slack_only = requirement_names("gcf", platforms=("slack",), env={})
    assert "slack-sdk" in slack_only and not {"pynacl", "httpx"} & slack_only
    assert {"slack-sdk", "pynacl", "httpx"} <= requirement_names("azure", env={})
    assert "httpx" in requirement_names("gcf", platforms=("telegram",), env={})


def test_an_unknown_platform_is_a_package_error(tmp_path):
    with pytest.raises(PackageError, match="unknown platform 'irc'"):
        package(PackageOptions(target="gcf", out=tmp_path, platforms=("irc",), dependencies=False))


def test_install_records_and_unused_dependency_parts_are_left_out():
    assert is_install_record("slack_sdk-3.48.0.dist-info/RECORD")
    assert not is_install_record("slack_sdk-3.48.0.dist-info/METADATA")
    assert is_unused("slack_sdk/socket_mode/client.py") and is_unused("packaging/specifiers.py")
    assert is_unused("slack_sdk/signature/__init__.py")  # signatures are checked with hmac
    assert not is_unused("slack_sdk/webhook/client.py") and not is_unused("packaging/version.py")


@pytest.mark.slow  # a compiling interpreter, in a subprocess
def test_bytecode_is_what_py_compile_writes_with_an_unchecked_hash(tmp_path):
    source = (ROOT / "core/parser.py").read_bytes()
    compiled = bytecode_for({"core/parser.py": source, "core/broken.py": b"def (:\n", "core/x.json": b"{}"})
    assert set(compiled) == {cache_name("core/parser.py")}
    copy = tmp_path / "parser.py"
    copy.write_bytes(source)
    py_compile.compile(str(copy), str(tmp_path / "ref.pyc"), dfile="core/parser.py", doraise=True,
                       invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
    ours, reference = compiled[cache_name("core/parser.py")], (tmp_path / "ref.pyc").read_bytes()
    # The 16-byte header (magic, flags, source hash) must match exactly. The marshalled
    # code is compared as code: marshal sets a FLAG_REF bit on objects by their refcount in
    # the compiling process, and this pytest process already holds core.parser's strings,
    # so the same code can differ in those bits here (the packager compiles in a fresh,
    # isolated interpreter, which is what keeps its own output reproducible).
    assert ours[:16] == reference[:16]
    assert marshal.loads(ours[16:]) == marshal.loads(reference[16:])
    assert int.from_bytes(ours[4:8], "little") == 0b01  # hash-based, unchecked


@pytest.mark.slow  # a compiling interpreter, then the unpacked zip imported in a subprocess
def test_a_zip_for_this_python_carries_bytecode_the_runtime_loads(tmp_path):
    built = package(PackageOptions(target="aws-lambda", out=tmp_path / "out", dependencies=False,
                                   python_version=HERE, platforms=("slack",), env={}))
    names = set(names_of(built.artifact.path))
    assert cache_name("core/bot.py") in names and cache_name("functions/aws_lambda/handler.py") in names
    assert all(name[: -len(".pyc")].split(".")[-1] == sys.implementation.cache_tag
               for name in names if name.endswith(".pyc"))
    assert any(note.startswith("bytecode:") for note in built.notes)
    unpacked = tmp_path / "task"
    zipfile.ZipFile(built.artifact.path).extractall(unpacked)
    # An unchecked hash: the runtime trusts the .pyc, so a changed source shows it is what ran.
    (unpacked / "core/limits.py").write_text("raise SystemExit('the source was compiled at import')\n")
    script = "import sys; sys.path.insert(0, sys.argv[1]); import core.limits as m; print(m.__cached__)"
    done = subprocess.run([sys.executable, "-I", "-S", "-c", script, str(unpacked)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith(cache_name("core/limits.py"))


def test_another_pythons_runtime_without_its_interpreter_gets_no_bytecode_and_the_note_says_why(
        tmp_path, monkeypatch):
    other = "3.13" if HERE != "3.13" else "3.12"
    for variable in ("PATH", "PYENV_ROOT", "UV_PYTHON_INSTALL_DIR"):
        monkeypatch.setenv(variable, str(tmp_path / "no-pythons-here"))
    built = package(PackageOptions(target="gcf", out=tmp_path, dependencies=False, python_version=other, env={}))
    assert not [n for n in names_of(built.artifact.path) if n.endswith(".pyc")]
    assert (f"bytecode skipped: this is Python {HERE}, the runtime is {other}, and no python{other} was found"
            in " ".join(built.notes))


def test_a_shim_that_answers_another_version_is_not_taken_for_the_runtimes_python(tmp_path, monkeypatch):
    other = "3.13" if HERE != "3.13" else "3.12"
    shim = tmp_path / f"python{other}"
    shim.write_text(f"#!/bin/sh\nexec {sys.executable} \"$@\"\n")  # a pyenv shim falling back to this Python
    shim.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    for variable in ("PYENV_ROOT", "UV_PYTHON_INSTALL_DIR"):
        monkeypatch.setenv(variable, str(tmp_path / "none"))
    assert interpreter_for(other) is None
    assert interpreter_for(HERE) == sys.executable


OTHER_PYTHONS = [v for v in PYTHON_VERSIONS if v != HERE]


@pytest.mark.slow  # another Python compiles, then imports the unpacked zip, in subprocesses
@pytest.mark.parametrize("runtime", OTHER_PYTHONS)
def test_a_zip_for_another_python_carries_that_pythons_bytecode_when_it_is_installed(tmp_path, runtime):
    interpreter = interpreter_for(runtime)
    if interpreter is None:
        pytest.skip(f"no python{runtime} on this machine (PATH, pyenv, uv)")
    built = package(PackageOptions(target="aws-lambda", out=tmp_path / "out", dependencies=False,
                                   python_version=runtime, platforms=("slack",), env={}))
    tag = "cpython-" + runtime.replace(".", "")
    names = set(names_of(built.artifact.path))
    assert cache_name("core/limits.py", tag) in names
    assert all(name[: -len(".pyc")].split(".")[-1] == tag for name in names if name.endswith(".pyc"))
    unpacked = tmp_path / "task"
    zipfile.ZipFile(built.artifact.path).extractall(unpacked)
    (unpacked / "core/limits.py").write_text("raise SystemExit('the source was compiled at import')\n")
    script = "import sys; sys.path.insert(0, sys.argv[1]); import core.limits as m; print(m.__cached__)"
    done = subprocess.run([interpreter, "-I", "-S", "-c", script, str(unpacked)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith(cache_name("core/limits.py", tag))


def test_the_knative_context_installs_the_chosen_platforms_extras(tmp_path):
    source = _source_copy(tmp_path / "src")
    dockerfile = source / "functions/knative/Dockerfile"
    dockerfile.write_text(dockerfile.read_text().replace("WORKDIR /app", "ARG BOTLESS_EXTRAS=knative,slack,discord\n"
                                                          "WORKDIR /app", 1))
    built = package(PackageOptions(target="knative", out=tmp_path / "out", source=source,
                                   platforms=("telegram",), env={}))
    assert b"\nARG BOTLESS_EXTRAS=knative,telegram\n" in read_member(built.artifact.path, "Dockerfile")


@pytest.mark.slow  # pip, in a subprocess
def test_a_slack_only_lambda_zip_has_no_discord_code_and_fits_the_bound(lambda_build, tmp_path):
    slack = package(PackageOptions(target="aws-lambda", out=tmp_path, platforms=("slack",), env={}))
    tops = {name.split("/")[0] for name in names_of(slack.artifact.path)}
    assert "slack_sdk" in tops
    assert not {"nacl", "cffi", "httpx", "httpcore", "slack", "bin", "starlette", "anyio"} & tops
    assert "nacl" in {name.split("/")[0] for name in names_of(lambda_build.artifact.path)}
    size = unpacked_size(slack.artifact.path, bytecode=False)
    print(f"Slack-only Lambda zip: {slack.artifact.size} bytes, {size / MIB:.2f} MiB unpacked without .pyc, "
          f"{unpacked_size(slack.artifact.path) / MIB:.2f} MiB with; all platforms: "
          f"{unpacked_size(lambda_build.artifact.path, bytecode=False) / MIB:.2f} MiB")
    assert size <= SLACK_ONLY_LIMIT


@pytest.mark.slow  # a second venv and pip, in subprocesses
def test_the_artifact_is_byte_identical_from_another_venv(tmp_path):
    """Another interpreter path, install folder and output folder give the same sha256, .pyc included."""
    options = dict(target="aws-lambda", platforms=("slack",), python_version=HERE, env={})
    here = package(PackageOptions(out=tmp_path / "here", **options))  # type: ignore[arg-type]
    venv = tmp_path / "other venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                          check=True, capture_output=True, text=True).stdout.strip()
    # The second venv sees this one's packages (pip among them) through a .pth line, as a fresh install would.
    (Path(site) / "shared.pth").write_text("\n".join(p for p in sys.path if p.endswith("site-packages")) + "\n")
    script = ("import sys; from pathlib import Path; from tooling.packaging import PackageOptions, package; "
              "r = package(PackageOptions(target='aws-lambda', platforms=('slack',), python_version=sys.argv[2], "
              "env={}, out=Path(sys.argv[1]))); print(r.artifact.sha256)")
    done = subprocess.run([str(python), "-c", script, str(tmp_path / "there"), HERE], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == here.artifact.sha256
    assert [n for n in names_of(here.artifact.path) if n.endswith(".pyc")]
    assert not [n for n in names_of(here.artifact.path) if n.endswith(("/RECORD", "/INSTALLER", "direct_url.json"))]


def _source_copy(destination: Path) -> Path:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for folder in ("core", "providers", "functions"):
        shutil.copytree(ROOT / folder, destination / folder, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, destination / name)
    return destination


def test_code_only_builds_stay_reproducible_with_a_platform_choice(tmp_path):
    first = code_only("azure", tmp_path / "one", platforms=("slack",), env={})
    second = code_only("azure", tmp_path / "two", platforms=("slack",), env={})
    assert first.artifact.sha256 == second.artifact.sha256


# Run in a subprocess from the unpacked zip alone (-I -S: no site-packages) plus boto3's folders.
_CALL = """
import hashlib, hmac, json, sys, time
task, *rest = sys.argv[1:]
sys.path[:0] = [task, *rest]
import importlib.util
assert importlib.util.find_spec("nacl") is None, "PyNaCl in a Slack-only zip"
from functions.aws_lambda.handler import handler
import functions.aws_lambda.handler as module
assert module.__file__.startswith(task), module.__file__
assert "importlib.metadata" not in sys.modules, "the entry points were scanned, though the zip froze them"
body = json.dumps({"type": "url_verification", "token": "t", "challenge": "lean-zip-ok"}).encode()
stamp = str(int(time.time()))
digest = hmac.new(b"lean-secret", b"v0:" + stamp.encode() + b":" + body, hashlib.sha256).hexdigest()
event = {"version": "2.0", "routeKey": "$default", "rawPath": "/slack/events", "rawQueryString": "",
         "headers": {"content-type": "application/json", "x-slack-request-timestamp": stamp,
                     "x-slack-signature": "v0=" + digest, "host": "x.lambda-url.eu-west-1.on.aws"},
         "requestContext": {"http": {"method": "POST", "path": "/slack/events", "protocol": "HTTP/1.1",
                                     "sourceIp": "127.0.0.1", "userAgent": "Slackbot"},
                            "domainName": "x.lambda-url.eu-west-1.on.aws", "requestId": "r", "stage": "$default",
                            "accountId": "123456789012", "apiId": "x", "time": "03/Dec/2026:00:00:00 +0000",
                            "timeEpoch": 0},
         "body": body.decode(), "isBase64Encoded": False}
print(json.dumps(handler(event, None)))
"""


@pytest.mark.slow  # pip, then the unpacked zip run in a subprocess
def test_the_slack_only_zip_alone_answers_a_signed_events_callback(tmp_path):
    import boto3
    import botocore

    slack = package(PackageOptions(target="aws-lambda", out=tmp_path / "out", platforms=("slack",), env={}))
    task = tmp_path / "task"
    zipfile.ZipFile(slack.artifact.path).extractall(task)
    assert json.loads((task / FROZEN_ENTRY_POINTS).read_text()) == {group: [] for group in GROUPS}
    # The Lambda runtime's own boto3 and botocore (and what they import), nothing else of this venv.
    runtime = tmp_path / "runtime"
    for module in (boto3, botocore):
        shutil.copytree(Path(module.__file__).parent, runtime / module.__name__)
    for name in ("dateutil", "jmespath", "s3transfer", "urllib3", "six.py"):
        found = next((Path(p) / name for p in sys.path if (Path(p) / name).exists()), None)
        if found is not None:
            (shutil.copytree if found.is_dir() else shutil.copy)(found, runtime / name)
    env = {"PATH": "/usr/bin:/bin", "SLACK_SIGNING_SECRET": "lean-secret", "SLACK_BOT_TOKEN": "xoxb-lean",
           "AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "x",
           "AWS_SECRET_ACCESS_KEY": "x", "AWS_LAMBDA_FUNCTION_NAME": "botless", "BOTLESS_ROLE": "mono"}
    done = subprocess.run([sys.executable, "-I", "-S", "-c", _CALL, str(task), str(runtime)], env=env,
                          capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert answer["statusCode"] == 200, answer
    assert "lean-zip-ok" in answer["body"]


def test_an_unknown_platform_is_one_usage_line_and_exit_2(tmp_path, capsys):
    from functions.local.cli import main

    with pytest.raises(SystemExit) as exited:
        main(["package", "--target", "gcf", "--out", str(tmp_path), "--no-deps", "--platform", "slack,irc"])
    assert exited.value.code == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert "unknown platform 'irc'" in error[-1] and "Traceback" not in "".join(error)


def test_the_cli_packages_the_platform_asked_for_and_prints_how_they_were_chosen(tmp_path, capsys):
    from functions.local.cli import main

    assert main(["package", "--target", "gcf", "--out", str(tmp_path), "--platform", "slack"]) == 0
    assert "platforms slack (--platform)" in capsys.readouterr().out
