"""Realistic demo data for development and benchmarks: `agora seed`.

Users (with profiles), posts, teams and heroes are generated from the word lists below (no
network, no extra dependency) and inserted with multi-row INSERTs, one transaction per batch,
so memory stays flat and a progress bar can follow. Every seeded user shares one password,
hashed once: hashing it per user (Argon2, ~50 ms each) would dominate the run.
"""

from __future__ import annotations

import random
import secrets
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from app.core.security import PasswordHasher
from app.db.base import new_id
from app.db.folding import fold_case, folded
from app.heroes.models import Hero
from app.posts.models import Post
from app.teams.models import Team
from app.users.models import Profile, User

DEFAULT_PASSWORD = "agora-demo-password"  # noqa: S105 (the documented demo password)
DEFAULT_BATCH_SIZE = 500
# Bound parameters per statement stay well under SQLite's (32766) and asyncpg's (32767) limits.
MAX_PARAMETERS = 30_000
PUBLISHED_SHARE = 0.8
HISTORY_DAYS = 365


def _words(text: str, sep: str | None = None) -> tuple[str, ...]:
    return tuple(text.split(sep))


FIRST_NAMES = _words(
    "Olivia Liam Emma Noah Amelia Oliver Ava Elijah Sophia Mateo Isabella Lucas Mia Levi "
    "Charlotte Asher Luna James Harper Ethan Evelyn Leo Aria Hugo Chloe Ines Yuki Hiro Aiko "
    "Ravi Priya Arjun Ananya Chen Mei Wei Li Omar Layla Yusuf Fatima Kofi Ama Sipho Zanele "
    "Lars Freya Sven Ingrid Pablo Lucia Diego Carmen Marco Giulia Luca Chiara Jan Eva Piotr "
    "Zofia Nikolai Anya Dmitri Tatiana Sean Niamh Connor Aoife Tomas Elif Emre Selin"
)
LAST_NAMES = _words(
    "Smith Johnson Garcia Martinez Brown Lopez Wilson Anderson Thomas Moore Jackson Martin "
    "Lee Thompson White Harris Clark Lewis Walker Young Allen King Wright Scott Green Baker "
    "Nakamura Tanaka Suzuki Sato Kim Park Choi Nguyen Tran Patel Shah Singh Kumar Okafor "
    "Mensah Dlamini Nkosi Larsen Nilsen Berg Rossi Russo Bianchi Novak Kowalski Nowak Ivanov "
    "Petrov Murphy Kelly Byrne Silva Santos Costa Yilmaz Kaya Demir Schmidt Weber Fischer"
)
TOPICS = _words(
    "async Python|database indexing|home espresso|trail running|sourdough baking|"
    "city cycling|container gardening|type hints|PostgreSQL tuning|rate limiting|remote work|"
    "board games|film photography|birdwatching|budget travel|open source|"
    "mechanical keyboards|jazz records|rock climbing|language learning|API design|WebSockets|"
    "chess openings|night skies|urban sketching|fermentation|minimalist living|code review|"
    "test suites|woodworking",
    "|",
)
TITLE_PATTERNS = (
    "A beginner's guide to {topic}",
    "What I learned from a year of {topic}",
    "{Topic}: five mistakes to avoid",
    "Why {topic} is worth your weekend",
    "Notes on {topic}",
    "The quiet joy of {topic}",
    "{Topic} in practice",
    "How I got started with {topic}",
    "Ten small tips for {topic}",
    "Rethinking {topic}",
)
SENTENCES = (
    "I started with {topic} almost by accident, and it stuck.",
    "The first weeks were slow, but the progress compounds.",
    "Most of the advice online is either too vague or too absolute.",
    "What helped most was keeping notes and changing one thing at a time.",
    "There is a surprising amount of depth once you look closely at {topic}.",
    "A friend pointed out that the basics matter more than the gear.",
    "If you only remember one thing, make it consistency over intensity.",
    "I measured everything for a month, and the numbers told a different story.",
    "The community around {topic} is generous with its time.",
    "Some of my early assumptions turned out to be plainly wrong.",
    "It is easy to overcomplicate this; the simple version usually wins.",
    "Next time I would start smaller and ask for feedback sooner.",
    "The best resources were old forum threads and patient people.",
    "Cost matters less than the habit of showing up every week.",
    "I still get things wrong, but now I know why.",
)
BIOS = (
    "Writes about {topic} and {topic2}.",
    "Curious about {topic}. Coffee first.",
    "Engineer by day, into {topic} by night.",
    "Learning {topic} one mistake at a time.",
    "Mostly {topic}, sometimes {topic2}.",
)
TEAM_ADJECTIVES = _words(
    "Crimson Silent Iron Golden Midnight Northern Electric Shadow Emerald Storm Cosmic "
    "Valiant Swift Hidden Radiant Frozen Scarlet Thunder Solar Lunar"
)
TEAM_NOUNS = _words(
    "Guardians Sentinels Wardens Vanguard Legion Owls Foxes Ravens Titans Knights Rangers "
    "Phantoms Comets Wolves Falcons Circle League Order Alliance Squad"
)
CITIES = _words(
    "Sharp Tower|Harbor Point|Old Mill Lane|Skyline Plaza|Riverside Depot|Northgate Keep|"
    "Lighthouse Row|Granite Hall|Cedar Court|Beacon Hill",
    "|",
)
HERO_PREFIXES = _words(
    "Captain Doctor Mister Lady Night Iron Silver Shadow Star Storm Thunder Quick Mighty"
)
HERO_SUFFIXES = _words(
    "Falcon Spark Blade Comet Arrow Shield Wave Flame Frost Bolt Hawk Tide Wraith Lynx Nova"
)


