from armoury.cli.main import main

raise SystemExit(main())
