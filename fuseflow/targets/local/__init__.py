"""The local target: fuseflow/targets/local/target.py; generated modules import its runtime.py."""
