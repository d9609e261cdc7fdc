"""Images and physical fields on grids: simulators, offline datasets, metrics, a digit classifier and classical
reconstruction baselines for imaging and sensing inverse problems."""
