"""Copy the front-end assets the app serves from node_modules into staywell/static/vendor.

Run by `make assets` after `npm ci`. Only the files the pages use are copied: the USWDS
stylesheet and scripts plus every font and image that stylesheet refers to, htmx,
Chart.js, and axe-core (for the accessibility checks of the browser tests).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODULES = ROOT / "node_modules"
VENDOR = ROOT / "staywell" / "static" / "vendor"

FILES = {
    "@uswds/uswds/dist/css/uswds.min.css": "uswds/css/uswds.min.css",
    "@uswds/uswds/dist/js/uswds.min.js": "uswds/js/uswds.min.js",
    "@uswds/uswds/dist/js/uswds-init.min.js": "uswds/js/uswds-init.min.js",
    "@uswds/uswds/dist/img/usa-icons/close.svg": "uswds/img/usa-icons/close.svg",
    "@uswds/uswds/dist/img/sprite.svg": "uswds/img/sprite.svg",
    "htmx.org/dist/htmx.min.js": "htmx/htmx.min.js",
    "chart.js/dist/chart.umd.min.js": "chartjs/chart.umd.min.js",
    "axe-core/axe.min.js": "axe-core/axe.min.js",
}


def main() -> None:
    if VENDOR.exists():
        shutil.rmtree(VENDOR)
    for source, target in FILES.items():
        _copy(MODULES / source, VENDOR / target)
    css = (MODULES / "@uswds/uswds/dist/css/uswds.min.css").read_text()
    for ref in sorted(set(re.findall(r"url\(['\"]?(\.\./[^)'\"?#]+)", css))):
        _copy(MODULES / "@uswds/uswds/dist/css" / ref, VENDOR / "uswds/css" / ref)
    print(f"vendored assets into {VENDOR.relative_to(ROOT)}")


def _copy(source: Path, target: Path) -> None:
    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)


if __name__ == "__main__":
    main()
