import sys

from kadun.evidence.offline.cli import main

sys.exit(main())
