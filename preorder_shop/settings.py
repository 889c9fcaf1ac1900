"""Settings for Prapesan, read from the environment (see the table in docs/operations.md).

Without any environment the shop runs for development: SQLite, an embedded
Celery broker on the file system and e-mail printed to the console. With
PRODUCTION=true it refuses to start without a real SECRET_KEY and turns on
every protection `manage.py check --deploy` asks for.
"""

from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from preorder_shop.storage_settings import object_storage_client_config, object_storages, picture_origins

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env")

# Run-time files (SQLite database, uploads, embedded broker) live here.
VAR_DIR = Path(env("VAR_DIR", default=str(BASE_DIR / "var")))

PRODUCTION = env.bool("PRODUCTION", default=False)
DEBUG = False if PRODUCTION else env.bool("DEBUG", default=True)

_DEVELOPMENT_SECRET_KEY = "development-only-key-not-for-production"
SECRET_KEY = env("SECRET_KEY", default=None)
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("PRODUCTION=true needs SECRET_KEY set in the environment.")
    SECRET_KEY = _DEVELOPMENT_SECRET_KEY
elif PRODUCTION and (SECRET_KEY == _DEVELOPMENT_SECRET_KEY or len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5):
    # The same rule as Django's security.W009, made an error: a guessable key forges sessions and signed links.
    raise ImproperlyConfigured(
        "PRODUCTION=true needs a long random SECRET_KEY (50 or more characters, not the development key); "
        "make one with: python -c 'import secrets; print(secrets.token_urlsafe(50))'"
    )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost"])
if PRODUCTION:
    # No silent fall-back to the development defaults on a real server.
    _missing = [
        name for name in ("ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL", "EMAIL_URL") if not env(name, default="")
    ]
    if _missing:
        raise ImproperlyConfigured(f"PRODUCTION=true needs these set in the environment: {', '.join(_missing)}.")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# The public address of the shop, used in share links and e-mails when no
# request is at hand (for example "https://toko.example.id").
SITE_URL = env("SITE_URL", default=f"http://{env('SHOP_ADDRESS', default='127.0.0.1:8000')}")
SHOP_NAME = env("SHOP_NAME", default="Prapesan")
# Where the shop's own messages go (new transfer proofs, the daily summary); comma-separated.
SELLER_EMAIL = env("SELLER_EMAIL", default="")
# The seller's WhatsApp, shown to buyers who ask for help (+62...).
SHOP_WHATSAPP = env("SHOP_WHATSAPP", default="")
# The sender's address printed on shipping labels.
SHOP_RETURN_ADDRESS = env("SHOP_RETURN_ADDRESS", default="")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "import_export",
    "axes",
    "csp",
    "catalog",
    "campaigns",
    "orders",
    "demand",
    "payments",
    "fulfilment",
]

MIDDLEWARE = [
    "preorder_shop.middleware.RequestSizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "preorder_shop.middleware.ShopLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "preorder_shop.middleware.StorageTroubleMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its lock-out answer.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Five wrong passwords for one user from one address lock that pair out for an hour.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = 1
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Proxies in front of the app (nginx: 1); the client's address is read past them.
PROXY_COUNT = env.int("PROXY_COUNT", default=1 if PRODUCTION else 0)
AXES_CLIENT_IP_CALLABLE = "preorder_shop.client.client_ip"

# The shop's own files only: no inline script anywhere (data goes in json_script blocks).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

ROOT_URLCONF = "preorder_shop.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "preorder_shop.context_processors.shop",
            ],
        },
    },
]

WSGI_APPLICATION = "preorder_shop.wsgi.application"

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'prapesan.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # Wait for a writer instead of failing at once when the worker and the
    # web process write at the same moment.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Indonesian first, English on request; times shown in Jakarta, stored in UTC.
