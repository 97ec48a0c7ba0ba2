"""Django settings, all derived from :mod:`soko.config` (environment variables)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dj_database_url

from soko.config import load_config

SOKO = load_config()
BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = SOKO.data_dir

SECRET_KEY = SOKO.secret_key
DEBUG = SOKO.debug
ALLOWED_HOSTS = list(SOKO.allowed_hosts)
CSRF_TRUSTED_ORIGINS = [
    f"http://{h}" for h in ALLOWED_HOSTS if h not in {"*", "testserver"} and not h.startswith(".")
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "simple_history",
    "soko.core",
    "soko.accounts",
    "soko.registry",
    "soko.catalog",
    "soko.imports",
    # Areas that compute from the data, in the order their post-import hooks run:
    # flags and analyses first (indicators read them), the management cycle last.
    "soko.monitoring",
    "soko.risks",
    "soko.analyses",
    "soko.indicators",
    "soko.cycle",
    "soko.reports",
    "soko.web",
    "soko.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "soko.urls"
WSGI_APPLICATION = "soko.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "soko.web.context.navigation",
                "soko.cycle.context.notices",
            ],
        },
    }
]


def _database() -> dict[str, Any]:
    if SOKO.database_engine == "sqlite":
        path = SOKO.database_url.split("sqlite:///", 1)[-1] or str(SOKO.sqlite_path)
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": path,
            "OPTIONS": {
                "timeout": 30,
                "transaction_mode": "IMMEDIATE",
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
                ),
            },
        }
    cfg: dict[str, Any] = dict(dj_database_url.parse(SOKO.database_url, conn_max_age=0))
    cfg["ENGINE"] = "django.db.backends.postgresql"
    cfg.setdefault("OPTIONS", {})["connect_timeout"] = 5
    return cfg


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:dashboard"
LOGOUT_REDIRECT_URL = "web:home"

LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", "Русский")]
TIME_ZONE = SOKO.time_zone
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = str(SOKO.data_dir / "static")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
MEDIA_ROOT = str(SOKO.data_dir / "media")
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 50 * 1024 * 1024
FILE_UPLOAD_TEMP_DIR = str(SOKO.data_dir / "tmp")

if SOKO.email_url:
    _mail = dj_database_url.parse(SOKO.email_url.replace("smtp://", "postgres://", 1))
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = _mail.get("HOST") or "localhost"
    EMAIL_PORT = int(_mail.get("PORT") or 25)
    EMAIL_HOST_USER = _mail.get("USER") or ""
    EMAIL_HOST_PASSWORD = _mail.get("PASSWORD") or ""
    EMAIL_USE_TLS = EMAIL_PORT == 587
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(SOKO.data_dir / "mail")
DEFAULT_FROM_EMAIL = SOKO.default_from_email

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 100,
    "EXCEPTION_HANDLER": "soko.api.errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "СОКО API",
    "DESCRIPTION": (
        "Программный интерфейс системы оценки качества образования. "
        "Права доступа те же, что в веб-интерфейсе: пользователь ОО видит только свою организацию."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {
        "file": {
            "class": "logging.FileHandler",
            "filename": str(SOKO.data_dir / "soko.log"),
            "formatter": "plain",
            "encoding": "utf-8",
        },
    },
    "root": {"handlers": ["file"], "level": "INFO"},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True
