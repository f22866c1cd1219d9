"""unique usernames and team names in any Unicode letter case: fold_case

Revision ID: d9e9fb0b4880
Revises: e5ed2c11f56a
Create Date: 2026-11-27 12:00:00+00:00

The unique indexes on lower(username) and lower(name) become indexes on fold_case(...), the
app's one definition of "in any letter case" (app/db/folding.py). On PostgreSQL this migration
creates the function (ICU's root-locale case mappings, whatever the database's locale); on
SQLite every connection registers it, this migration's included (app/db/sqlite.py,
migrations/env.py).

Team names that were distinct under the old lower() but fold alike (SQLite's ASCII-only
lower() let `Équipe` and `équipe` both in; PostgreSQL's kept `Straße` and `STRASSE` apart)
would make the new unique index fail: all but the oldest of each such group get a number,
`équipe (2)`, and each rename is logged. Usernames are ASCII-only, which both databases'
lower() already folded: they cannot collide anew.
"""

import logging
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d9e9fb0b4880"
down_revision: str | None = "e5ed2c11f56a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

logger = logging.getLogger("alembic.runtime.migration")

TEAM_NAME_MAX = 100
CREATE_FUNCTION = """
CREATE OR REPLACE FUNCTION fold_case(value text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT lower(upper(lower(value COLLATE "und-x-icu"))) $$
"""


def fold(value: str) -> str:
    """fold_case as this revision defines it (the same as the database function)."""
    return value.lower().upper().lower()


def _create_function(bind: sa.Connection) -> None:
    has_icu = bind.execute(
        sa.text("SELECT 1 FROM pg_collation WHERE collname = 'und-x-icu'")
    ).first()
    if has_icu is None:
        raise RuntimeError(
            "this PostgreSQL has no ICU collations (und-x-icu): Agora folds letter case with "
            "ICU so that it matches SQLite and does not depend on the database's locale; use "
            "a PostgreSQL built with ICU (the Debian, Ubuntu, RHEL and official Docker ones are)"
        )
    bind.execute(sa.text(CREATE_FUNCTION))


def _number_teams_that_fold_alike(bind: sa.Connection) -> None:
    rows = bind.execute(sa.text("SELECT id, name FROM teams ORDER BY created_at, id")).all()
    taken = {fold(name) for _, name in rows}
    seen: set[str] = set()
    for team_id, name in rows:
        if fold(name) not in seen:
            seen.add(fold(name))
            continue
        number = 2
        while True:
            suffix = f" ({number})"
            candidate = name[: TEAM_NAME_MAX - len(suffix)] + suffix
            if fold(candidate) not in taken:
                break
            number += 1
        taken.add(fold(candidate))
        seen.add(fold(candidate))
        bind.execute(
            sa.text("UPDATE teams SET name = :name WHERE id = :id"),
            {"name": candidate, "id": team_id},
        )
        logger.warning(
            "team %s: name %r taken in another letter case, now %r", team_id, name, candidate
        )


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        _create_function(bind)
    op.drop_index("uq_users_username_lower", table_name="users")
    op.drop_index("uq_teams_name_lower", table_name="teams")
    _number_teams_that_fold_alike(bind)
    op.create_index(
        "uq_users_username_fold", "users", [sa.text("fold_case(username)")], unique=True
    )
    op.create_index("uq_teams_name_fold", "teams", [sa.text("fold_case(name)")], unique=True)


def downgrade() -> None:
    op.drop_index("uq_teams_name_fold", table_name="teams")
    op.drop_index("uq_users_username_fold", table_name="users")
    op.create_index("uq_teams_name_lower", "teams", [sa.text("lower(name)")], unique=True)
    op.create_index("uq_users_username_lower", "users", [sa.text("lower(username)")], unique=True)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS fold_case(text)")
