"""Helpers for the browser tests (kept out of conftest.py so tests can import them)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
PASSWORD = "browser test password"


def sign_in(page, live_server, username="mod"):
    page.goto(live_server.url + "/sign-in")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/queue" if username != "analyst" else "**/overview")


def save_screenshot(page, name: str, publish: bool = False) -> Path:
    """Into test-artifacts/ (gitignored). ``publish`` marks the README's screenshots: they are
    copied to docs/screenshots/ only when MODERATION_UPDATE_SCREENSHOTS=1, so that running
    the tests leaves the work tree as it was."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    if publish and os.environ.get("MODERATION_UPDATE_SCREENSHOTS") == "1":
        target = REPO / "docs" / "screenshots"
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target / f"{name}.png")
    return path
