"""One definition of "the same letters in any case", computed alike by Python and both databases.

`fold_case` (app/db/folding.py) is the SQL function the unique name indexes and the text
filters use; Python computes the same value for the parameters it binds.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from app.core.state import AppState
from app.db.folding import equals_folded, fold_case
from app.teams.models import Team
from app.users.models import User
from tests.conftest import is_postgres

SAMPLES = [
    "Équipe",
    "ÉQUIPE",
    "Über",
    "Straße",
    "STRASSE",
    "ẞ",
    "ΟΔΥΣΣΕΥΣ",
    "οδυσσευσ",
    "AΣ'Σ",
    "İstanbul",
    "ﬁle",
    "ǅemal",
    "ᾳ",
    "ŉ",
    "Ωμέγα",
    "100%_/\\",
    "",
]


@pytest.mark.parametrize("value", SAMPLES)
async def test_the_database_folds_case_as_python_does(state: AppState, value: str) -> None:
    async with state.db.engine.connect() as conn:
        folded = (await conn.execute(select(func.fold_case(value)))).scalar_one()

    assert folded == fold_case(value)


def test_folding_equates_what_unicode_case_folding_equates() -> None:
    assert fold_case("Équipe") == fold_case("ÉQUIPE") == "équipe"
    assert fold_case("Straße") == fold_case("STRASSE") == fold_case("STRAẞE") == "strasse"
    assert fold_case("ΟΔΥΣΣΕΥΣ") == fold_case("οδυσσευσ")
    assert fold_case("ﬁle") == fold_case("FILE")


async def test_every_code_point_folds_alike_in_python_and_in_postgresql(state: AppState) -> None:
    if not is_postgres(state):
        pytest.skip("SQLite runs the Python function itself")
    query = text(
        "SELECT i, fold_case(chr(i)) FROM generate_series(1, 1114111) AS i"
        " WHERE i NOT BETWEEN 55296 AND 57343"  # surrogates are not characters
    )
    async with state.db.engine.connect() as conn:
        rows = (await conn.execute(query)).all()

    differing = [hex(i) for i, folded in rows if folded != fold_case(chr(i))]
    assert len(rows) == 1_112_063
    assert differing == []


@pytest.mark.parametrize(
    ("statement", "index"),
    [
        (select(User).where(equals_folded(User.username, "ALICE")), "uq_users_username_fold"),
        (select(Team).where(equals_folded(Team.name, "ÉQUIPE")), "uq_teams_name_fold"),
    ],
)
async def test_a_lookup_by_folded_name_uses_its_unique_index_on_postgresql(
    state: AppState, statement: object, index: str
) -> None:
    if not is_postgres(state):
        pytest.skip("PostgreSQL's planner")
    compiled = statement.compile(  # type: ignore[attr-defined]
        dialect=state.db.engine.dialect, compile_kwargs={"literal_binds": True}
    )
    async with state.db.engine.connect() as conn:
        await conn.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join((await conn.execute(text(f"EXPLAIN {compiled}"))).scalars())
        await conn.rollback()

    assert index in plan