LANGUAGE_CODE = "id"
LANGUAGES = [("id", _("Indonesian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Jakarta"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(VAR_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(VAR_DIR / "media")))
# Transfer proofs (personal data): never under MEDIA_ROOT, never served as files.
PRIVATE_MEDIA_ROOT = Path(env("PRIVATE_MEDIA_ROOT", default=str(VAR_DIR / "private")))
PROOF_MAX_BYTES = env.int("PROOF_MAX_BYTES", default=5 * 1024 * 1024)
PROOF_MAX_PIXELS = env.int("PROOF_MAX_PIXELS", default=30_000_000)
# Form fields (not files) may take this much; the whole request a proof and some room.
DATA_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024
REQUEST_MAX_BYTES = PROOF_MAX_BYTES + 1024 * 1024

# Midtrans Snap; the gateway shows only when a server key is set.
MIDTRANS_SERVER_KEY = env("MIDTRANS_SERVER_KEY", default="")
MIDTRANS_CLIENT_KEY = env("MIDTRANS_CLIENT_KEY", default="")
MIDTRANS_IS_PRODUCTION = env.bool("MIDTRANS_IS_PRODUCTION", default=False)

# Balance reminders go this many days before the due date, and the day before.
BALANCE_REMINDER_DAYS = env.int("BALANCE_REMINDER_DAYS", default=3)

# Files. By default pictures go to MEDIA_ROOT and private files (transfer proofs, imports waiting for their
# confirmation) to PRIVATE_MEDIA_ROOT, on this server's disk. With AWS_STORAGE_BUCKET_NAME set, both go to
# that S3-compatible bucket (django-storages, which reads the AWS_* settings below), so that every app server
# sees what any of them stored: pictures under "media/", private files under "private/" (or in
# AWS_PRIVATE_STORAGE_BUCKET_NAME), read only through the shop's own views.
_STATIC_STORAGE = {
    "BACKEND": (
        "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    )
}
AWS_STORAGE_BUCKET_NAME = env("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    AWS_S3_ENDPOINT_URL = env("AWS_S3_ENDPOINT_URL", default=None)  # none: Amazon S3 itself
    AWS_ACCESS_KEY_ID = env("AWS_ACCESS_KEY_ID", default=None)
    AWS_SECRET_ACCESS_KEY = env("AWS_SECRET_ACCESS_KEY", default=None)
    AWS_S3_REGION_NAME = env("AWS_S3_REGION_NAME", default=None)
    AWS_S3_ADDRESSING_STYLE = env("AWS_S3_ADDRESSING_STYLE", default=None)  # "path" or "virtual"
    AWS_S3_SIGNATURE_VERSION = "s3v4"
    AWS_S3_CLIENT_CONFIG = object_storage_client_config(addressing_style=AWS_S3_ADDRESSING_STYLE)
    # Pictures through signed links that last this long (cached pages hold them far shorter), unless the
    # bucket serves them publicly (AWS_QUERYSTRING_AUTH=false), perhaps under a CDN's domain.
    AWS_QUERYSTRING_AUTH = env.bool("AWS_QUERYSTRING_AUTH", default=True)
    AWS_QUERYSTRING_EXPIRE = env.int("AWS_QUERYSTRING_EXPIRE", default=6 * 60 * 60)
    AWS_S3_CUSTOM_DOMAIN = env("AWS_S3_CUSTOM_DOMAIN", default=None)
    AWS_S3_FILE_OVERWRITE = False  # two uploads of "foto.jpg" are two files, as on the disk
    AWS_PRIVATE_STORAGE_BUCKET_NAME = env("AWS_PRIVATE_STORAGE_BUCKET_NAME", default=AWS_STORAGE_BUCKET_NAME)
    if (
        not AWS_QUERYSTRING_AUTH or AWS_S3_CUSTOM_DOMAIN
    ) and AWS_PRIVATE_STORAGE_BUCKET_NAME == AWS_STORAGE_BUCKET_NAME:
        raise ImproperlyConfigured(
            "Pictures served publicly (AWS_QUERYSTRING_AUTH=false or AWS_S3_CUSTOM_DOMAIN) need the transfer "
            "proofs in a private bucket of their own: set AWS_PRIVATE_STORAGE_BUCKET_NAME."
        )
    STORAGES = {**object_storages(private_bucket=AWS_PRIVATE_STORAGE_BUCKET_NAME), "staticfiles": _STATIC_STORAGE}
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"] += picture_origins(
        bucket=AWS_STORAGE_BUCKET_NAME, endpoint=AWS_S3_ENDPOINT_URL, custom_domain=AWS_S3_CUSTOM_DOMAIN
    )
else:
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "private": {"BACKEND": "preorder_shop.storage.PrivateFileSystemStorage"},
        "staticfiles": _STATIC_STORAGE,
    }

# The cache is shared by every web process (Redis) so throttles count across them.
REDIS_URL = env("REDIS_URL", default="")
# Every connection to Redis (the cache, the Celery broker, Celery results) gives up connecting, or waiting
# for an answer, after this many seconds: a Redis that hangs costs a request about this long per call, and
# everything that uses it there can do without it (throttles let the request through, pages are rendered
# afresh, the outbox's sweep sends what a nudge could not).
REDIS_TIMEOUT_SECONDS = env.float("REDIS_TIMEOUT_SECONDS", default=1.0)
_REDIS_TIMEOUTS = {"socket_timeout": REDIS_TIMEOUT_SECONDS, "socket_connect_timeout": REDIS_TIMEOUT_SECONDS}
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "preorder_shop.cache.RedisCache", "LOCATION": REDIS_URL, "OPTIONS": _REDIS_TIMEOUTS}
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }
RATELIMIT_USE_CACHE = "default"
# Buyers' pages (home, campaign) are served from the cache this long; the seller's changes show at once.
PAGE_CACHE_SECONDS = env.int("PAGE_CACHE_SECONDS", default=5)
# ...and a proxy in front may keep such a page, the same for every visitor of a language, this long (0: not at all).
PROXY_CACHE_SECONDS = env.int("PROXY_CACHE_SECONDS", default=1)
RATELIMIT_IP_META_KEY = "preorder_shop.client.client_ip"
# Throttles and per-client caps count an IPv6 client by its /64 (one line or phone holds a whole /64) and an
# IPv4 client by its address (preorder_shop/client.py).
RATELIMIT_IPV6_MASK = 64
RATELIMIT_IPV4_MASK = 32
CHECKOUT_RATE = env("CHECKOUT_RATE", default="10/m")
LOOKUP_RATE = env("LOOKUP_RATE", default="5/m")
UNPAID_ORDERS_PER_CLIENT = env.int("UNPAID_ORDERS_PER_CLIENT", default=3)
# "Ingatkan saya" on a coming PO: requests one client may post, and WhatsApp numbers one client may leave per PO.
INTEREST_RATE = env("INTEREST_RATE", default="10/m")
INTEREST_PER_CLIENT = env.int("INTEREST_PER_CLIENT", default=5)
# Buyers' personal data is removed this many days after their order ended (UU PDP 27/2022).
PERSONAL_DATA_DAYS = env.int("PERSONAL_DATA_DAYS", default=365)
# A transfer proof waiting for the seller keeps an unpaid order alive this long, no longer.
PROOF_HOLD_HOURS = env.int("PROOF_HOLD_HOURS", default=48)
# A PO that can sell fewer units than this (its quota, or else its items' quotas added up) is easily held by
# unpaid orders: a new order there must be paid within the PO's own "minutes to pay on a small-quota PO", or
# within this many minutes (never later than the PO's hours to pay). 0 units: no PO counts as small.
SMALL_QUOTA_UNITS = env.int("SMALL_QUOTA_UNITS", default=50)
SMALL_QUOTA_PAY_MINUTES = env.int("SMALL_QUOTA_PAY_MINUTES", default=120)
# Bank statements (mutasi) imported by the seller: a credit of exactly one order's amount confirms its
# payment by itself (false: it waits for the seller's click); a credit this close to what an order owes
# is suggested; files past these sizes are refused.
STATEMENT_AUTO_CONFIRM = env.bool("STATEMENT_AUTO_CONFIRM", default=True)
STATEMENT_NEAR_IDR = env.int("STATEMENT_NEAR_IDR", default=1_000)
STATEMENT_MAX_BYTES = env.int("STATEMENT_MAX_BYTES", default=10 * 1024 * 1024)
STATEMENT_MAX_ROWS = env.int("STATEMENT_MAX_ROWS", default=100_000)
# Shipping files (order, courier, resi) imported on the order list are refused past these sizes, before
# they are read: the upload, what an XLSX (a zip) unpacks to, and the rows.
SHIPPING_IMPORT_MAX_BYTES = env.int("SHIPPING_IMPORT_MAX_BYTES", default=5 * 1024 * 1024)
SHIPPING_IMPORT_MAX_INFLATED_BYTES = env.int("SHIPPING_IMPORT_MAX_INFLATED_BYTES", default=20 * 1024 * 1024)
SHIPPING_IMPORT_MAX_ROWS = env.int("SHIPPING_IMPORT_MAX_ROWS", default=5_000)

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Prapesan <toko@prapesan.local>")

