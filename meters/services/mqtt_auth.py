"""Gateway credentials for the MQTT broker: a mosquitto password file and ACL file kept in step with gateway tokens.

The user name is the gateway's code (gw<id>), the password its newest token. Tokens are stored only as SHA-256, so
the broker's hash (PBKDF2-SHA512 in mosquitto_passwd's `$7$` format) is computed when a token is issued, while the
plain token is at hand, and kept in GatewayState. The ACL confines each gateway to its own topics:

    nengtan/<code>/up/<format>[/<option>]   publish readings (format: json, neuron, thingsboard, senml, influx)
    nengtan/<code>/status                    publish "online" / "offline" (as the MQTT last will)
    nengtan/<code>/reply                     subscribe: the result of each message
    spBv1.0/<group>/<type>/<code>[/<device>] Sparkplug B, the edge node id being the gateway code
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import secrets
import shlex
import signal
import subprocess
import tempfile
from pathlib import Path

from django.conf import settings
from django.db import transaction

from meters.models import Gateway, GatewayToken
from meters.models_gateways import GatewayState

logger = logging.getLogger(__name__)

#: mosquitto_passwd's defaults for the $7$ (PBKDF2-SHA512) format: 101 iterations, 12-byte salt.
_ITERATIONS = 101


def gateway_code(gateway: Gateway) -> str:
    """The gateway's MQTT user name and topic segment."""
    return f"gw{gateway.pk}"


def gateway_from_code(code: str) -> Gateway | None:
    if not code.startswith("gw") or not code[2:].isdigit():
        return None
    return Gateway.objects.select_related("site").filter(pk=int(code[2:])).first()


def mosquitto_password_hash(password: str, *, salt: bytes | None = None, iterations: int = _ITERATIONS) -> str:
    """The password file entry's hash, as `mosquitto_passwd` writes it: $7$<iterations>$<salt b64>$<hash b64>."""
    salt = salt if salt is not None else secrets.token_bytes(12)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations)
    return f"$7${iterations}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def gateway_mqtt_password_set(*, gateway: Gateway, token_row: GatewayToken, token: str) -> None:
    """Make `token` the gateway's MQTT password (called when a token is issued) and update the broker's files."""
    GatewayState.objects.update_or_create(gateway=gateway, defaults={
        "mqtt_token": token_row, "mqtt_password_hash": mosquitto_password_hash(token)})
    transaction.on_commit(broker_credentials_sync)


def broker_password_lines() -> list[str]:
    lines = []
    if settings.MQTT_INGEST_PASSWORD:
        lines.append(f"{settings.MQTT_INGEST_USERNAME}:{mosquitto_password_hash(settings.MQTT_INGEST_PASSWORD)}")
    states = (GatewayState.objects.filter(mqtt_token__isnull=False, mqtt_token__revoked_at__isnull=True)
              .exclude(mqtt_password_hash="").order_by("gateway_id").values_list("gateway_id", "mqtt_password_hash"))
    lines += [f"gw{pk}:{digest}" for pk, digest in states]
    return lines


def broker_acl_lines() -> list[str]:
    lines = [f"user {settings.MQTT_INGEST_USERNAME}", "topic read nengtan/+/up/#", "topic read nengtan/+/status",
             "topic write nengtan/+/reply", "topic read spBv1.0/#", "topic write spBv1.0/+/NCMD/+", ""]
    for pk in Gateway.objects.order_by("pk").values_list("pk", flat=True):
        code = f"gw{pk}"
        lines += [f"user {code}", f"topic write nengtan/{code}/up/#", f"topic write nengtan/{code}/status",
                  f"topic read nengtan/{code}/reply", f"topic write spBv1.0/+/+/{code}",
                  f"topic write spBv1.0/+/+/{code}/+", f"topic read spBv1.0/+/NCMD/{code}",
                  f"topic read spBv1.0/+/DCMD/{code}/+", ""]
    return lines


def _write(path: str, lines: list[str]) -> None:
    """Replace the file atomically, so the broker never reads half of it."""
    target = Path(path)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    with os.fdopen(fd, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    os.chmod(tmp, 0o644)  # noqa: S103  (the broker runs as another user; the file holds only salted hashes)
    os.replace(tmp, target)


def broker_credentials_sync() -> bool:
    """Write the password and ACL files from the database and ask mosquitto to re-read them. False when no files
    are configured (no broker)."""
    if not settings.MQTT_PASSWORD_FILE or not settings.MQTT_ACL_FILE:
        return False
    _write(settings.MQTT_PASSWORD_FILE, broker_password_lines())
    _write(settings.MQTT_ACL_FILE, broker_acl_lines())
    broker_reload()
    return True


def broker_reload() -> None:
    if settings.MQTT_RELOAD_COMMAND:
        result = subprocess.run(shlex.split(settings.MQTT_RELOAD_COMMAND), check=False, capture_output=True)  # noqa: S603
        if result.returncode:
            logger.warning("MQTT reload command failed (%s): %s", result.returncode, result.stderr[-500:])
        return
    if settings.MQTT_PID_FILE:
        try:
            os.kill(int(Path(settings.MQTT_PID_FILE).read_text().strip()), signal.SIGHUP)
        except (OSError, ValueError):
            logger.warning("cannot signal the MQTT broker (pid file %s)", settings.MQTT_PID_FILE, exc_info=True)
