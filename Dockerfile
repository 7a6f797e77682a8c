# The production image: gunicorn, the Celery worker and beat all run from it (see docker-compose.yml).

# 1. GOV.UK Frontend from the npm registry, and our Sass compiled against it.
FROM node:20-bookworm-slim AS assets
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY static ./static
RUN npm run build

# 2. The Python application with the locked runtime packages.
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    CONNECTING_ENV=production \
    STATIC_ROOT=/app/staticfiles
WORKDIR /app
COPY requirements.lock ./
RUN pip install --no-cache-dir --require-hashes -r requirements.lock
COPY --from=assets /app/node_modules/govuk-frontend ./node_modules/govuk-frontend
COPY --from=assets /app/build ./build
COPY manage.py ./
COPY connecting ./connecting
COPY partners ./partners
COPY placements ./placements
COPY debriefs ./debriefs
COPY templates ./templates
COPY static ./static
# collectstatic needs settings to load; none of these placeholder values is used at run time.
RUN SECRET_KEY=build-only DATABASE_URL=sqlite:////tmp/build.sqlite3 REDIS_URL=redis://build-only:6379/0 \
    ALLOWED_HOSTS=build-only EMAIL_URL=consolemail:// SITE_URL=https://build-only \
    python manage.py collectstatic --noinput -v 0 \
 && useradd --system --uid 10001 --home-dir /app connecting \
 && mkdir -p /var/lib/connecting/private && chown connecting /var/lib/connecting/private
# Uploaded briefing packs: a volume in docker-compose.yml, never under a served folder.
ENV PRIVATE_MEDIA_ROOT=/var/lib/connecting/private
USER connecting
EXPOSE 8000
CMD ["gunicorn", "connecting.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "2", "--access-logfile", "-"]
