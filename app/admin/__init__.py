"""The admin console at `/admin` (SQLAdmin): `app.admin.console.install_admin`.

Kept free of imports: `app.domains` imports every subpackage's `models` module, which imports
this package first.
"""
