import sys

from pipelines.watchdog.cli import main

sys.exit(main())
