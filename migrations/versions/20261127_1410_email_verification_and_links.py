"""email verification and link tokens: users.is_verified, link_tokens

Revision ID: c3a9e1d27f02
Revises: b7d4c2a91e01
Create Date: 2026-11-27 14:10:00+00:00

`users.is_verified` is added with the server default false (new rows start unverified), and
every user already there is then marked verified: they signed up before addresses were
confirmed, and turning EMAIL_VERIFICATION_REQUIRED on must not lock them out.

`link_tokens` holds the SHA-256 digests of the tokens in verification and reset links.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c3a9e1d27f02"
down_revision: str | None = "b7d4c2a91e01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN on both databases (no batch copy of the table on SQLite).
    op.add_column(
        "users",
        sa.Column("is_verified", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.execute(sa.text("UPDATE users SET is_verified = :yes").bindparams(yes=True))

    op.create_table(
        "link_tokens",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_link_tokens_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_link_tokens_token_hash")),
    )
    op.create_index(op.f("ix_link_tokens_user_id"), "link_tokens", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_link_tokens_user_id"), table_name="link_tokens")
    op.drop_table("link_tokens")
    # Not in batch mode: SQLite's copy of the table would lose the expression index on
    # fold_case(username). SQLite has ALTER TABLE ... DROP COLUMN since 3.35.
    op.drop_column("users", "is_verified")
