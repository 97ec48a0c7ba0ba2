from __future__ import annotations

from soko.cli import main

raise SystemExit(main())