# Celery: Redis when REDIS_URL is set, otherwise an embedded broker on the
# file system that needs no server (kombu's filesystem transport).
REDIS_URL = env("REDIS_URL", default="")
CELERY_BROKER_DIR = VAR_DIR / "celery-broker"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": 3600,
        **_REDIS_TIMEOUTS,
        # A publish (the outbox's nudge after COMMIT) connects once, without pausing to try again: a nudge
        # that fails is the sweep's to repair. The worker's own connection retries by its settings below.
        "max_retries": 0,
    }
    # No results are kept (CELERY_TASK_IGNORE_RESULT); a Redis result backend, if one is set, waits as little.
    CELERY_REDIS_SOCKET_TIMEOUT = CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = REDIS_TIMEOUT_SECONDS
else:
    CELERY_BROKER_URL = "filesystem://"
    # kombu's transport, writing each message whole (see preorder_shop/broker.py).
    CELERY_BROKER_TRANSPORT = "preorder_shop.broker:Transport"
    for folder in ("queue", "processed", "control"):
        (CELERY_BROKER_DIR / folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "queue"),
        "data_folder_out": str(CELERY_BROKER_DIR / "queue"),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        # Exchange tables too, or kombu writes them to control/ in the working directory.
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
    }
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_TIME_LIMIT = 5 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 4 * 60
# Tasks are acknowledged when taken, not when done. Nothing is lost with a dying
# worker: every job runs again from beat, and every message stays in the outbox
# (a claim left by a dead worker is freed by the sweep). Late acks would hold
# messages unacknowledged, and kombu's restore of those after a Redis outage has
# been seen to crash the worker (celery 5.7, redis transport).
CELERY_TASK_ACKS_LATE = False
# A nudge or a job sent while the broker is down fails fast; the outbox sweep catches up.
CELERY_BROKER_CONNECTION_TIMEOUT = REDIS_TIMEOUT_SECONDS
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's Django fix-up closes the database connection around every task unless
# this is set, so each task would open one (a new PostgreSQL backend each time).
# With it the worker keeps its connection as gunicorn does, by CONN_MAX_AGE and
# the health check (preorder_shop.celery); the fix-up still closes it after this
# many tasks.
CELERY_DB_REUSE_MAX = 1000
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# With Redis, beat runs on every server and one ticks: the one holding a lock in Redis (preorder_shop/beat.py,
# celery-redbeat). It ticks at least every 5 s; another takes over within the lock's timeout of the last tick.
CELERY_BEAT_MAX_LOOP_INTERVAL = 5
if REDIS_URL:
    CELERY_BEAT_SCHEDULER = "preorder_shop.beat.Scheduler"
    CELERY_REDBEAT_REDIS_URL = REDIS_URL
    CELERY_REDBEAT_REDIS_OPTIONS = _REDIS_TIMEOUTS
    CELERY_REDBEAT_KEY_PREFIX = "prapesan-beat:"
    CELERY_REDBEAT_LOCK_TIMEOUT = env.int("BEAT_LOCK_TIMEOUT_SECONDS", default=30)
    if CELERY_REDBEAT_LOCK_TIMEOUT < 3 * CELERY_BEAT_MAX_LOOP_INTERVAL:
        # The holder extends the lock once per tick: a shorter lock could lapse between two of its ticks.
        raise ImproperlyConfigured(f"BEAT_LOCK_TIMEOUT_SECONDS must be {3 * CELERY_BEAT_MAX_LOOP_INTERVAL} or more.")
