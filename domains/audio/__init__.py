"""Audio domain: spectrograms with physical coordinates, synthetic sounds, spoken digits, metrics, baselines."""
