"""Mounting the console: `install_admin(app, settings)` (when `ADMIN_ENABLED`)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from sqladmin import Admin
from starlette.routing import Mount

from app.admin.context import AppParts, AppSessionMaker, bind_state
from app.admin.security import AdminAuth
from app.admin.views import VIEWS
from app.core.config import Settings

ADMIN_URL = "/admin"
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"


def install_admin(app: FastAPI, settings: Settings) -> Admin | None:
    """Mount SQLAdmin at /admin with its sign-in, CSRF check and service-backed views."""
    if not settings.admin_enabled:
        return None
    parts = AppParts()
    auth = AdminAuth(
        parts,
        secret_key=settings.secret_key,
        https_only=settings.ENVIRONMENT == "production",
    )
    admin = Admin(
        app,
        session_maker=AppSessionMaker(parts),  # type: ignore[arg-type]
        base_url=ADMIN_URL,
        title="Agora admin",
        templates_dir=str(TEMPLATES_DIR),
        authentication_backend=auth,
    )
    auth.templates = admin.templates
    mounts = [r for r in app.router.routes if isinstance(r, Mount) and r.path == ADMIN_URL]
    for mount in mounts:  # SQLAdmin's own mount of its app
        mount.app = bind_state(mount.app)
    for view in VIEWS:
        # SQLAdmin keeps its state on the view class: a subclass per app keeps apps apart.
        admin.add_view(type(view.__name__, (view,), {"parts": parts}))
    return admin
