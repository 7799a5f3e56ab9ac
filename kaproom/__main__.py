import sys

from kaproom.cli.main import main

sys.exit(main())
