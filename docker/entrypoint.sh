#!/bin/sh
# Entrypoint of the buurtbot image.
#
#   (no arguments) or "run …"  migrate the database (buurtbot db upgrade), then run the bot
#   anything else              passed to buurtbot as it is, e.g. "network check /config/networks"
#
# The bot replaces this shell (exec), so it is PID 1 and receives docker's SIGTERM itself: it
# stops cleanly, finishing the sends in flight and leaving the rest in the outbox.
set -eu

if [ "$#" -eq 0 ]; then
    set -- run
fi

if [ "$1" = "run" ]; then
    # In a container the console reads nothing, so without a platform `buurtbot run` would end
    # at once and be restarted over and over. A settings file may hold the credentials instead.
    if [ -z "${BUURTBOT_SETTINGS:-}" ] && [ -z "${BUURTBOT_TELEGRAM_TOKEN:-}" ] &&
        [ -z "${BUURTBOT_SIGNAL_NUMBER:-}" ]; then
        echo "buurtbot: no platform configured: set BUURTBOT_TELEGRAM_TOKEN and/or" \
            "BUURTBOT_SIGNAL_NUMBER (or BUURTBOT_SETTINGS), see docker/README.md" >&2
        exit 64
    fi
    buurtbot db upgrade
fi

exec buurtbot "$@"
