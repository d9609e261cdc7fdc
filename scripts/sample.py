"""Draw samples from a trained model: a thin wrapper over the ``sciddiff-sample`` entry point."""

from sciddiff.train.apps.sample import main

if __name__ == "__main__":
    main()
