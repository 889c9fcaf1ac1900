"""Django in this process, on a throw-away database: for the scripts that time the shop's code itself."""

import os

import django
from django.core.management import call_command


def django_start(*, var_dir: str, database_url: str, migrate: bool, settings: dict[str, str]) -> None:
    """Settings read the environment once, at setup: point them at the throw-away folder first.

    DEBUG is off: with DEBUG every query is kept in memory, which would count.
    """
    os.environ.update(
        {"VAR_DIR": var_dir, "DATABASE_URL": database_url, "DEBUG": "false", "PRODUCTION": "false", **settings}
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "preorder_shop.settings")
    django.setup()
    if migrate:
        call_command("migrate", verbosity=0, interactive=False)
