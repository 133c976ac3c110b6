"""`python -m fuseflow.cli ...` is `fusec ...`."""
import sys

from . import main

sys.exit(main())
