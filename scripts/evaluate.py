"""Evaluate a trained model: a thin wrapper over the ``sciddiff-evaluate`` entry point."""

from sciddiff.train.apps.evaluate import main

if __name__ == "__main__":
    main()
