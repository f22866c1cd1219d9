"""The domains of the app: every subpackage of `app` with models or a router.

Adding a domain is adding a folder: its `models.py` is imported (so Alembic and the metadata
see its tables) and its `router.py`'s `router` is mounted under `/api/v1` (and a
`public_router`, if any, at the root). Nothing else needs to be edited.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from types import ModuleType

import app

SPINE = frozenset({"core", "db"})


def _domain_names() -> list[str]:
    return sorted(
        info.name
        for info in pkgutil.iter_modules(app.__path__)
        if info.ispkg and info.name not in SPINE
    )


def _import_if_present(domain: str, module: str) -> ModuleType | None:
    name = f"app.{domain}.{module}"
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name == name:
            return None
        raise


@cache
def load_models() -> None:
    for domain in _domain_names():
        _import_if_present(domain, "models")


def routers() -> list[tuple[ModuleType, str]]:
    """(router module, domain) for each domain that has a router."""
    found = []
    for domain in _domain_names():
        module = _import_if_present(domain, "router")
        if module is not None:
            found.append((module, domain))
    return found
