#!/bin/sh
# Start mosquitto and send it SIGHUP whenever the platform rewrites the password or ACL file (the web and
# mqtt_ingest containers cannot signal a process in this container, so the broker's side watches the files).
set -eu
touch /mosquitto/auth/passwd /mosquitto/auth/acl
mosquitto -c /mosquitto/config/mosquitto.conf &
pid=$!
stamp=$(cat /mosquitto/auth/passwd /mosquitto/auth/acl | md5sum)
while kill -0 "$pid" 2>/dev/null; do
  sleep 2
  now=$(cat /mosquitto/auth/passwd /mosquitto/auth/acl | md5sum)
  if [ "$now" != "$stamp" ]; then stamp=$now; kill -HUP "$pid"; fi
done
wait "$pid"
