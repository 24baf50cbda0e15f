"""`python -m backend`: the same as `sse-chat serve`."""

import sys

from backend.cli import serve_main

if __name__ == "__main__":
    sys.exit(serve_main())
