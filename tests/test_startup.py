"""What starting a process loads: every command line run and every import's parser
process pays for it, so the heavy libraries wait until they are needed."""

import subprocess
import sys


def modules_loaded_by(statement: str) -> set[str]:
    code = f"import sys\n{statement}\nprint(' '.join(sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return set(result.stdout.split())


def test_the_parser_process_loads_neither_flask_nor_the_database_layer():
    loaded = modules_loaded_by(
        "from moderation.parse_worker import _parse_into\n"
        "from moderation.importers import get_format\n"
        "get_format('wxr')"
    )
    assert "moderation.prepare" in loaded and "lxml.etree" in loaded
    assert not {"flask", "sqlalchemy", "altair"} & loaded


def test_the_command_line_module_loads_flask_only_when_run():
    # A spawned parser process imports the parent's main module, moderation.cli.
    loaded = modules_loaded_by("import moderation.cli")
    assert not {"flask", "sqlalchemy"} & loaded


def test_the_application_loads_altair_only_when_a_chart_is_drawn():
    loaded = modules_loaded_by(
        "from moderation import create_app\n"
        "create_app({'SQLALCHEMY_DATABASE_URI': 'sqlite://', 'SECRET_KEY': 'x'})"
    )
    assert "moderation.web.reports" in loaded
    assert "altair" not in loaded
