"""Loaded with ``-p soko.testing.env`` before pytest-django configures Django: every test process
(each xdist worker too) gets its own fresh instance directory, so tests never touch ./var."""

from __future__ import annotations

import os
import tempfile

os.environ["SOKO_DATA_DIR"] = tempfile.mkdtemp(prefix="soko-test-")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright sync API + live_server
