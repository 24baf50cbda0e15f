"""`python -m desktop`: the same as `sse-chat`."""

from desktop.cli import main

raise SystemExit(main())
