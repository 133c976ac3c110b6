"""The Prefect target: the flow-file generator and what generated flows import (backend.py)."""
