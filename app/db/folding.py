"""Text "in any letter case": one definition, computed alike by Python, SQLite and PostgreSQL.

    fold_case(s) = lower(upper(lower(s)))

with Unicode's default, locale-independent full case mappings. It equates exactly what
Unicode case folding (Python's `str.casefold`) equates, character by character, except the
dotless i (U+0131), which it also equates with i and I: `Équipe` = `équipe`, `Straße` = `STRASSE` =
`STRAẞE`, `ΟΔΥΣΣΕΥΣ` = `οδυσσευσ`, `ﬁle` = `FILE`. Case folding itself is not used because
PostgreSQL before 18 has no such function; a plain `lower()` would keep `ß` and `ss` apart.

It is the SQL function `fold_case(text)` on both databases, and every case-insensitive
comparison goes through it: the unique indexes on usernames and team names, the lookups
that match them (so PostgreSQL uses those indexes) and the text filters (`q`, `username`,
`name`). On PostgreSQL a migration creates it as `lower(upper(lower(s COLLATE "und-x-icu")))`:
ICU's root locale, whatever the database's own locale (with libc's, `lower()` keeps `ß`, maps
`İ` to `i` and knows no final sigma). On SQLite every connection registers the Python function
below (app/db/sqlite.py; SQLite's own `lower()` and `LIKE` fold ASCII only). Python and
PostgreSQL 15 (ICU 72) give the same result for every code point
(tests/db/test_case_folding.py).

Values the app binds are folded in Python with the same function, so a comparison reads
`fold_case(column) = :already_folded`. A SQLite file with these indexes needs the function to
change the indexed columns: tools other than the app (the `sqlite3` shell) can read it, but
writing users or teams from them fails with "no such function: fold_case".
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, String, bindparam, func
from sqlmodel import col

SQL_NAME = "fold_case"


def fold_case(value: str) -> str:
    return value.lower().upper().lower()


def sql_fold_case(value: Any) -> Any:
    """`fold_case` as SQLite calls it: NULL (None) and blobs pass through."""
    return fold_case(value) if isinstance(value, str) else value


def folded(column: Any) -> ColumnElement[str]:
    """`fold_case(column)` in SQL."""
    return func.fold_case(col(column), type_=String)


def equals_folded(column: Any, value: str) -> ColumnElement[bool]:
    """`column` equals `value` in any letter case (an index on `fold_case(column)` serves it)."""
    return folded(column) == fold_case(value)


def contains_folded(column: Any, value: str) -> ColumnElement[bool]:
    """`value` is a substring of `column` in any letter case; `%` and `_` are literal."""
    return folded(column).contains(fold_case(value), autoescape=True)


# The escape character of `contains_folded_param`'s patterns (SQLAlchemy's autoescape uses it).
LIKE_ESCAPE = "/"


def contains_pattern(value: str) -> str:
    """The LIKE pattern `contains_folded_param` binds for `value`: folded, `%`, `_` and the
    escape character made literal, wrapped in `%`."""
    escaped = (
        fold_case(value)
        .replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
        .replace("%", LIKE_ESCAPE + "%")
        .replace("_", LIKE_ESCAPE + "_")
    )
    return f"%{escaped}%"


def contains_folded_param(column: Any, name: str) -> ColumnElement[bool]:
    """`contains_folded` with the value bound later, as `contains_pattern(value)` under the
    bind parameter `name`: for statements compiled once (app/db/direct.py)."""
    return folded(column).like(bindparam(name, type_=String), escape=LIKE_ESCAPE)
