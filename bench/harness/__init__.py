"""What the bench scripts share: the services, the shop's processes, the buyers, the figures.

Each script puts the repository's root on sys.path and imports `bench.harness.<module>`:

- services: PostgreSQL and Redis (ready, stopped, started), a throw-away database, a Redis db flushed.
- processes: the shop as deployed (gunicorn, the Celery worker and beat, nginx), its environment,
  `manage.py`, the seeding, and a run that always cleans up after itself.
- shop, production_seed: the seeded POs; they import the shop's models, so only after `django.setup()`.
- django_setup: Django in this process, on a throw-away database.
- stats: percentiles, min/median/max, the process's max RSS. cpu: where the cores went.
- pages: the shop's pages as a buyer sees them (the checkout form, the order page).
- load: the aiohttp client. flash_buyers, flash_checks, flash_report: the flash PO's run.
- drill_buyers, smtp_sink, drill_report: the drill's buyers, its SMTP sink, its report.
- servers_s3, servers_seed, servers_flows, servers_traffic, servers_logs, servers_report: the servers drill's
  bucket, shop, flows across servers, buyers, log reading and report.
"""

from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
VENV_BIN = BASE_DIR / ".venv" / "bin"
