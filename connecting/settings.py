"""Settings for the Connecting portal.

Every deploy-specific value comes from the environment. With nothing set, the portal runs on
its embedded default: SQLite and an embedded Celery broker in a local data folder, e-mail
written to files, DEBUG on. `CONNECTING_ENV=production` switches on the production shape, where
the defaults are the safe choice and a missing secret stops start-up rather than falling back.
"""

import secrets
from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

# --- Mode --------------------------------------------------------------------------------------
CONNECTING_ENV = env.str("CONNECTING_ENV", default="local")
if CONNECTING_ENV not in {"local", "production"}:
    raise ImproperlyConfigured(f"CONNECTING_ENV must be 'local' or 'production', not {CONNECTING_ENV!r}.")
PRODUCTION = CONNECTING_ENV == "production"

# Everything the embedded default writes (database, broker queue, e-mail, beat schedule, uploads).
DATA_DIR = Path(env.str("CONNECTING_DATA_DIR", default=str(BASE_DIR / "var")))


def _required_in_production(name: str) -> None:
    if PRODUCTION and not env.str(name, default=""):
        raise ImproperlyConfigured(f"{name} must be set when CONNECTING_ENV=production.")


for _name in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS", "EMAIL_URL", "SITE_URL"):
    _required_in_production(_name)

if not PRODUCTION:
    DATA_DIR.mkdir(parents=True, exist_ok=True)


def _local_secret_key() -> str:
    """A key generated once per checkout, so no key is ever committed or shared."""
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


# --- Core --------------------------------------------------------------------------------------
DEBUG = env.bool("DEBUG", default=not PRODUCTION)
SECRET_KEY = env.str("SECRET_KEY", default="") or _local_secret_key()
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[] if PRODUCTION else ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Links in e-mails sent with no request at hand (invitations, reminders) start with this.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "crispy_forms",
    "crispy_forms_gds",
    "csp",
    "connecting",
    "connecting.accounts",
    "connecting.surveys",
    "connecting.reports",
    "connecting.audit",
    "connecting.privacy",
    "partners",
    "placements",
    "debriefs",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Ahead of WhiteNoise, so static files (SVGs included) carry the policy too.
    "csp.middleware.CSPMiddleware",
    "connecting.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Secure by default: every view needs a signed-in user unless it is marked public.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "connecting.accounts.middleware.ProgrammeTeamMFAMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After messages (it says why it signed someone out); runs before any view-level check.
    "connecting.middleware.SessionTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "connecting.middleware.MethodNotAllowedPageMiddleware",
]

ROOT_URLCONF = "connecting.urls"
WSGI_APPLICATION = "connecting.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "connecting.context_processors.service",
            ],
        },
    },
]

