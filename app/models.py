"""Every table of the app: importing this module registers them all on SQLModel's metadata
(for Alembic's autogenerate and the test that models and migrations agree)."""

from __future__ import annotations

from app.accounts.models import LinkToken
from app.auth.models import AuthSession, RefreshToken
from app.heroes.models import Hero
from app.mfa.models import BackupCode, MfaChallenge, TotpSecret
from app.posts.models import Post
from app.security.models import SecurityEvent
from app.teams.models import Team
from app.tokens.models import PersonalToken
from app.users.models import Profile, User

__all__ = [
    "AuthSession",
    "BackupCode",
    "Hero",
    "LinkToken",
    "MfaChallenge",
    "PersonalToken",
    "Post",
    "Profile",
    "RefreshToken",
    "SecurityEvent",
    "Team",
    "TotpSecret",
    "User",
]
