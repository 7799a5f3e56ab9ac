"""Entry point of the frozen app: the same ``kaproom`` command as the installed package."""
import sys

from kaproom.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
