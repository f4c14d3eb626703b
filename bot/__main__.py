"""`python -m bot` is the same as `medcoder-bot`."""

import sys

from bot.cli import main

sys.exit(main())
