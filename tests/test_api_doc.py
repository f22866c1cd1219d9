"""docs/api.md, the contract, against the OpenAPI schema the app publishes.

The route tables of the contract (`| POST /api/v1/auth/register | ... | 201 User | 409 ... |`)
and the routes named in the sections "Service endpoints", "Analytics" and "Agent" are parsed
from the document itself, so a route, status code or field added to either side without the
other fails here. Parts of the contract that are not built yet are named below
(`NOT_YET_BUILT`, `PENDING_FIELDS`, `NOT_YET_BUILT_RESOURCES`), and the tests check that they
are really absent: building one without taking it off its list fails too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from typing import Any

import pytest

from app.core import errors
from app.core.config import Settings
from app.main import create_app

API_DOC = Path(__file__).resolve().parent.parent / "docs" / "api.md"

Route = tuple[str, str]  # (method, path with every `{...}` parameter written `{}`)

# Routes the contract lists and the code does not have yet (none today): a new section of the
# contract goes here until it is built, and each route comes off when it is.
NOT_YET_BUILT: frozenset[Route] = frozenset()

# Served, but not operations of the OpenAPI schema: `/metrics` is Prometheus text for scrapers
# (mounted outside the routers with `include_in_schema=False`, see app/core/metrics.py), and
# FastAPI leaves its own `/docs`, `/redoc` and `/openapi.json` out of the schema they describe
# (the contract names those only in its conventions, not as routes).
NOT_IN_SCHEMA: frozenset[Route] = frozenset({("GET", "/metrics")})

# Fields the contract gives a resource for a feature not built yet (none today). Take one off
# when the feature is built.
PENDING_FIELDS: frozenset[tuple[str, str]] = frozenset()

# Resources of the unbuilt sections: the contract defines them, the schema has none yet.
NOT_YET_BUILT_RESOURCES: frozenset[str] = frozenset()

# The contract's resource names and the schema components that render them.
COMPONENTS: dict[str, str] = {
    "User": "UserRead",
    "Token": "Token",
    "Profile": "ProfileRead",
    "Post": "PostRead",
    "Team": "TeamRead",
    "Hero": "HeroRead",
    "PersonalToken": "PersonalTokenRead",
    "Session": "SessionRead",
    "SecurityEvent": "SecurityEventRead",
}

# Sections where routes are written in list items and paragraphs rather than in tables.
PROSE_SECTIONS = ("Service endpoints", "Analytics", "Agent")

METHOD = r"(GET|HEAD|POST|PUT|PATCH|DELETE)"
HTTP_STATUSES = {status.value for status in HTTPStatus}


@dataclass
class DocRoute:
    method: str
    path: str  # as the contract writes it
    section: str
    statuses: set[int] = field(default_factory=set)
    # (status, code) pairs the contract gives, e.g. (409, "conflict").
    codes: set[tuple[int, str]] = field(default_factory=set)
    who: str = "anyone"  # who may call it: "signed in", "superuser", "permission `x`", ...

    @property
    def key(self) -> Route:
        return (self.method, normalize(self.path))

    @property
    def expected_statuses(self) -> set[int]:
        """The statuses the contract gives, and those its "who" implies: a route for signed-in
        callers answers 401 without a token, one for superusers or a permission 403 to others."""
        implied: set[int] = set()
        if not self.who.startswith("anyone"):
            implied.add(401)
            if "superuser" in self.who or "permission" in self.who:
                implied.add(403)
        return self.statuses | implied

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def normalize(path: str) -> str:
    """`/users/{id}` (contract) and `/users/{user_id}` (schema) are the same route."""
    return re.sub(r"\{[^}/]*\}", "{}", path)


def statuses_in(text: str) -> set[int]:
    """The HTTP status codes a piece of the contract gives (`201 User`, `409 \\`conflict\\``);
    other numbers (`1..2000 characters`, `[10 strings]`) are not statuses."""
    return {int(n) for n in re.findall(r"(?<![\w.])([1-5]\d\d)(?![\w.])", text)} & HTTP_STATUSES


def codes_in(text: str) -> set[tuple[int, str]]:
    return {(int(status), code) for status, code in re.findall(r"\b([45]\d\d) `([a-z_]+)`", text)}


def sections(markdown: str) -> dict[str, str]:
    """The text under each `## ` heading."""
    found: dict[str, str] = {}
    title = ""
    lines: list[str] = []
    for line in markdown.splitlines():
        if line.startswith("## "):
            found[title] = "\n".join(lines)
            title, lines = line[3:].strip(), []
        else:
            lines.append(line)
    found[title] = "\n".join(lines)
    return found


def table_routes(section: str, text: str) -> list[DocRoute]:
    """Rows of the section's tables whose first column is `method, path`."""
    routes: list[DocRoute] = []
    header: list[str] | None = None
    for line in text.splitlines():
        if not line.startswith("|"):
            header = None
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if header is None:
            header = cells
            continue
        if header[0] != "method, path" or set(line) <= set("|- "):
            continue
        assert len(cells) == len(header), f"a row of {section} does not parse: {line}"
        row = dict(zip(header, cells, strict=True))
        match = re.fullmatch(rf"{METHOD} (/\S*)", row["method, path"])
        assert match, f"a route of {section} does not parse: {row['method, path']}"
        # The success cell's own status comes before its first `;`; what follows describes
        # other requests ("that login's tokens give 401"), not answers of this route.
        outcome = f"{row['success'].split(';')[0]} {row['errors']}"
        routes.append(
            DocRoute(
                match[1],
                match[2],
                section,
                statuses_in(outcome),
                codes_in(row["errors"]),
                row.get("who", "anyone"),
            )
        )
    return routes


