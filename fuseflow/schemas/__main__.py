"""``python -m fuseflow.schemas > docs/options.md`` regenerates the docs."""

from __future__ import annotations

import sys

from . import render_markdown

sys.stdout.write(render_markdown())
