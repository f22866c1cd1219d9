"""docs/api.md, section Teams and heroes: the teams rows."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from app.heroes.models import Hero
from app.teams.models import Team
from tests.assertions import assert_error, assert_invalid

URL = "/api/v1/teams"


def new_team(**fields: object) -> dict[str, object]:
    return {"name": "Preventers", "headquarters": "Sharp Tower", **fields}


# --- POST /teams ---------------------------------------------------------------------------


async def test_create_returns_201_with_the_team(client, user_headers) -> None:
    response = await client.post(URL, json=new_team(), headers=user_headers)
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "name", "headquarters", "created_at", "updated_at"}
    assert body["name"] == "Preventers"


async def test_create_requires_a_signed_in_caller(client) -> None:
    assert_error(await client.post(URL, json=new_team()), 401, "not_authenticated")


async def test_create_refuses_a_name_taken_in_another_letter_case(
    client, user_headers, team_factory
) -> None:
    await team_factory("Preventers")
    response = await client.post(URL, json=new_team(name="PREVENTERS"), headers=user_headers)
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"


@pytest.mark.parametrize(
    ("taken", "name"),
    [("Équipe", "équipe"), ("Über", "ÜBER"), ("Straße", "STRASSE"), ("ΟΔΥΣΣΕΥΣ", "οδυσσευς")],
)
async def test_create_refuses_a_name_taken_in_another_unicode_case(
    client, user_headers, team_factory, taken, name
) -> None:
    await team_factory(taken)
    response = await client.post(URL, json=new_team(name=name), headers=user_headers)
    assert_error(response, 409, "conflict")


async def test_two_names_differing_in_unicode_case_cannot_both_be_stored(
    client, session, team_factory
) -> None:
    """The unique index itself folds case (a race past the service's check still fails)."""
    from sqlalchemy.exc import IntegrityError

    await team_factory("Équipe")
    session.add(Team(name="équipe", headquarters="Paris"))
    with pytest.raises(IntegrityError):
        await session.flush()
    await session.rollback()


async def test_create_maps_a_unique_violation_race_to_409(
    client, app, user_headers, team_factory
) -> None:
    """The check passed (as if the other request had not committed yet); the index refuses."""
    from app.teams.repository import TeamRepository

    await team_factory("Preventers")

    async def never_taken(self, name, *, exclude=None) -> bool:
        return False

    original = TeamRepository.name_taken
    TeamRepository.name_taken = never_taken  # type: ignore[method-assign]
    try:
        response = await client.post(URL, json=new_team(name="preventers"), headers=user_headers)
    finally:
        TeamRepository.name_taken = original  # type: ignore[method-assign]
    assert_error(response, 409, "conflict")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param(new_team(motto="x"), "motto", id="unknown-field"),
        pytest.param(new_team(name=""), "name", id="empty-name"),
        pytest.param(new_team(name="n" * 101), "name", id="name-101"),
        pytest.param(new_team(headquarters="h" * 256), "headquarters", id="headquarters-256"),
    ],
)
async def test_create_rejects_invalid_input_naming_the_field(
    client, user_headers, body: dict[str, object], field: str
) -> None:
    response = await client.post(URL, json=body, headers=user_headers)
    assert_invalid(response, field)


# --- GET /teams ----------------------------------------------------------------------------


async def test_list_is_public_and_newest_first(client, team_factory) -> None:
    await team_factory("A")
    await team_factory("B")
    body = (await client.get(URL)).json()
    assert [t["name"] for t in body["items"]] == ["B", "A"]
    assert body["total"] == 2


async def test_list_filters_by_name_case_insensitively(client, team_factory) -> None:
    await team_factory("Z-Force")
    await team_factory("Preventers")
    body = (await client.get(URL, params={"name": "z-f"})).json()
    assert [t["name"] for t in body["items"]] == ["Z-Force"]


async def test_list_filters_by_name_in_any_unicode_case(client, team_factory) -> None:
    await team_factory("Équipe Rouge")
    await team_factory("Equipe Bleue")
    body = (await client.get(URL, params={"name": "équipe"})).json()
    assert [t["name"] for t in body["items"]] == ["Équipe Rouge"]


async def test_list_name_filter_takes_percent_literally(client, team_factory) -> None:
    await team_factory("100% Heroes")
    await team_factory("Heroes")
    body = (await client.get(URL, params={"name": "%"})).json()
    assert [t["name"] for t in body["items"]] == ["100% Heroes"]


async def test_list_rejects_limit_101(client) -> None:
    assert_invalid(await client.get(URL, params={"limit": 101}), "limit")


# --- GET /teams/{id} -----------------------------------------------------------------------


async def test_read_gives_the_team_with_its_heroes(client, team_factory, hero_factory) -> None:
    team = await team_factory("Preventers")
    await hero_factory("Deadpond", team_id=team.id, age=30)
    await hero_factory("Loner")
    body = (await client.get(f"{URL}/{team.id}")).json()
    assert body["name"] == "Preventers"
    assert [h["name"] for h in body["heroes"]] == ["Deadpond"]
    hero = body["heroes"][0]
    assert set(hero) == {"id", "name", "age", "team_id", "created_at", "updated_at"}
    assert hero["team_id"] == str(team.id)


async def test_read_of_a_team_without_heroes_gives_an_empty_list(client, team_factory) -> None:
    team = await team_factory()
    assert (await client.get(f"{URL}/{team.id}")).json()["heroes"] == []


