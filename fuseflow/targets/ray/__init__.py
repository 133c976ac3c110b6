"""The Ray target: the generator, the driver (backend.py) and what runs on workers (worker.py)."""
