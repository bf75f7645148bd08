"""`python -m bot COMMAND` (or `alliance COMMAND`): Alliance's command line, bot/tools/cli.py."""

from bot.tools.cli import main

raise SystemExit(main())
