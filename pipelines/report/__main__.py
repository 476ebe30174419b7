import sys

from pipelines.report.cli import main

sys.exit(main())
