"""Train a model: a thin wrapper over the ``sciddiff-train`` entry point (same arguments)."""

from sciddiff.train.apps.train import main

if __name__ == "__main__":
    main()