async def test_read_unknown_team_is_404(client) -> None:
    response = await client.get(f"{URL}/{uuid.uuid4()}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


async def test_read_malformed_id_is_422(client) -> None:
    assert_invalid(await client.get(f"{URL}/42"), "team_id")


async def test_read_statement_count_does_not_grow_with_heroes(
    client, team_factory, hero_factory, count_statements
) -> None:
    few_team = await team_factory("Few")
    for i in range(2):
        await hero_factory(f"few {i}", team_id=few_team.id)
    many_team = await team_factory("Many")
    for i in range(50):
        await hero_factory(f"many {i}", team_id=many_team.id)

    count_statements.reset()
    few = await client.get(f"{URL}/{few_team.id}")
    few_count = count_statements.count
    count_statements.reset()
    many = await client.get(f"{URL}/{many_team.id}")
    many_count = count_statements.count

    assert len(few.json()["heroes"]) == 2
    assert len(many.json()["heroes"]) == 50
    assert many_count == few_count
    assert many_count <= 2  # the team, then its heroes in one query


# --- PATCH /teams/{id} ---------------------------------------------------------------------


async def test_update_changes_the_team(client, user_headers, team_factory) -> None:
    team = await team_factory("Old")
    response = await client.patch(
        f"{URL}/{team.id}", json={"headquarters": "Moon"}, headers=user_headers
    )
    assert response.status_code == 200
    assert response.json()["headquarters"] == "Moon"
    assert response.json()["name"] == "Old"


async def test_update_may_change_only_the_letter_case_of_its_own_name(
    client, user_headers, team_factory
) -> None:
    team = await team_factory("preventers")
    response = await client.patch(
        f"{URL}/{team.id}", json={"name": "Preventers"}, headers=user_headers
    )
    assert response.status_code == 200
    assert response.json()["name"] == "Preventers"


async def test_update_to_a_taken_name_is_409(client, user_headers, team_factory) -> None:
    await team_factory("Taken")
    team = await team_factory("Mine")
    response = await client.patch(f"{URL}/{team.id}", json={"name": "TAKEN"}, headers=user_headers)
    assert_error(response, 409, "conflict")


async def test_update_requires_a_signed_in_caller(client, team_factory) -> None:
    team = await team_factory()
    response = await client.patch(f"{URL}/{team.id}", json={"name": "x"})
    assert_error(response, 401, "not_authenticated")


async def test_update_unknown_team_is_404(client, user_headers) -> None:
    response = await client.patch(f"{URL}/{uuid.uuid4()}", json={"name": "x"}, headers=user_headers)
    assert_error(response, 404, "not_found")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"heroes": []}, "heroes", id="unknown-field"),
        pytest.param({"name": None}, "name", id="null-name"),
    ],
)
async def test_update_rejects_invalid_input_naming_the_field(
    client, user_headers, team_factory, body: dict[str, object], field: str
) -> None:
    team = await team_factory()
    response = await client.patch(f"{URL}/{team.id}", json=body, headers=user_headers)
    assert_invalid(response, field)


# --- DELETE /teams/{id} --------------------------------------------------------------------


async def test_delete_with_the_permission_gives_204(
    client, session, user_factory, headers_for, team_factory
) -> None:
    team = await team_factory()
    deleter = await user_factory("deleter", permissions=["teams:delete"])
    response = await client.delete(f"{URL}/{team.id}", headers=await headers_for(deleter))
    assert response.status_code == 204
    assert await session.get(Team, team.id) is None


async def test_delete_without_the_permission_is_403(
    client, session, user_headers, team_factory
) -> None:
    team = await team_factory()
    response = await client.delete(f"{URL}/{team.id}", headers=user_headers)
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert await session.get(Team, team.id) is not None


async def test_delete_with_only_heroes_delete_is_403(
    client, user_factory, headers_for, team_factory
) -> None:
    team = await team_factory()
    other = await user_factory("heroic", permissions=["heroes:delete"])
    response = await client.delete(f"{URL}/{team.id}", headers=await headers_for(other))
    assert_error(response, 403, "forbidden")


async def test_superuser_may_delete_a_team(client, superuser_headers, team_factory) -> None:
    team = await team_factory()
    assert (await client.delete(f"{URL}/{team.id}", headers=superuser_headers)).status_code == 204


async def test_delete_requires_a_signed_in_caller(client, team_factory) -> None:
    team = await team_factory()
    assert_error(await client.delete(f"{URL}/{team.id}"), 401, "not_authenticated")


async def test_delete_unknown_team_is_404(client, superuser_headers) -> None:
    response = await client.delete(f"{URL}/{uuid.uuid4()}", headers=superuser_headers)
    assert_error(response, 404, "not_found")


async def test_deleting_a_team_leaves_its_heroes_team_less(
    client, session, superuser_headers, team_factory, hero_factory
) -> None:
    team = await team_factory()
    hero = await hero_factory("Rusty-Man", team_id=team.id)
    assert (await client.delete(f"{URL}/{team.id}", headers=superuser_headers)).status_code == 204
    stored = (await session.scalars(select(Hero).where(Hero.id == hero.id))).one()
    assert stored.team_id is None
    body = (await client.get(f"/api/v1/heroes/{hero.id}")).json()
    assert body["team_id"] is None
    assert body["team"] is None
