"""GET /analytics/summary through the read-only analytics engine."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy import exc as sa_exc

from app.main import create_app
from app.teams.models import Team
from app.users.models import User
from tests.assertions import assert_error
from tests.support import running

URL = "/api/v1/analytics/summary"


async def set_created_at(session, user: User, when: datetime) -> None:
    stored = await session.get(User, user.id)
    stored.created_at = when
    await session.commit()


async def test_counts_users_and_posts(
    client, user, user_factory, superuser_headers, post_factory
) -> None:
    await user_factory("sleepy", is_active=False)
    await post_factory(user, "public")
    await post_factory(user, "draft", is_published=False)
    response = await client.get(URL, headers=superuser_headers)
    assert response.status_code == 200
    body = response.json()
    assert body["total_users"] == 3  # alice, sleepy and the superuser
    assert body["active_users"] == 2
    assert body["total_posts"] == 2
    assert body["published_posts"] == 1


async def test_signups_by_day_has_30_days_oldest_first_ending_today(
    client, superuser_headers
) -> None:
    days = (await client.get(URL, headers=superuser_headers)).json()["signups_by_day"]
    today = datetime.now(UTC).date()
    assert len(days) == 30
    assert [d["date"] for d in days] == [
        (today - timedelta(days=n)).isoformat() for n in range(29, -1, -1)
    ]


async def test_signups_by_day_counts_per_utc_day_with_zero_days(
    client, session, user_factory, superuser_headers
) -> None:
    now = datetime.now(UTC)
    today = now.date()
    three_days_ago = datetime.combine(today - timedelta(days=3), datetime.min.time(), UTC)
    early = await user_factory("early")
    late = await user_factory("late")
    await set_created_at(session, early, three_days_ago + timedelta(minutes=1))
    await set_created_at(session, late, three_days_ago + timedelta(hours=23, minutes=59))
    too_old = await user_factory("ancient")
    await set_created_at(session, too_old, now - timedelta(days=40))

    days = (await client.get(URL, headers=superuser_headers)).json()["signups_by_day"]
    counts = {d["date"]: d["count"] for d in days}
    assert counts[(today - timedelta(days=3)).isoformat()] == 2
    assert counts[today.isoformat()] == 1  # the superuser, created just now
    assert sum(counts.values()) == 3  # the 40-day-old signup is outside the window
    assert counts[(today - timedelta(days=1)).isoformat()] == 0


async def test_requires_a_superuser(client, user_headers) -> None:
    response = await client.get(URL, headers=user_headers)
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


async def test_requires_a_signed_in_caller(client) -> None:
    assert_error(await client.get(URL), 401, "not_authenticated")


async def test_reads_through_the_analytics_engine_with_aggregates_only(
    state, client, user, post_factory, superuser_headers
) -> None:
    for i in range(5):
        await post_factory(user, f"post {i}")
    engine = state.analytics_engine
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        response = await client.get(URL, headers=superuser_headers)
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)
    assert response.status_code == 200
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 3
    assert all("count(" in s.lower() for s in selects)
    assert any("group by" in s.lower() for s in selects)


async def test_a_write_through_the_analytics_engine_is_refused(state, client, session) -> None:
    engine = state.analytics_engine
    now = datetime.now(UTC)
    team = Team(name="Sneaky", headquarters="Nowhere")
    with pytest.raises(sa_exc.DBAPIError):
        async with engine.begin() as conn:
            await conn.execute(
                Team.__table__.insert().values(  # type: ignore[attr-defined]
                    id=team.id, name=team.name, headquarters="x", created_at=now, updated_at=now
                )
            )
    count = (await session.execute(select(func.count()).select_from(Team))).scalar_one()
    assert count == 0


async def test_a_raw_update_through_the_analytics_engine_is_refused(
    state, client, user, session
) -> None:
    engine = state.analytics_engine
    with pytest.raises(sa_exc.DBAPIError):
        async with engine.begin() as conn:
            await conn.execute(text("UPDATE users SET full_name = 'pwned'"))
    stored = await session.get(User, user.id)
    assert stored is not None
    assert stored.full_name == "Alice Liddell"


async def test_engine_follows_the_analytics_database_url_and_is_disposed_at_shutdown(
    make_settings, database_url: str
) -> None:
    closed: list[object] = []
    async with running(create_app(make_settings(ANALYTICS_DATABASE_URL=database_url))) as served:
        engine = served.state.analytics_engine
        assert engine.url.render_as_string(hide_password=False) == database_url
        event.listen(engine.sync_engine, "close", lambda *_: closed.append(_))
        async with engine.connect() as conn:
            assert (await conn.execute(select(1))).scalar_one() == 1
        assert closed == []  # back in the pool, open
    assert len(closed) == 1  # the shutdown closed it


def test_days_helper_is_oldest_first() -> None:
    from app.analytics.service import last_days

    days = last_days(date(2026, 3, 1), 3)
    assert days == [date(2026, 2, 27), date(2026, 2, 28), date(2026, 3, 1)]