# --- Database ----------------------------------------------------------------------------------
if env.str("DATABASE_URL", default=""):
    DATABASES = {"default": env.db_url("DATABASE_URL")}
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "connecting.sqlite3",
            "OPTIONS": {
                # WAL lets the web server read while the worker writes; IMMEDIATE takes the write
                # lock at BEGIN so two writers queue on the busy timeout instead of failing midway.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }
# Each request is one transaction: a form that fails half-way leaves nothing half-saved.
DATABASES["default"]["ATOMIC_REQUESTS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (allauth's rate limits live here) ---------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="connecting"),
            # A Redis that stops answering fails a request (and /healthz) in seconds, not never.
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Rendered page bodies keyed by a fingerprint of what they show (connecting/page_bodies.py): in each
# process's memory, so a deploy starts afresh. Bounded: 1,000 bodies of 12-50 KB stay under 50 MB
# a worker, however many different addresses are asked for.
CACHES["page_bodies"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "page-bodies",
    "TIMEOUT": env.int("PAGE_BODY_CACHE_SECONDS", default=600),
    "OPTIONS": {"MAX_ENTRIES": 1000},
}

# --- Celery ------------------------------------------------------------------------------------
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    # Longer than the hard time limit of the longest task, so a running task is never redelivered.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
else:
    # The embedded broker: kombu's filesystem transport, a queue of files that needs no server.
    _broker_dir = DATA_DIR / "celery" / "queue"
    _processed_dir = DATA_DIR / "celery" / "processed"
    _control_dir = DATA_DIR / "celery" / "control"
    for _dir in (_broker_dir, _processed_dir, _control_dir):
        _dir.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(_processed_dir),
        "control_folder": str(_control_dir),
        "store_processed": False,
    }
    CELERY_RESULT_BACKEND = None
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 60
CELERY_TASK_TIME_LIMIT = 90
CELERY_RESULT_EXPIRES = 3600
CELERY_TIMEZONE = "Europe/London"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = env.str(
    "CELERY_BEAT_SCHEDULE_FILENAME", default=str(DATA_DIR / "celerybeat-schedule")
)
# How long the learning library keeps a keyword search's ranking (debriefs.selectors.library
# RankedInsights): a newly published insight can take this long to appear in searches.
LIBRARY_SEARCH_CACHE_SECONDS = env.int("LIBRARY_SEARCH_CACHE_SECONDS", default=60)
# How old the programme dashboard's figures may be (connecting.dashboard.snapshots); 0 computes
# them on every view.
DASHBOARD_CACHE_SECONDS = env.int("DASHBOARD_CACHE_SECONDS", default=300)
if DASHBOARD_CACHE_SECONDS < 0:
    raise ImproperlyConfigured("DASHBOARD_CACHE_SECONDS must be 0 or more.")
HEARTBEAT_SECONDS = env.int("HEARTBEAT_SECONDS", default=60)
CELERY_BEAT_SCHEDULE = {
    "heartbeat": {"task": "connecting.tasks.heartbeat_task", "schedule": HEARTBEAT_SECONDS},
    "booking-deadlines": {
        "task": "placements.tasks.booking_deadlines_task",
        "schedule": env.int("OFFER_SWEEP_SECONDS", default=300),
    },
    # Hands due and stranded outbox messages to the workers; cheap when there is nothing to do.
    "outbox-dispatch": {
        "task": "connecting.tasks.outbox_dispatch_task",
        "schedule": env.int("OUTBOX_DISPATCH_SECONDS", default=15),
    },
    # Rolls debrief themes up into summary tables; reprocesses only new or changed debriefs.
    "theme-rollup": {
        "task": "debriefs.tasks.theme_rollup_refresh_task",
        "schedule": env.int("THEME_ROLLUP_SECONDS", default=900),
    },
    # Folds the changes that triggers append to the dashboard's counts into them.
    "dashboard-counts": {
        "task": "debriefs.tasks.dashboard_counts_compact_task",
        "schedule": env.int("DASHBOARD_COUNTS_COMPACT_SECONDS", default=300),
    },
    # Booking and review steps whose e-mails were never handed to the broker (it was down).
    "notifications-resume": {
        "task": "connecting.tasks.notifications_resume_task",
        "schedule": env.int("NOTIFICATIONS_RESUME_SECONDS", default=300),
    },
    # Surveys past their closing date are marked closed (answers already stop at the date).
    "surveys-close": {
        "task": "connecting.surveys.tasks.survey_close_due_task",
        "schedule": env.int("SURVEY_CLOSE_SECONDS", default=3600),
    },
    # Deletes expired export files, fails exports whose worker stopped, re-sends exports still queued.
    "export-jobs-expire": {
        "task": "connecting.reports.tasks.export_jobs_expire_task",
        "schedule": env.int("EXPORT_EXPIRE_SECONDS", default=3600),
    },
    # Personal data past RETENTION_DAYS is anonymised or deleted; running it twice changes nothing.
    "privacy-retention": {
        "task": "connecting.privacy.tasks.retention_apply_task",
        "schedule": env.int("RETENTION_SECONDS", default=24 * 3600),
    },
    # Reads what reminders are due from the database; the outbox key makes a second run harmless.
    "reminders": {
        "task": "connecting.tasks.reminders_schedule_task",
        "schedule": env.int("REMINDERS_SCHEDULE_SECONDS", default=300),
    },
}
# A deployment (or a test) can give its workers a queue of their own on a shared Redis.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default="celery")

# --- Privacy and audit -------------------------------------------------------------------------
# Debriefs' free text and other personal data older than this (from the visit) is anonymised.
RETENTION_DAYS = env.int("RETENTION_DAYS", default=730)

# --- Exports -----------------------------------------------------------------------------------
# Exports up to this many rows download at once; larger ones are made by a worker.
EXPORT_INLINE_MAX_ROWS = env.int("EXPORT_INLINE_MAX_ROWS", default=5000)
# The export task's own hard limit: a national export takes minutes, not the default 90 s.
EXPORT_TIME_LIMIT = 30 * 60

# --- Theme roll-up -----------------------------------------------------------------------------
# The roll-up task's own hard limit: a full rebuild (the first refresh at national scale, or after a
# release that changed what a fact holds) takes 30-60 s on two cores, past the default 60 s soft limit.
ROLLUP_TIME_LIMIT = env.int("ROLLUP_TIME_LIMIT", default=20 * 60)
if ROLLUP_TIME_LIMIT < 2 * 60:
    raise ImproperlyConfigured("ROLLUP_TIME_LIMIT must be at least 120 seconds.")

# --- Outbox ------------------------------------------------------------------------------------
# Every e-mail is an OutboxMessage first; see connecting/outbox.py for the delivery rules.
OUTBOX_SEND_TIME_LIMIT = env.int("OUTBOX_SEND_TIME_LIMIT", default=60)
# A message "sending" for longer than this lost its worker: it is sent again, marked a possible
# duplicate. It must outlast the send task's hard time limit, or a slow send would be doubled.
OUTBOX_SENDING_TIMEOUT = env.int("OUTBOX_SENDING_TIMEOUT", default=600)
if OUTBOX_SENDING_TIMEOUT <= OUTBOX_SEND_TIME_LIMIT:
    raise ImproperlyConfigured("OUTBOX_SENDING_TIMEOUT must be longer than OUTBOX_SEND_TIME_LIMIT.")
if REDIS_URL and CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] <= max(
    CELERY_TASK_TIME_LIMIT, OUTBOX_SEND_TIME_LIMIT, EXPORT_TIME_LIMIT, ROLLUP_TIME_LIMIT
):
    raise ImproperlyConfigured(
        "Redis's visibility timeout must outlast the longest task, or tasks run twice."
    )
