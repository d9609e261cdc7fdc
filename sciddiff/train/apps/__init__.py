"""Hydra applications behind the console entry points."""
