"""python -m pipelines.ground_truth"""

import sys

from pipelines.ground_truth.cli import main

sys.exit(main())
