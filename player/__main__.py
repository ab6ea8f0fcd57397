import sys

from woodshed.player.cli.main import main

sys.exit(main())
