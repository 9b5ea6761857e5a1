"""Stop the embedded Redis (PostgreSQL stops by itself when its last user exits)."""

from __future__ import annotations

import os
import signal
from pathlib import Path

LOCAL = Path(__file__).resolve().parent.parent / ".local"

for pidfile in LOCAL.glob("redis-*.pid"):
    try:
        os.kill(int(pidfile.read_text().strip()), signal.SIGTERM)
        print(f"stopped redis ({pidfile.name})")
    except (ProcessLookupError, ValueError):
        pass
