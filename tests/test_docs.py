"""The README is the front door: it names every command, and CI runs its test command."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text()
FLASK_BUILT_INS = {"run", "shell", "routes"}


def test_every_command_is_in_the_readme(app):
    commands = set(app.cli.list_commands(None)) - FLASK_BUILT_INS
    assert commands, "no commands registered"
    missing = sorted(c for c in commands if f"moderation {c}" not in README)
    assert missing == []


def test_ci_runs_the_readme_test_command():
    ci_lines = (REPO / ".ci" / "run").read_text().splitlines()
    test_command = next(line for line in ci_lines if "pytest" in line and not line.startswith("#"))
    readme_commands = re.findall(r"```sh\n(.*?)\n```", README, flags=re.DOTALL)
    assert test_command in readme_commands[:2]


def test_the_readme_links_only_to_files_that_exist():
    for target in re.findall(r"\]\(((?!https?:)[^)#]+)\)", README):
        assert (REPO / target).exists(), target
