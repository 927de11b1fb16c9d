"""`python -m bot COMMAND`: see bot.cli."""

from bot.cli import main

raise SystemExit(main())
