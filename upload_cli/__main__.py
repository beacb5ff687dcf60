"""python -m upload_cli API_URL FILE..."""

import sys

from .main import main

sys.exit(main())