# A waiting message handed to the broker this long ago and still not sent is handed over again.
OUTBOX_REQUEUE_AFTER = env.int("OUTBOX_REQUEUE_AFTER", default=300)
OUTBOX_RETRY_BASE_SECONDS = env.int("OUTBOX_RETRY_BASE_SECONDS", default=30)
OUTBOX_RETRY_MAX_SECONDS = env.int("OUTBOX_RETRY_MAX_SECONDS", default=3600)
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=10)

# --- E-mail ------------------------------------------------------------------------------------
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = DATA_DIR / "mail"
# Shorter than the send task's time limit, so a mail server that stops answering is a retry.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Connecting <connecting@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Accounts ----------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

# Participants sign up themselves, but only with an address on one of these domains (or a
# subdomain of one). Partner contacts join by invitation instead.
SIGNUP_ALLOWED_EMAIL_DOMAINS = [
    d.lower().lstrip("@.") for d in env.list("SIGNUP_ALLOWED_EMAIL_DOMAINS", default=["gov.uk"])
]
PARTNER_INVITATION_VALID_DAYS = env.int("PARTNER_INVITATION_VALID_DAYS", default=14)

ACCOUNT_ADAPTER = "connecting.accounts.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "connecting.accounts.adapters.SocialAccountAdapter"
ACCOUNT_FORMS = {
    "login": "connecting.accounts.forms.ParticipantLoginForm",
    "signup": "connecting.accounts.forms.ParticipantSignupForm",
    "add_email": "connecting.accounts.forms.ParticipantAddEmailForm",
    # The rest only reword allauth's forms: GOV.UK labels and "Enter your ..." messages.
    "change_password": "connecting.accounts.forms.AccountChangePasswordForm",
    "set_password": "connecting.accounts.forms.AccountSetPasswordForm",
    "reset_password": "connecting.accounts.forms.AccountResetPasswordForm",
    "reset_password_from_key": "connecting.accounts.forms.AccountResetPasswordKeyForm",
    "request_login_code": "connecting.accounts.forms.AccountRequestLoginCodeForm",
    "confirm_login_code": "connecting.accounts.forms.AccountConfirmLoginCodeForm",
    "reauthenticate": "connecting.accounts.forms.AccountReauthenticateForm",
}
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_EMAIL_NOTIFICATIONS = True
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = False
ACCOUNT_SESSION_REMEMBER = False  # no "remember me": a session ends when the browser closes
# A password change keeps the session it was made in; every other session ends, because the
# session's auth hash no longer matches (see tests/security/test_sessions.py).
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
# A reset link alone never signs anyone in: they sign in again, and MFA applies.
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_LOGOUT_REDIRECT_URL = "/"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "Connecting: "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if PRODUCTION else "http"
# allauth's rate limits (login failures, sign-ups, password resets, codes) stay at their
# defaults, which are on; they count in the cache above, so Redis in production. The Django
# admin's own log-in is sent through allauth's (connecting/urls.py), so the same limits hold there.
# Behind a load balancer every request comes from its address: count how many proxies append to
# X-Forwarded-For, or the per-address limits would lump all visitors together.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# --- Sessions ----------------------------------------------------------------------------------
# Enforced by connecting.middleware.SessionTimeoutMiddleware, which signs the person out.
SESSION_IDLE_SECONDS = env.int("SESSION_IDLE_SECONDS", default=30 * 60)
SESSION_MAX_SECONDS = env.int("SESSION_MAX_SECONDS", default=12 * 60 * 60)
# The server forgets a session no later than the hard limit, even if nobody comes back to end it.
SESSION_COOKIE_AGE = SESSION_MAX_SECONDS

MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Connecting"
MFA_FORMS = {
    "authenticate": "connecting.accounts.forms.MFAAuthenticateForm",
    "reauthenticate": "connecting.accounts.forms.MFAReauthenticateForm",
    "activate_totp": "connecting.accounts.forms.MFAActivateTOTPForm",
}

# Single sign-on for departments through OpenID Connect (e.g. Microsoft Entra ID), off unless
# the three OIDC_* values are set.
OIDC_CLIENT_ID = env.str("OIDC_CLIENT_ID", default="")
OIDC_ENABLED = bool(OIDC_CLIENT_ID)
SOCIALACCOUNT_PROVIDERS = {"openid_connect": {"APPS": []}}
if OIDC_ENABLED:
    SOCIALACCOUNT_PROVIDERS["openid_connect"]["APPS"].append(
        {
            "provider_id": env.str("OIDC_PROVIDER_ID", default="entra"),
            "name": env.str("OIDC_PROVIDER_NAME", default="Microsoft Entra ID"),
            "client_id": OIDC_CLIENT_ID,
            "secret": env.str("OIDC_CLIENT_SECRET"),
            "settings": {"server_url": env.str("OIDC_SERVER_URL")},
        }
    )
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False

# --- Forms and templates -----------------------------------------------------------------------
CRISPY_ALLOWED_TEMPLATE_PACKS = ["gds"]
CRISPY_TEMPLATE_PACK = "gds"
SERVICE_NAME = "Connecting"

