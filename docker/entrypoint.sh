#!/bin/sh
# Apply migrations before the web server starts (workers and beat skip it with SKIP_MIGRATE=1).
set -e
if [ "${SKIP_MIGRATE:-0}" != "1" ]; then
  python manage.py migrate --noinput
fi
exec "$@"
