"""``python -m buurtbot`` is the same as the ``buurtbot`` command."""

from buurtbot.cli import main

raise SystemExit(main())
