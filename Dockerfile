# Nengtan production image: gunicorn serving Django; the same image runs the Celery worker and beat.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=energy_platform.settings.production
RUN apt-get update && apt-get install -y --no-install-recommends gettext curl \
       libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 nengtan
WORKDIR /app
COPY pyproject.toml ./
# Installs the pinned dependencies of pyproject.toml (the project itself is not a package).
RUN pip install --upgrade pip && pip install .
COPY . .
# collectstatic needs settings to import; a throwaway key is used for this build step only.
RUN SECRET_KEY=build-only-not-secret-build-only-not-secret-build-only DEBUG=False \
    python manage.py collectstatic --noinput
RUN mkdir -p /app/media /mqtt-auth && chown -R nengtan /app/media /mqtt-auth
USER nengtan
EXPOSE 8000
ENTRYPOINT ["/app/docker/entrypoint.sh"]
CMD ["gunicorn", "energy_platform.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "120"]
