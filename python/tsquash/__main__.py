"""``python -m tsquash ...`` is the ``tsquash`` command."""
import sys

from .cli import main

sys.exit(main())
