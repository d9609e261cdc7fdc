"""Solve an inverse problem with a trained prior: a thin wrapper over the ``sciddiff-solve`` entry point."""

from sciddiff.train.apps.solve import main

if __name__ == "__main__":
    main()