def prose_routes(section: str, text: str) -> list[DocRoute]:
    """Routes named in list items and paragraphs: `- GET \\`/health\\` → 200 ...` or
    `POST /api/v1/agent/ask, signed in, ... → 200 ... 503 ...`; the statuses are those of
    the item or paragraph that names the route."""
    routes: list[DocRoute] = []
    blocks = [block.strip() for block in re.split(r"\n(?=- )|\n\s*\n", text)]
    for block in blocks:
        match = re.match(rf"(?:- )?{METHOD} `?(/[^\s`,]*)`?(?:, (signed in|superuser))?", block)
        if match:
            who = match[3] or "anyone"
            routes.append(
                DocRoute(match[1], match[2], section, statuses_in(block), codes_in(block), who)
            )
    return routes


def parse_routes(markdown: str) -> list[DocRoute]:
    routes: list[DocRoute] = []
    for title, text in sections(markdown).items():
        routes += table_routes(title, text)
        if title.startswith(PROSE_SECTIONS):
            routes += prose_routes(title, text)
    return routes


def top_level_keys(body: str) -> list[str]:
    """`{id, author: {id, username}, team: Team | null}` -> ["id", "author", "team"]."""
    keys: list[str] = []
    depth, current = 0, ""
    for char in body.strip()[1:-1] + ",":
        if char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
        if char == "," and depth == 0:
            keys.append(current.split(":")[0].strip())
            current = ""
        else:
            current += char
    return keys


def parse_resources(markdown: str) -> dict[str, set[str]]:
    """`User: \\`{id, username, ...}\\`` definitions, with the fields a later sentence adds
    (`User gains \\`mfa_enabled\\``)."""
    resources: dict[str, set[str]] = {}
    for name, body in re.findall(r"^(?:- )?([A-Z][A-Za-z]+): `(\{.*?\})`", markdown, re.M):
        resources[name] = set(top_level_keys(body))
    for name, extra in re.findall(r"\b([A-Z][A-Za-z]+) gains `(\w+)`", markdown):
        resources[name].add(extra)
    return resources


DOC = API_DOC.read_text(encoding="utf-8")
DOC_ROUTES = parse_routes(DOC)
BUILT_ROUTES = [route for route in DOC_ROUTES if route.key not in NOT_YET_BUILT]
DOC_RESOURCES = parse_resources(DOC)


@pytest.fixture(scope="module")
def schema(settings: Settings) -> dict[str, Any]:
    return create_app(settings).openapi()


def operations(schema: dict[str, Any]) -> dict[Route, dict[str, Any]]:
    return {
        (method.upper(), normalize(path)): operation
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
    }


def error_classes() -> set[type[errors.AppError]]:
    found: set[type[errors.AppError]] = set()
    pending = [errors.AppError]
    while pending:
        cls = pending.pop()
        found.add(cls)
        pending += cls.__subclasses__()
    return found


