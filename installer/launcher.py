"""Entry point of the packaged application: the same ``armoury`` command, window by default."""

import multiprocessing
import sys

from armoury.cli.main import main

if __name__ == "__main__":
    multiprocessing.freeze_support()
    sys.exit(main())
