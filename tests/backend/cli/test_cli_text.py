"""Stored text printed by the CLI says what it says and does nothing to the terminal."""

from __future__ import annotations

import re

import pytest

from backend.cli import main
from backend.cli.base import clean_text
from backend.domain import ModelInfo
from tests.factories import person, validated_version

OSC8_LINK = "\x1b]8;;https://evil.example/login\x1b\\click here\x1b]8;;\x1b\\"
HOSTILE = f"Safe title\rFAKE {OSC8_LINK} \x1b[2J\x1b[31mred\x1b[0m \x9b1;1H\u202eevil\x07"
#: Anything a terminal would act on: C0 and C1 controls (ESC, CR, BEL, CSI...), bidi overrides.
CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@pytest.mark.parametrize(("raw", "printed"), [
    ("Title\rFAKE", "Title FAKE"),
    (OSC8_LINK, "click here"),
    ("\x1b]0;new window title\x07text", "text"),
    ("\x1b[31mred\x1b[0m and \x9b1;1Hmoved", "red and moved"),
    ("two\nlines\tand a tab", "two lines and a tab"),
    ("\u202eevil\u202c", " evil "),
    ("a trailing escape\x1b", "a trailing escape"),
    ("plain words, kept: [x](y) **z**", "plain words, kept: [x](y) **z**"),
])
def test_clean_text_keeps_the_words_and_drops_what_the_terminal_would_act_on(raw, printed):
    assert clean_text(raw) == printed


def test_every_command_that_prints_stored_text_cleans_it(app, cli_env, capsys):
    number = validated_version(app, "hostile", author="dana")  # an author is an account: no text of its own
    app.registry.upsert_model(ModelInfo(name="hostile", title=HOSTILE, description="", owner="team",
                                        risk_tier="low", task="classification"), actor=person(app, "dana"))
    app.signoffs.request("hostile", number, actor="pipeline")
    failed = app.registry.create_version("hostile", author=person(app, "dana")).number
    run = app.registry.start_stage("hostile", failed, "build")
    app.registry.finish_stage(run, status="failed", messages=[f"message {HOSTILE}"], evidence={})
    app.registry.transition("hostile", failed, "failed", actor="pipeline", reason=f"reason {HOSTILE}")

    shown = "Safe title FAKE click here red  evil "  # HOSTILE as a reader should see it
    for command, expected in ((["models", "list"], shown), (["versions", "hostile"], "dana"),
                              (["version", "hostile", str(failed)], f"reason {shown}"),
                              (["version", "hostile", str(failed)], f"message {shown}"),
                              (["version", "hostile", str(number)], "author dana"),
                              (["signoff", "list"], "(author dana)"), (["audit", "list"], "Safe title")):
        assert main(command) == 0, command
        out = capsys.readouterr().out
        assert not CONTROL.findall(out.replace("\n", "")), (command, out)
        assert expected in out, (command, out)
        if command != ["audit", "list"]:  # which prints each entry's details as data: escapes spelled out, inert
            assert "evil.example" not in out, command  # the hidden link target went with its escape sequence