@dataclass
class SeedReport:
    users: int
    posts: int
    teams: int
    heroes: int
    password: str
    sample_username: str | None = None  # one of the seeded users, to sign in with


ProgressCallback = Callable[[str, int], None]
"""Called with (what, rows) after each batch is committed: "users", "posts", "teams", "heroes"."""


def _batches(rows: int, size: int) -> Iterator[int]:
    while rows > 0:
        yield min(size, rows)
        rows -= size


def _batch_rows(batch_size: int, columns: int) -> int:
    return max(1, min(batch_size, MAX_PARAMETERS // columns))


class Generator:
    """Plausible names, titles and paragraphs from a seeded random source."""

    def __init__(self, rng: random.Random, now: datetime) -> None:
        self.rng = rng
        self.now = now
        self.tag = secrets.token_hex(2)  # keeps usernames of successive runs apart

    def moment(self, after: datetime | None = None) -> datetime:
        start = after or self.now - timedelta(days=HISTORY_DAYS)
        span = max(1.0, (self.now - start).total_seconds())
        return start + timedelta(seconds=self.rng.uniform(0, span))

    def user(self, index: int, password_hash: str) -> tuple[dict[str, Any], dict[str, Any]]:
        first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
        username = f"{first.lower()}.{last.lower()}{index}_{self.tag}"
        created = self.moment()
        user_id = new_id()
        topic, topic2 = self.rng.sample(TOPICS, 2)
        user = {
            "id": user_id,
            "username": username,
            "email": f"{username}@example.com",
            "hashed_password": password_hash,
            "full_name": f"{first} {last}",
            "is_active": self.rng.random() > 0.03,
            "is_superuser": False,
            "permissions": [],
            "created_at": created,
            "updated_at": created,
        }
        bio = self.rng.choice(BIOS).format(topic=topic, topic2=topic2)
        profile = {
            "user_id": user_id,
            "bio": bio if self.rng.random() < 0.6 else None,
            "avatar_url": None,
            "updated_at": created,
        }
        return user, profile

    def paragraph(self, topic: str) -> str:
        count = self.rng.randint(3, 6)
        return " ".join(s.format(topic=topic) for s in self.rng.sample(SENTENCES, count))

    def post(self, author: tuple[uuid.UUID, datetime]) -> dict[str, Any]:
        author_id, joined = author
        topic = self.rng.choice(TOPICS)
        title = self.rng.choice(TITLE_PATTERNS).format(
            topic=topic, Topic=topic[0].upper() + topic[1:]
        )
        content = "\n\n".join(self.paragraph(topic) for _ in range(self.rng.randint(1, 4)))
        created = self.moment(joined)
        return {
            "id": new_id(),
            "title": title,
            "content": content,
            "is_published": self.rng.random() < PUBLISHED_SHARE,
            "author_id": author_id,
            "created_at": created,
            "updated_at": created,
        }

    def team_name(self, taken: set[str]) -> str:
        for _ in range(20):
            name = f"{self.rng.choice(TEAM_ADJECTIVES)} {self.rng.choice(TEAM_NOUNS)}"
            if fold_case(name) not in taken:
                return name
        return f"{name} {self.tag}-{len(taken)}"  # the combinations ran out: number it

    def team(self, taken: set[str]) -> dict[str, Any]:
        name = self.team_name(taken)
        taken.add(fold_case(name))
        created = self.moment()
        return {
            "id": new_id(),
            "name": name,
            "headquarters": self.rng.choice(CITIES),
            "created_at": created,
            "updated_at": created,
        }

    def hero(self, team_id: uuid.UUID | None) -> dict[str, Any]:
        created = self.moment()
        return {
            "id": new_id(),
            "name": f"{self.rng.choice(HERO_PREFIXES)} {self.rng.choice(HERO_SUFFIXES)}",
            "secret_name": f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}",
            "age": self.rng.randint(16, 90) if self.rng.random() < 0.8 else None,
            "team_id": team_id,
            "created_at": created,
            "updated_at": created,
        }


async def _insert(engine: AsyncEngine, table: Any, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        async with engine.begin() as conn:
            await conn.execute(insert(table).values(list(rows)))


async def seed(
    engine: AsyncEngine,
    *,
    users: int,
    posts: int,
    teams: int,
    heroes_per_team: int = 4,
    batch_size: int = DEFAULT_BATCH_SIZE,
    password: str = DEFAULT_PASSWORD,
    random_seed: int | None = None,
    progress: ProgressCallback | None = None,
) -> SeedReport:
    """Insert `users` users (with profiles), `posts` posts spread over the seeded users (or
    over existing users when `users` is 0), `teams` teams with about `heroes_per_team` heroes
    each, plus a few team-less heroes."""
    if posts and not users:
        async with engine.connect() as conn:
            existing = await conn.execute(select(col(User.id), col(User.created_at)).limit(10_000))
        authors: list[tuple[uuid.UUID, datetime]] = [(row[0], row[1]) for row in existing]
        if not authors:
            raise ValueError("posts need authors: seed some users too (--users)")
    else:
        authors = []
    report = SeedReport(users=0, posts=0, teams=0, heroes=0, password=password)
    rng = random.Random(random_seed)  # noqa: S311 (demo data, not secrets)
    gen = Generator(rng, datetime.now(UTC))
    notify = progress or (lambda _what, _rows: None)

    password_hash = await PasswordHasher().hash(password) if users else ""
    index = 0
    for size in _batches(users, _batch_rows(batch_size, 10)):
        pairs = [gen.user(index + offset, password_hash) for offset in range(size)]
        index += size
        # One transaction per batch: a user row and its profile land together.
        async with engine.begin() as conn:
            await conn.execute(insert(User).values([user for user, _ in pairs]))
            await conn.execute(insert(Profile).values([profile for _, profile in pairs]))
        authors.extend((user["id"], user["created_at"]) for user, _ in pairs)
        report.sample_username = report.sample_username or pairs[0][0]["username"]
        report.users += size
        notify("users", size)

    for size in _batches(posts, _batch_rows(batch_size, 7)):
        await _insert(engine, Post, [gen.post(rng.choice(authors)) for _ in range(size)])
        report.posts += size
        notify("posts", size)

    async with engine.connect() as conn:
        taken = {name for (name,) in await conn.execute(select(folded(Team.name)))}
    team_ids: list[uuid.UUID] = []
    for size in _batches(teams, _batch_rows(batch_size, 5)):
        new_teams = [gen.team(taken) for _ in range(size)]
        await _insert(engine, Team, new_teams)
        team_ids.extend(team["id"] for team in new_teams)
        report.teams += size
        notify("teams", size)

    hero_teams: list[uuid.UUID | None] = []
    for team_id in team_ids:
        hero_teams.extend([team_id] * rng.randint(max(0, heroes_per_team - 2), heroes_per_team + 2))
    hero_teams.extend([None] * (len(team_ids) // 5))  # a few loners
    for start in range(0, len(hero_teams), _batch_rows(batch_size, 7)):
        chunk = hero_teams[start : start + _batch_rows(batch_size, 7)]
        await _insert(engine, Hero, [gen.hero(team_id) for team_id in chunk])
        report.heroes += len(chunk)
        notify("heroes", len(chunk))
    return report


def planned_heroes(teams: int, heroes_per_team: int) -> int:
    """About how many heroes `seed` inserts (for a progress bar's total)."""
    return teams * heroes_per_team + teams // 5
