"""One router per resource; `backend.app` includes them all."""
