#!/bin/sh
# Start pathbot: apply migrations, then serve. Used by the Docker image and the systemd unit.
set -eu
pathbot db upgrade
exec pathbot run --host "${PATHBOT_HOST:-0.0.0.0}" --port "${PATHBOT_PORT:-8000}"
