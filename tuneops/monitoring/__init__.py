"""Production monitoring: the production input log, drift detection and its report."""
