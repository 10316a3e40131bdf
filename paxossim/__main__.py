import sys

from paxossim.cli import main

sys.exit(main())