def test_the_parser_reads_every_kind_of_route_the_contract_writes() -> None:
    prose = {str(route) for route in DOC_ROUTES if route.section.startswith(PROSE_SECTIONS)}
    assert prose == {
        "GET /",
        "GET /metrics",
        "GET /health",
        "GET /health/ready",
        "GET /api/v1/analytics/summary",
        "POST /api/v1/agent/ask",
    }
    by_name = {str(route): route for route in DOC_ROUTES}
    assert by_name["POST /api/v1/auth/register"].statuses == {201, 409, 422}
    assert by_name["POST /api/v1/auth/login"].codes == {
        (401, "invalid_credentials"),
        (403, "inactive_user"),
    }
    assert by_name["GET /health/ready"].statuses == {200, 503}
    assert by_name["POST /api/v1/agent/ask"].statuses == {200, 502, 503, 504}
    assert by_name["POST /api/v1/agent/ask"].who == "signed in"
    assert by_name["GET /api/v1/analytics/summary"].expected_statuses == {401, 403}
    assert by_name["DELETE /api/v1/teams/{id}"].expected_statuses == {204, 401, 403, 404}
    assert len(DOC_ROUTES) == len({route.key for route in DOC_ROUTES}), "a route listed twice"


def test_every_built_route_of_the_contract_is_in_the_schema(schema: dict[str, Any]) -> None:
    missing = {
        str(route)
        for route in BUILT_ROUTES
        if route.key not in operations(schema) and route.key not in NOT_IN_SCHEMA
    }
    assert missing == set()


def test_every_operation_of_the_schema_is_in_the_contract(schema: dict[str, Any]) -> None:
    documented = {route.key for route in DOC_ROUTES}
    assert set(operations(schema)) - documented == set()


def test_the_routes_not_yet_built_are_in_the_contract_and_not_in_the_schema(
    schema: dict[str, Any],
) -> None:
    assert NOT_YET_BUILT - {route.key for route in DOC_ROUTES} == set()
    built_already = NOT_YET_BUILT & set(operations(schema))
    assert built_already == set(), "built: take them off NOT_YET_BUILT"


def test_the_routes_outside_the_schema_are_in_the_contract(schema: dict[str, Any]) -> None:
    assert NOT_IN_SCHEMA - {route.key for route in DOC_ROUTES} == set()
    assert NOT_IN_SCHEMA & set(operations(schema)) == set()


@pytest.mark.parametrize(
    "route",
    [route for route in BUILT_ROUTES if route.key not in NOT_IN_SCHEMA],
    ids=str,
)
def test_every_status_the_contract_gives_a_route_is_declared(
    schema: dict[str, Any], route: DocRoute
) -> None:
    # Statuses the conventions give every route (404 and 405 for paths and methods no route
    # has, 413 for bodies over 1 MiB, 429 past the default rate limit, 503 while the database
    # is down, 500) come from middleware and handlers around the routes, not from the routes:
    # only what the contract gives this route is compared.
    declared = {int(status) for status in operations(schema)[route.key]["responses"]}
    assert route.expected_statuses - declared == set()


def test_every_error_code_of_a_built_route_is_one_the_app_raises() -> None:
    raised = {(cls.status_code, cls.code) for cls in error_classes()}
    given = {(status, code) for route in BUILT_ROUTES for status, code in route.codes}
    assert given
    assert given - raised == set()


@pytest.mark.parametrize("name", sorted(COMPONENTS))
def test_the_fields_of_a_resource_match_its_schema(schema: dict[str, Any], name: str) -> None:
    properties = set(schema["components"]["schemas"][COMPONENTS[name]]["properties"])
    pending = {field for resource, field in PENDING_FIELDS if resource == name}
    assert DOC_RESOURCES[name] - pending == properties


def test_the_pending_fields_are_in_the_contract_and_not_in_the_schema(
    schema: dict[str, Any],
) -> None:
    components = schema["components"]["schemas"]
    for resource, name in PENDING_FIELDS:
        assert name in DOC_RESOURCES[resource]
        assert name not in components[COMPONENTS[resource]]["properties"], (
            f"{resource}.{name} is built: take it off PENDING_FIELDS"
        )


def test_every_resource_the_contract_defines_is_compared_or_not_yet_built(
    schema: dict[str, Any],
) -> None:
    assert set(DOC_RESOURCES) == set(COMPONENTS) | NOT_YET_BUILT_RESOURCES
    built_already = {
        name
        for name in NOT_YET_BUILT_RESOURCES
        if any(component.startswith(name) for component in schema["components"]["schemas"])
    }
    assert built_already == set(), "built: take them off NOT_YET_BUILT_RESOURCES"
