"""Production packaging: the compose file defines its services with health checks; /healthz answers."""

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


def test_compose_has_every_service_with_a_health_check():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"postgres", "redis", "web", "worker", "beat", "mosquitto", "mqtt_ingest"}
    for name, service in services.items():
        assert "healthcheck" in service, name
    assert "gunicorn" in (ROOT / "Dockerfile").read_text()
    assert services["worker"]["command"][:3] == ["celery", "-A", "energy_platform"]
    assert services["mqtt_ingest"]["command"] == ["python", "manage.py", "mqtt_ingest"]


@pytest.mark.django_db
def test_healthz_checks_database_and_redis(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json()["checks"] == {"database": "ok", "redis": "ok"}


@pytest.mark.django_db
def test_healthz_reports_redis_down(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    r = client.get("/healthz")
    assert r.status_code == 503
    assert r.json()["checks"]["redis"].startswith("error")