CELERY_BEAT_SCHEDULE = {
    "fulfilment-close-due": {
        "task": "fulfilment.tasks.campaign_close_due_task",
        "schedule": crontab(minute="*"),
    },
    "fulfilment-production-due": {
        "task": "fulfilment.tasks.campaign_production_due_task",
        "schedule": crontab(minute="*"),
    },
    "payments-balance-reminders": {
        "task": "payments.tasks.balance_reminders_send_task",
        "schedule": crontab(minute=0, hour="9"),
    },
    "orders-complete-due": {
        "task": "fulfilment.tasks.orders_complete_due_task",
        "schedule": crontab(minute=15),
    },
    "seller-daily-summary": {
        "task": "payments.tasks.seller_daily_summary_task",
        "schedule": crontab(minute=0, hour="20"),
    },
    "payments-stale-proofs-release": {
        "task": "payments.tasks.payments_stale_proofs_release_task",
        "schedule": crontab(minute="*/10"),
    },
    "personal-data-purge": {
        "task": "fulfilment.tasks.personal_data_purge_task",
        "schedule": crontab(minute=30, hour="3", day_of_month="1"),
    },
    "messages-deliver-due": {
        "task": "orders.tasks.messages_deliver_due_task",
        "schedule": 60.0,
    },
    "orders-expire-overdue": {
        "task": "orders.tasks.order_expire_overdue_task",
        "schedule": crontab(minute="*"),
    },
    "demand-interests-notify-opened": {
        "task": "demand.tasks.interests_notify_opened_task",
        "schedule": crontab(minute="*"),
    },
    "demand-waitlists-notify-released": {
        "task": "demand.tasks.waitlists_notify_released_task",
        "schedule": crontab(minute="*"),
    },
}

LOGIN_URL = "admin:login"
# The benchmark's baseline view at /_bench/bare/ (bench/flash.py sets it); off in a real shop.
BENCHMARK_VIEWS = env.bool("BENCHMARK_VIEWS", default=False)
# Importing shipments changes orders: it needs the change permission.
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "change"

if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_order_tokens": {"()": "preorder_shop.log_filters.RedactOrderTokens"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact_order_tokens"]}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.request": {
            "handlers": ["console"],
            "level": "WARNING",
            "filters": ["redact_order_tokens"],
            "propagate": False,
        },
        "django.server": {
            "handlers": ["console"],
            "level": "INFO",
            "filters": ["redact_order_tokens"],
            "propagate": False,
        },
    },
}
