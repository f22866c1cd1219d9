"""The mapped classes: every relationship resolves, whatever part of the app was imported."""

from __future__ import annotations

import subprocess
import sys

from tests.servers import ROOT


def test_a_process_that_imports_one_domain_can_configure_every_mapper() -> None:
    """`User.posts` names "Post" and `Team.heroes` "Hero": the CLI imports only the users
    domain and the engine, and its first query configures the mappers."""
    code = (
        "import app.users.service, app.teams.service\n"
        "from app.db.engine import Database\n"
        "from sqlalchemy.orm import configure_mappers\n"
        "configure_mappers()\n"
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
