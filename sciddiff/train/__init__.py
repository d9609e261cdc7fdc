"""The experiment layer: Hydra apps, command-line entry points and I/O."""