# --- Bookings ----------------------------------------------------------------------------------
# How long a person offered a freed place from the waiting list has to accept it.
BOOKING_OFFER_HOURS = env.int("BOOKING_OFFER_HOURS", default=48)
# An offer this close to running out sends the participant a last-chance reminder.
OFFER_LAST_CHANCE_HOURS = env.int("OFFER_LAST_CHANCE_HOURS", default=12)
# How long a line manager's approve-or-decline link works.
MANAGER_APPROVAL_LINK_DAYS = env.int("MANAGER_APPROVAL_LINK_DAYS", default=7)
# The most requests, offers, waiting-list places and upcoming visits one person may hold at once.
MAX_BOOKINGS_IN_HAND = env.int("MAX_BOOKINGS_IN_HAND", default=10)
SERVICE_PHASE = env.str("SERVICE_PHASE", default="beta")
SERVICE_FEEDBACK_EMAIL = env.str("SERVICE_FEEDBACK_EMAIL", default="connecting-team@localhost")

# --- Internationalisation ----------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
# The service is in English only. With translation off every `gettext` returns its text as it is:
# on a list page with a GOV.UK layout that was about 320 catalogue look-ups a request, 15-25% of
# its time. Dates and numbers still follow LANGUAGE_CODE's British formats (`USE_L10N` is always
# on). Turn it back on, and add LocaleMiddleware, when a Welsh version is made.
USE_I18N = False
USE_TZ = True

# --- Static files ------------------------------------------------------------------------------
# GOV.UK Frontend comes from the npm registry at set-up; our Sass is compiled into build/static.
STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [
    BASE_DIR / "static",
    BASE_DIR / "build" / "static",
    ("govuk", BASE_DIR / "node_modules" / "govuk-frontend" / "dist" / "govuk"),
]
if not PRODUCTION:
    # Serve straight from the source folders, so the local run and tests need no collectstatic.
    WHITENOISE_USE_FINDERS = True
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Uploaded documents (briefing packs) are private: kept outside every served folder and handed out
# only by a view that checks who is asking (see connecting/uploads.py).
PRIVATE_MEDIA_ROOT = Path(env.str("PRIVATE_MEDIA_ROOT", default=str(DATA_DIR / "private")))
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=10 * 1024 * 1024)
# Small uploads stay in memory; larger ones go to a temporary file that stops growing past the cap.
FILE_UPLOAD_HANDLERS = [
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "connecting.uploads.SizeCappedUploadHandler",
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": str(PRIVATE_MEDIA_ROOT),
            "base_url": None,
            # Readable by the portal's own user only.
            "file_permissions_mode": 0o600,
            "directory_permissions_mode": 0o700,
        },
    },
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env.bool("STATIC_MANIFEST", default=PRODUCTION)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- Security ----------------------------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=PRODUCTION)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # the container health check speaks plain HTTP inside
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
SECURE_HSTS_PRELOAD = PRODUCTION
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=PRODUCTION)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=PRODUCTION)
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True  # no script reads the token: every form carries it in a hidden field
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# No inline script or style anywhere (tests/security/test_headers.py scans the templates); the
# GOV.UK `js-enabled` class comes from static/js/js-enabled.js. SVG charts use presentation
# attributes, which style-src does not cover.
_form_action = ["'self'"]
if OIDC_ENABLED:
    # Chrome applies form-action to the redirect after "Sign in with ...", which leaves the site.
    _oidc = urlsplit(env.str("OIDC_SERVER_URL"))
    _form_action.append(f"{_oidc.scheme}://{_oidc.netloc}")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "form-action": _form_action,
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}
# Browser features the portal never uses are switched off for it and anything it might embed.
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), "
    "payment=(), usb=()"
)

# --- Logging -----------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
