"""Weather advisories: the ward's forecast, Vietnam's warning thresholds, drafts staff approve."""
