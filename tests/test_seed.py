"""`agora seed`: realistic demo data in batches, one shared password hash, a progress report."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from app.cli import cli
from app.core.config import get_settings
from app.core.security import PasswordHasher
from app.heroes.models import Hero
from app.posts.models import Post
from app.seed import DEFAULT_PASSWORD, seed
from app.teams.models import Team
from app.users.models import Profile, User
from tests.conftest import login


async def _count(state, model: type) -> int:
    async with state.db.engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(model))).scalar_one())


async def test_seed_inserts_the_requested_numbers_of_rows(state, client) -> None:
    report = await seed(state.db.engine, users=30, posts=100, teams=5, random_seed=1)

    assert (report.users, report.posts, report.teams) == (30, 100, 5)
    assert await _count(state, User) == 30
    assert await _count(state, Profile) == 30
    assert await _count(state, Post) == 100
    assert await _count(state, Team) == 5
    assert await _count(state, Hero) == report.heroes > 0


async def test_seed_inserts_many_rows_per_statement(state, client, count_statements) -> None:
    report = await seed(state.db.engine, users=30, posts=100, teams=5, batch_size=25)

    inserts = [s for s in count_statements.statements if s.lstrip().upper().startswith("INSERT")]
    # users and profiles: 2 per batch of 25; posts: 4 batches; teams: 1; heroes (a random
    # number, 2 to 6 a team and a loner): 1 per batch of 25.
    heroes_batches = math.ceil(report.heroes / 25)
    assert len(inserts) == 2 * math.ceil(30 / 25) + math.ceil(100 / 25) + 1 + heroes_batches


async def test_seed_reports_progress_per_batch(state, client) -> None:
    progress: dict[str, list[int]] = {}

    report = await seed(
        state.db.engine,
        users=12,
        posts=30,
        teams=3,
        batch_size=5,
        progress=lambda what, rows: progress.setdefault(what, []).append(rows),
    )

    assert progress["users"] == [5, 5, 2]
    assert sum(progress["posts"]) == 30
    assert progress["teams"] == [3]
    assert sum(progress["heroes"]) == report.heroes


async def test_seeded_users_share_one_password_hash(state, client) -> None:
    await seed(state.db.engine, users=10, posts=0, teams=0)

    async with state.db.engine.connect() as conn:
        hashes = set((await conn.execute(select(User.hashed_password))).scalars())
    assert len(hashes) == 1
    ok, _ = await PasswordHasher().verify_and_update(DEFAULT_PASSWORD, hashes.pop())
    assert ok


async def test_a_seeded_user_can_log_in_with_the_demo_password(state, client) -> None:
    await seed(state.db.engine, users=3, posts=0, teams=0)
    async with state.db.engine.connect() as conn:
        # About 3% of seeded users are deactivated (and get 403): take an active one.
        query = select(User.username).where(User.is_active).limit(1)
        username = (await conn.execute(query)).scalar_one()

    response = await login(client, username, DEFAULT_PASSWORD)

    assert response.status_code == 200


async def test_seeded_data_looks_like_real_content(state, client) -> None:
    await seed(state.db.engine, users=20, posts=200, teams=4, random_seed=7)

    async with state.db.sessionmaker() as session:
        users = list((await session.scalars(select(User))).all())
        posts = list((await session.scalars(select(Post))).all())
    assert all(len((user.full_name or "").split()) == 2 for user in users)
    assert len({user.username.lower() for user in users}) == 20
    assert all(10 < len(post.title) <= 255 for post in posts)
    assert all(len(post.content.split()) >= 20 for post in posts)
    assert 0.6 < sum(post.is_published for post in posts) / len(posts) < 0.95
    assert {post.author_id for post in posts} <= {user.id for user in users}


async def test_seeding_twice_adds_rows_without_clashes(state, client) -> None:
    await seed(state.db.engine, users=10, posts=5, teams=15, random_seed=3)
    await seed(state.db.engine, users=10, posts=5, teams=15, random_seed=3)

    assert await _count(state, User) == 20
    assert await _count(state, Team) == 30


async def test_posts_without_new_users_go_to_existing_ones(state, client, user) -> None:
    report = await seed(state.db.engine, users=0, posts=5, teams=0)

    assert report.posts == 5
    async with state.db.engine.connect() as conn:
        authors = set((await conn.execute(select(Post.author_id))).scalars())
    assert authors == {user.id}


async def test_posts_without_any_user_are_refused(state, client) -> None:
    with pytest.raises(ValueError, match="posts need authors"):
        await seed(state.db.engine, users=0, posts=5, teams=0)


# --- the command ----------------------------------------------------------------------------


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "seed.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{path}")
    monkeypatch.setenv("SECRET_KEY", "s" * 40)
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield path
    get_settings.cache_clear()


def test_agora_seed_fills_a_fresh_database_and_names_the_password(cli_env: Path) -> None:
    result = CliRunner().invoke(cli, ["seed", "--users", "5", "--posts", "20", "--teams", "2"])

    assert result.exit_code == 0, result.output
    assert "seeded 5 users, 20 posts, 2 teams" in result.output
    assert f"the seeded users' password: {DEFAULT_PASSWORD}" in result.output
    assert "sign in as any of them, e.g. " in result.output


def test_agora_seed_without_authors_exits_2_with_a_message(cli_env: Path) -> None:
    result = CliRunner().invoke(cli, ["seed", "--users", "0", "--posts", "3", "--teams", "0"])

    assert result.exit_code == 2
    assert "posts need authors" in result.output
