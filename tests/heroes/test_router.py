"""docs/api.md, section Teams and heroes: the heroes rows."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from app.heroes.models import Hero
from tests.assertions import assert_error, assert_invalid

URL = "/api/v1/heroes"


def new_hero(**fields: object) -> dict[str, object]:
    return {"name": "Deadpond", "secret_name": "Dive Wilson", **fields}


# --- POST /heroes --------------------------------------------------------------------------


async def test_create_returns_201_without_the_secret_name(client, user_headers) -> None:
    response = await client.post(URL, json=new_hero(age=30), headers=user_headers)
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "name", "age", "team_id", "team", "created_at", "updated_at"}
    assert body["age"] == 30
    assert body["team"] is None
    assert "Dive Wilson" not in response.text


async def test_create_stores_the_secret_name(client, session, user_headers) -> None:
    response = await client.post(URL, json=new_hero(), headers=user_headers)
    stored = await session.get(Hero, uuid.UUID(response.json()["id"]))
    assert stored is not None
    assert stored.secret_name == "Dive Wilson"


async def test_create_nests_the_team(client, user_headers, team_factory) -> None:
    team = await team_factory("Preventers")
    response = await client.post(URL, json=new_hero(team_id=str(team.id)), headers=user_headers)
    assert response.status_code == 201
    body = response.json()
    assert body["team_id"] == str(team.id)
    assert body["team"]["name"] == "Preventers"
    assert set(body["team"]) == {"id", "name", "headquarters", "created_at", "updated_at"}


async def test_create_with_a_team_id_of_no_team_is_400(client, session, user_headers) -> None:
    response = await client.post(
        URL, json=new_hero(team_id=str(uuid.uuid4())), headers=user_headers
    )
    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"
    assert (await session.scalars(select(Hero))).all() == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param(new_hero(team_id="seven"), "team_id", id="malformed-team-id"),
        pytest.param({"name": "Deadpond"}, "secret_name", id="no-secret-name"),
        pytest.param(new_hero(secret_name=""), "secret_name", id="empty-secret-name"),
        pytest.param(new_hero(secret_name="s" * 101), "secret_name", id="secret-name-101"),
        pytest.param(new_hero(age=-1), "age", id="negative-age"),
        pytest.param(new_hero(age=10_001), "age", id="age-over-10000"),
        pytest.param(new_hero(power="x"), "power", id="unknown-field"),
    ],
)
async def test_create_rejects_invalid_input_naming_the_field(
    client, user_headers, body: dict[str, object], field: str
) -> None:
    response = await client.post(URL, json=body, headers=user_headers)
    assert_invalid(response, field)


async def test_create_requires_a_signed_in_caller(client) -> None:
    assert_error(await client.post(URL, json=new_hero()), 401, "not_authenticated")


# --- GET /heroes ---------------------------------------------------------------------------


async def test_list_is_public_newest_first_with_teams(client, team_factory, hero_factory) -> None:
    team = await team_factory("Preventers")
    await hero_factory("First")
    await hero_factory("Second", team_id=team.id)
    body = (await client.get(URL)).json()
    assert [h["name"] for h in body["items"]] == ["Second", "First"]
    assert body["items"][0]["team"]["name"] == "Preventers"
    assert body["items"][1]["team"] is None
    assert all("secret_name" not in h for h in body["items"])


async def test_list_filters_by_name_case_insensitively(client, hero_factory) -> None:
    await hero_factory("Spider-Boy")
    await hero_factory("Rusty-Man")
    body = (await client.get(URL, params={"name": "SPIDER"})).json()
    assert [h["name"] for h in body["items"]] == ["Spider-Boy"]


async def test_list_filters_by_name_in_any_unicode_case(client, hero_factory) -> None:
    await hero_factory("Übermensch")
    await hero_factory("Ubermensch")
    body = (await client.get(URL, params={"name": "über"})).json()
    assert [h["name"] for h in body["items"]] == ["Übermensch"]


async def test_list_name_filter_takes_underscore_literally(client, hero_factory) -> None:
    await hero_factory("Mr_X")
    await hero_factory("MrsX")
    body = (await client.get(URL, params={"name": "r_"})).json()
    assert [h["name"] for h in body["items"]] == ["Mr_X"]


async def test_list_filters_by_team_id(client, team_factory, hero_factory) -> None:
    team = await team_factory()
    await hero_factory("In", team_id=team.id)
    await hero_factory("Out")
    body = (await client.get(URL, params={"team_id": str(team.id)})).json()
    assert [h["name"] for h in body["items"]] == ["In"]


async def test_list_rejects_a_malformed_team_id(client) -> None:
    assert_invalid(await client.get(URL, params={"team_id": "x"}), "team_id")


async def test_list_rejects_limit_101(client) -> None:
    assert_invalid(await client.get(URL, params={"limit": 101}), "limit")


async def test_list_statement_count_does_not_grow_with_rows(
    client, team_factory, hero_factory, count_statements
) -> None:
    async def statements() -> int:
        count_statements.reset()
        assert (await client.get(URL, params={"limit": 50})).status_code == 200
        return count_statements.count

    for i in range(2):
        await hero_factory(f"few {i}", team_id=(await team_factory()).id)
    few = await statements()
    for i in range(55):
        await hero_factory(f"many {i}", team_id=(await team_factory()).id)
    assert await statements() <= few + 1  # + the count query of a full page


# --- GET /heroes/{id} ----------------------------------------------------------------------


async def test_read_gives_the_hero_with_its_team(client, team_factory, hero_factory) -> None:
    team = await team_factory("Preventers")
    hero = await hero_factory(team_id=team.id)
    body = (await client.get(f"{URL}/{hero.id}")).json()
    assert body["id"] == str(hero.id)
    assert body["team"]["id"] == str(team.id)
    assert "secret_name" not in body


async def test_read_unknown_hero_is_404(client) -> None:
    assert_error(await client.get(f"{URL}/{uuid.uuid4()}"), 404, "not_found")


async def test_read_malformed_id_is_422(client) -> None:
    assert_invalid(await client.get(f"{URL}/abc"), "hero_id")


# --- PATCH /heroes/{id} --------------------------------------------------------------------


async def test_update_moves_the_hero_to_another_team(
    client, user_headers, team_factory, hero_factory
) -> None:
    old, new = await team_factory("Old"), await team_factory("New")
    hero = await hero_factory(team_id=old.id)
    response = await client.patch(
        f"{URL}/{hero.id}", json={"team_id": str(new.id)}, headers=user_headers
    )
    assert response.status_code == 200
    assert response.json()["team"]["name"] == "New"


async def test_update_may_clear_the_team(client, user_headers, team_factory, hero_factory) -> None:
    team = await team_factory()
    hero = await hero_factory(team_id=team.id)
    response = await client.patch(f"{URL}/{hero.id}", json={"team_id": None}, headers=user_headers)
    assert response.status_code == 200
    assert response.json()["team_id"] is None
    assert response.json()["team"] is None


async def test_update_accepts_a_secret_name_and_never_returns_it(
    client, session, user_headers, hero_factory
) -> None:
    hero = await hero_factory()
    response = await client.patch(
        f"{URL}/{hero.id}", json={"secret_name": "Wade"}, headers=user_headers
    )
    assert response.status_code == 200
    assert "secret_name" not in response.json()
    stored = (await session.scalars(select(Hero).where(Hero.id == hero.id))).one()
    assert stored.secret_name == "Wade"


async def test_update_with_a_team_id_of_no_team_is_400(client, user_headers, hero_factory) -> None:
    hero = await hero_factory()
    response = await client.patch(
        f"{URL}/{hero.id}", json={"team_id": str(uuid.uuid4())}, headers=user_headers
    )
    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"


async def test_update_unknown_hero_is_404(client, user_headers) -> None:
    response = await client.patch(f"{URL}/{uuid.uuid4()}", json={"age": 3}, headers=user_headers)
    assert_error(response, 404, "not_found")


async def test_update_rejects_unknown_fields(client, user_headers, hero_factory) -> None:
    hero = await hero_factory()
    response = await client.patch(f"{URL}/{hero.id}", json={"team": None}, headers=user_headers)
    assert_invalid(response, "team")


async def test_update_rejects_a_null_name(client, user_headers, hero_factory) -> None:
    hero = await hero_factory()
    response = await client.patch(f"{URL}/{hero.id}", json={"name": None}, headers=user_headers)
    assert_invalid(response, "name")


async def test_update_requires_a_signed_in_caller(client, hero_factory) -> None:
    hero = await hero_factory()
    response = await client.patch(f"{URL}/{hero.id}", json={"age": 1})
    assert_error(response, 401, "not_authenticated")


# --- DELETE /heroes/{id} -------------------------------------------------------------------


async def test_delete_with_the_permission_gives_204(
    client, session, user_factory, headers_for, hero_factory
) -> None:
    hero = await hero_factory()
    deleter = await user_factory("deleter", permissions=["heroes:delete"])
    response = await client.delete(f"{URL}/{hero.id}", headers=await headers_for(deleter))
    assert response.status_code == 204
    assert await session.get(Hero, hero.id) is None


async def test_delete_without_the_permission_is_403(
    client, session, user_headers, hero_factory
) -> None:
    hero = await hero_factory()
    response = await client.delete(f"{URL}/{hero.id}", headers=user_headers)
    assert_error(response, 403, "forbidden")
    assert await session.get(Hero, hero.id) is not None


async def test_superuser_may_delete_a_hero(client, superuser_headers, hero_factory) -> None:
    hero = await hero_factory()
    assert (await client.delete(f"{URL}/{hero.id}", headers=superuser_headers)).status_code == 204


async def test_delete_requires_a_signed_in_caller(client, hero_factory) -> None:
    hero = await hero_factory()
    assert_error(await client.delete(f"{URL}/{hero.id}"), 401, "not_authenticated")


async def test_delete_unknown_hero_is_404(client, superuser_headers) -> None:
    response = await client.delete(f"{URL}/{uuid.uuid4()}", headers=superuser_headers)
    assert_error(response, 404, "not_found")


async def test_a_team_deleted_between_check_and_insert_is_400(
    client, session, user_headers, monkeypatch
) -> None:
    """The existence check passed; the foreign key refuses the row: still a 400, not a 500."""
    from app.teams.repository import TeamRepository

    async def always(self, team_id) -> bool:
        return True

    monkeypatch.setattr(TeamRepository, "exists", always)
    response = await client.post(
        URL, json=new_hero(team_id=str(uuid.uuid4())), headers=user_headers
    )
    assert_error(response, 400, "bad_request")
    assert (await session.scalars(select(Hero))).all() == []


async def test_openapi_lists_the_hero_and_team_routes(client) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/heroes"])
    assert {"get", "patch", "delete"} <= set(paths["/api/v1/heroes/{hero_id}"])
    assert {"get", "post"} <= set(paths["/api/v1/teams"])
    assert {"get", "patch", "delete"} <= set(paths["/api/v1/teams/{team_id}"])
    assert "400" in paths["/api/v1/heroes"]["post"]["responses"]
    assert "409" in paths["/api/v1/teams"]["post"]["responses"]
