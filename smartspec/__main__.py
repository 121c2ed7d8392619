from smartspec.cli import main

raise SystemExit(main())
